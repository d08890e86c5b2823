"""Validate documents against NIST's OSCAL JSON schemas, vendored in tests/schemas (see its README).

NIST's patterns use Unicode property classes (`\\p{L}`) that Python's `re` lacks, so `pattern` is checked with the
`regex` module, which has them; every other keyword is jsonschema's own Draft 7.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema
import regex
from jsonschema import validators

SCHEMAS = Path(__file__).resolve().parent / "schemas"


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})


@cache
def _validator(name: str):
    schema = json.loads((SCHEMAS / name).read_text())
    return _Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def errors(document: dict, model: str) -> list[str]:
    """Every schema error of an OSCAL document; model is `assessment-results` or `component-definition`."""
    found = _validator(f"oscal-1.2.1-{model}.json").iter_errors(document)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]
