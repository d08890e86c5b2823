"""What a group may do in a namespace, from the RoleBindings a run rendered and Kubernetes' own role rules.

A binding to a Role takes the rendered Role's rules; a binding to the `view`, `edit` or `admin`
ClusterRole takes the rules Kubernetes aggregates into it (tests/rbac/kubernetes-aggregate-roles.yaml:
view's into edit, edit's into admin). Any other ClusterRole is refused: it would need vendoring.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from engine import Capture

ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
WRITES = ("create", "delete", "deletecollection", "patch", "update")


@cache
def aggregated() -> dict[str, list[dict]]:
    """view, edit and admin as the API server aggregates them."""
    items = yaml.safe_load((Path(__file__).parent / "rbac" / "kubernetes-aggregate-roles.yaml").read_text())["items"]
    part = {i["metadata"]["name"].removeprefix("system:aggregate-to-"): i["rules"] for i in items}
    view = part["view"]
    edit = view + part["edit"]
    return {"view": view, "edit": edit, "admin": edit + part["admin"]}


def allows(rules: list[dict], group: str, resource: str, verb: str) -> bool:
    """RBAC's rule matching (no resourceNames in the rules we check)."""
    return any(
        True
        for r in rules
        if (resource in r.get("resources", ()) or "*" in r.get("resources", ()))
        and (verb in r.get("verbs", ()) or "*" in r.get("verbs", ()))
        and (group in r.get("apiGroups", ()) or "*" in r.get("apiGroups", ()))
    )


def granted(capture: Capture, subject: str) -> dict[str, list[dict]]:
    """Namespace -> the rules `subject` (a group) holds there; a cluster-wide binding of it fails."""
    for binding in capture.by_type(CLUSTER_ROLE_BINDING):
        assert all(s["name"] != subject for s in binding.inputs["subjects"]), f"{binding.urn}: bound cluster-wide"
    roles = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs["rules"]
             for r in capture.by_type(ROLE)}
    found: dict[str, list[dict]] = {}
    for binding in capture.by_type(ROLE_BINDING):
        if not any(s["name"] == subject for s in binding.inputs["subjects"]):
            continue
        namespace, ref = binding.inputs["metadata"]["namespace"], binding.inputs["roleRef"]
        if ref["kind"] == "Role":
            rules = roles[(namespace, ref["name"])]
        else:
            assert ref["name"] in aggregated(), f"{binding.urn}: ClusterRole {ref['name']} is not vendored"
            rules = aggregated()[ref["name"]]
        found.setdefault(namespace, []).extend(rules)
    return found
