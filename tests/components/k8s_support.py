"""Helpers shared by the in-cluster data service tests: one component per run, and the security settings written out.

The expected security contexts are spelt out here as literals, not imported from the components, so that a slip in
a component's own constant (a flag flipped, a capability kept) fails the tests instead of moving the expectation."""

from __future__ import annotations

from collections.abc import Callable

import engine
from blueprints.plan import ContainerResources
from components.kubernetes.data_service import NamespaceAccess

NS = "payments-prod"
TAGS = {"team": "payments", "owner": "alice@example.com", "env": "prod", "cost-center": "cc-42", "blueprint": "web-service"}
LABELS = {"team": "payments", "owner": "alice_at_example.com", "env": "prod", "cost-center": "cc-42", "blueprint": "web-service"}
"""TAGS as Kubernetes labels: the e-mail address spelt as a label value allows."""
ACCESS = NamespaceAccess(NS, "vsan-encrypted", TAGS)
RESOURCES = ContainerResources("500m", "1", "1Gi", "2Gi")
RESOURCES_SPEC = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
PROMISE = {"size": "M", "vcpu": 1, "memory_gib": 2, "version": None, "backup_retention_days": None}

RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "runAsNonRoot": True,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""What Pod Security Admission `restricted` asks of a container, and a read-only root filesystem besides."""


def restricted_pod(uid: int) -> dict:
    """A restricted pod security context running as `uid`, its volumes owned by that group."""
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid,
            "seccompProfile": {"type": "RuntimeDefault"}}


def run(program: Callable[[], object]) -> engine.Capture:
    return engine.run(program, stack="payments-prod")


def one_named(capture: engine.Capture, type_token: str, name: str) -> engine.CapturedResource:
    """The one resource of a type whose Kubernetes metadata name is `name`."""
    found = [r for r in capture.by_type(type_token) if r.inputs["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {type_token} named {name}: {[r.urn for r in found]}"
    return found[0]
