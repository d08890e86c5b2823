"""Backstage's published JSON Schemas (vendored under tests/schemas/backstage), as one validator per kind."""

from __future__ import annotations

import json
import re
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


# Backstage's own checks beyond JSON Schema: packages/catalog-model/src/validation/makeValidator.ts (default
# validators) and KubernetesValidatorFunctions.ts: names as Kubernetes object names, tags as DNS labels, label and
# annotation keys as an optional DNS-subdomain prefix and '/' and an object name.
OBJECT_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _name(value: str) -> bool:
    return 1 <= len(value) <= 63 and bool(OBJECT_NAME.match(value))


def _key(value: str) -> bool:
    prefix, sep, name = value.rpartition("/")
    return _name(name) and (not sep or (len(prefix) <= 253 and bool(DNS_SUBDOMAIN.match(prefix))))


def naming_errors(entity: dict) -> list[str]:
    """Every name, tag, label or annotation key Backstage's default validators would refuse."""
    meta = entity["metadata"]
    found = [] if _name(meta["name"]) else [f"name {meta['name']!r}"]
    found += [f"tag {t!r}" for t in meta.get("tags", []) if not (len(t) <= 63 and DNS_LABEL.match(t))]
    found += [f"label {k}={v!r}" for k, v in meta.get("labels", {}).items() if not (_key(k) and (v == "" or _name(v)))]
    found += [f"annotation {k!r}" for k in meta.get("annotations", {}) if not _key(k)]
    return found
