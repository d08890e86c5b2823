"""Shared bits of the Kubernetes components: names, ownership labels, resources, restricted pods, PDBs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from blueprints.plan import ContainerResources
from components.kubernetes.labels import label_value

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def require_dns_label(name: str, max_len: int = 40) -> str:
    """`name` if it can name Kubernetes objects whose operators append suffixes (e.g. `-kafka-bootstrap`)."""
    if len(name) > max_len or not _DNS_LABEL.match(name):
        raise ValueError(f"'{name}' must be a lowercase DNS label of at most {max_len} characters")
    return name


def ownership_labels(tags: Mapping[str, str]) -> dict[str, str]:
    """Ownership tags as labels, keyed as the tenancy namespace labels are (`team`, `cost-center`, ...)."""
    return {key: label_value(value) for key, value in tags.items()}


@dataclass(frozen=True)
class NamespaceAccess:
    """Where an operator-run data service lives: the team namespace, its storage class, its ownership labels."""

    namespace: str
    """The team namespace."""
    storage_class: str
    """Storage class of the data volumes."""
    tags: Mapping[str, str]
    """Ownership tags, applied as labels."""


def resources_spec(resources: ContainerResources) -> dict[str, dict[str, str]]:
    """The `resources` block of a container (or of an operator spec that takes one)."""
    return {
        "requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
        "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit},
    }


RUNTIME_DEFAULT_SECCOMP = {"type": "RuntimeDefault"}

RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "runAsNonRoot": True,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": RUNTIME_DEFAULT_SECCOMP,
}
"""A container security context that passes Pod Security Admission `restricted`."""


def restricted_pod(uid: int) -> dict:
    """A pod security context for `restricted` namespaces, running as `uid` with volumes owned by it."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": RUNTIME_DEFAULT_SECCOMP,
    }


def pod_disruption_budget(
    name: str,
    namespace: str,
    match_labels: Mapping[str, str],
    labels: Mapping[str, str],
    parent: pulumi.Resource,
) -> k8s.policy.v1.PodDisruptionBudget:
    """A PDB letting voluntary disruptions (node drains, upgrades) take one pod at a time."""
    return k8s.policy.v1.PodDisruptionBudget(
        f"{name}-pdb",
        metadata={"name": name, "namespace": namespace, "labels": dict(labels)},
        spec={"maxUnavailable": 1, "selector": {"matchLabels": dict(match_labels)}},
        opts=pulumi.ResourceOptions(parent=parent),
    )
