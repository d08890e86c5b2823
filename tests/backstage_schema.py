"""Backstage's published JSON Schemas (vendored under tests/schemas/backstage), as one validator per kind."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

FOLDER = Path(__file__).resolve().parent / "schemas" / "backstage"
KINDS = {"Template": "TemplateV1beta3", "Resource": "ResourceV1alpha1", "System": "SystemV1alpha1",
         "Domain": "DomainV1alpha1", "Location": "LocationV1alpha1"}


@cache
def _registry() -> tuple[Registry, dict[str, dict]]:
    schemas = {}
    for path in FOLDER.glob("*.json"):
        doc = json.loads(path.read_text())
        schemas[doc["$id"]] = doc
    registry = Registry().with_resources((sid, Resource.from_contents(doc, default_specification=DRAFT7))
                                         for sid, doc in schemas.items())
    return registry, schemas


def errors(entity: dict) -> list[str]:
    """Every way `entity` breaks the schema of its kind, as 'path: message'."""
    registry, schemas = _registry()
    validator = Draft7Validator(schemas[KINDS[entity["kind"]]], registry=registry)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(entity)]
