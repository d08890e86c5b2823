"""Validate every Kubernetes object a run rendered against the real schemas.

`assert_valid(capture)` rebuilds each captured `kubernetes:<group>/<version>:<Kind>` resource as
the manifest the provider would send (apiVersion, kind, metadata, spec/data/...). Built-in objects
are checked with `kubernetes_validate` in strict mode, so a misspelt or misplaced field fails too.
Custom resources are checked against the `openAPIV3Schema` of the operator's own CRD, vendored in
`tests/crds/`: the API server prunes fields a structural schema does not declare, so an unknown
field is an error here, and a custom resource without a vendored CRD fails. So does a field or an
API version the CRD marks deprecated: the components must use the operator's current API. CEL
rules (`x-kubernetes-validations`) are not evaluated. Patches are skipped.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from engine import SECRET, Capture, CapturedResource

CRD_DIR = Path(__file__).parent / "crds"

KUBERNETES_VERSION = "1.33.0"
"""The Kubernetes minor the rendered objects must be valid for (VKS and EKS both ship it)."""


def api_version_kind(type_token: str) -> tuple[str, str] | None:
    """(apiVersion, kind) of any Kubernetes object type token, or None for providers, patches and components."""
    parts = type_token.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes" or "/" not in parts[1] or parts[2].endswith("Patch"):
        return None
    return (parts[1].removeprefix("core/"), parts[2])


def builtin_api_version(type_token: str) -> tuple[str, str] | None:
    """(apiVersion, kind) of a built-in Kubernetes type token, or None for anything else."""
    parts = type_token.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes" or "/" not in parts[1]:
        return None
    group_version, kind = parts[1], parts[2]
    group = group_version.split("/")[0]
    # Built-in groups are core, dotless ones (apps, batch, policy, ...) or end in .k8s.io; CRD groups
    # such as cluster.x-k8s.io or postgresql.cnpg.io do not.
    builtin = group == "core" or "." not in group or group.endswith(".k8s.io")
    if not builtin or group == "apiextensions.k8s.io" and kind == "CustomResource" or kind.endswith("Patch"):
        return None
    return (group_version.removeprefix("core/"), kind)


def _plain(value: Any) -> Any:
    """Undo the wire format's numbers-as-floats, so that integer fields validate as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def manifest(resource: CapturedResource) -> dict[str, Any] | None:
    """The manifest a Kubernetes resource renders (built-in or custom), or None when it is no Kubernetes object."""
    kind_of = api_version_kind(resource.type)
    if kind_of is None:
        return None
    api_version, kind = kind_of
    body = {k: v for k, v in resource.inputs.items() if k not in ("apiVersion", "kind")}
    # A map whose whole value is secret arrives redacted as one string; keep its shape.
    for key in ("data", "stringData"):
        if body.get(key) == SECRET:
            body[key] = {"redacted": SECRET}
    return {"apiVersion": api_version, "kind": kind, **_plain(body)}


def _structural(schema: dict) -> dict:
    """A CRD's OpenAPI v3 schema as JSON Schema that rejects the fields the API server would prune."""
    out = {k: v for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if "properties" in schema:
        out["properties"] = {name: _structural(sub) for name, sub in schema["properties"].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            out[key] = _structural(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            out[key] = [_structural(sub) for sub in schema[key]]
    if _DEPRECATED.search(schema.get("description", "")):
        out["deprecated"] = True
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if schema.get("x-kubernetes-embedded-resource"):
        out.setdefault("properties", {}).update(apiVersion={"type": "string"}, kind={"type": "string"}, metadata={"type": "object"})
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    if schema.get("type") == "object" and "additionalProperties" not in schema and not preserve:
        out["additionalProperties"] = False
    return out


_DEPRECATED = re.compile(r"^Deprecated:", re.MULTILINE)


def _no_deprecated(validator, deprecated, instance, schema):
    if deprecated:
        yield jsonschema.ValidationError("is deprecated by the operator's CRD")


CrdValidator = jsonschema.validators.extend(jsonschema.Draft4Validator, {"deprecated": _no_deprecated})
"""Draft 4 (OpenAPI 3.0's dialect) plus a `deprecated` keyword that fails wherever it is set."""


@cache
def crd_schemas() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> JSON Schema of every served, non-deprecated version vendored in tests/crds."""
    schemas = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        # libyaml's loader: the vendored CRDs are megabytes, which the pure-Python loader takes seconds over.
        for crd in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if not version.get("served") or version.get("deprecated"):
                    continue
                schema = _structural(version["schema"]["openAPIV3Schema"])
                # Metadata is the API server's ObjectMeta, not described by the CRD: check its usual fields.
                schema["properties"]["metadata"] = OBJECT_META
                schemas[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = schema
    return schemas


_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
OBJECT_META = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}, "labels": _STRING_MAP,
                   "annotations": _STRING_MAP, "finalizers": {"type": "array", "items": {"type": "string"}}},
    "required": ["name"],
    "additionalProperties": False,
}


def _custom_errors(doc: dict) -> list[str]:
    """Errors of one custom resource against its vendored CRD."""
    schema = crd_schemas().get((doc["apiVersion"], doc["kind"]))
    if schema is None:
        return [f"no served, current CRD version for {doc['apiVersion']} {doc['kind']} in tests/crds"]
    validator = CrdValidator(schema)
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def _builtin_errors(doc: dict, version: str) -> list[str]:
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{'/'.join(str(p) for p in exc.absolute_path) or '(root)'}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [exc.message]
    return []


def is_builtin(doc: dict) -> bool:
    """Whether a manifest's apiVersion belongs to Kubernetes itself rather than to an operator's CRD."""
    return builtin_api_version(f"kubernetes:{'core/' if '/' not in doc['apiVersion'] else ''}{doc['apiVersion']}:{doc['kind']}") is not None


def manifests(capture: Capture) -> list[tuple[CapturedResource, dict]]:
    """Every rendered Kubernetes object of a run with its manifest."""
    return [(r, doc) for r in capture.resources if (doc := manifest(r)) is not None]


def assert_valid(capture: Capture, version: str = KUBERNETES_VERSION) -> int:
    """Fail, naming each URN and error, unless every rendered object validates; returns how many were checked."""
    errors, checked = [], 0
    for resource, doc in manifests(capture):
        checked += 1
        found = _builtin_errors(doc, version) if is_builtin(doc) else _custom_errors(doc)
        errors.extend(f"{resource.urn}: {e}" for e in found)
    assert not errors, "invalid Kubernetes objects:\n" + "\n".join(errors)
    return checked
