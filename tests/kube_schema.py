"""Validate every built-in Kubernetes object a run rendered against the real OpenAPI schemas.

`assert_valid(capture)` rebuilds each captured `kubernetes:<group>/<version>:<Kind>` resource as
the manifest the provider would send (apiVersion, kind, metadata, spec/data/...) and checks it
with `kubernetes_validate` in strict mode, so a misspelt or misplaced field fails too. Custom
resources (operator CRDs, CustomResource) have no schema there and are skipped; so are patches.
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate

from engine import SECRET, Capture, CapturedResource

KUBERNETES_VERSION = "1.33.0"
"""The Kubernetes minor the rendered objects must be valid for (VKS and EKS both ship it)."""


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
    """The manifest a built-in resource renders, or None when it is not a built-in object."""
    kind_of = builtin_api_version(resource.type)
    if kind_of is None:
        return None
    api_version, kind = kind_of
    body = {k: v for k, v in resource.inputs.items() if k not in ("apiVersion", "kind")}
    # A map whose whole value is secret arrives redacted as one string; keep its shape.
    for key in ("data", "stringData"):
        if body.get(key) == SECRET:
            body[key] = {"redacted": SECRET}
    return {"apiVersion": api_version, "kind": kind, **_plain(body)}


def assert_valid(capture: Capture, version: str = KUBERNETES_VERSION) -> int:
    """Fail, naming each URN and error, unless every built-in object validates; returns how many were checked."""
    errors, checked = [], 0
    for resource in capture.resources:
        doc = manifest(resource)
        if doc is None:
            continue
        checked += 1
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
            errors.append(f"{resource.urn}: {where}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{resource.urn}: {exc.message}")
    assert not errors, "invalid Kubernetes objects:\n" + "\n".join(errors)
    return checked
