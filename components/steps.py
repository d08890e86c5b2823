"""What the steps of a composition hand each other: the foundation, the cluster, and what is built so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from blueprints.plan import Plan
from components.contracts import ClusterAccess


@dataclass(frozen=True)
class Foundation:
    """What a target builds before any cluster."""

    opts: pulumi.ResourceOptions
    """Options that put a child on the target's provider (AWS) or under the blueprint (vSphere)."""
    exports: dict[str, Any] = field(default_factory=dict)
    """Stack exports of the foundation (VPC, port group, VMs, hub)."""
    network: Any = None
    """AWS: the team's NetworkFabric, which data services attach to."""


@dataclass(frozen=True)
class Cluster:
    """The team's cluster as the rest of the composition uses it."""

    access: ClusterAccess
    """The cluster contract: what the team is told."""
    provider: k8s.Provider
    """Kubernetes provider for the tenancy and operator-run data services."""
    client_security_group_ids: tuple[pulumi.Input[str], ...] = ()
    """AWS: security groups of the cluster's nodes, admitted by managed data services."""
    client_cidrs: tuple[str, ...] = ()
    """AWS: networks admitted by managed data services besides those groups. Default: none."""
    pod_security_group_ids: tuple[pulumi.Input[str], ...] = ()
    """AWS shared cluster: the security groups the team's application pods wear (SecurityGroupPolicy). Default: none."""


@dataclass(frozen=True)
class Built:
    """What the composition has built so far; every builder gets it with the plan value it builds."""

    name: str
    """The stack's name, the prefix of every child's name."""
    plan: Plan
    """The whole plan."""
    parent: pulumi.Resource
    """The TeamBlueprint."""
    base: Foundation | None = None
    """The target's foundation, once built."""
    cluster: Cluster | None = None
    """The team's cluster, once built."""
    k8s_opts: pulumi.ResourceOptions | None = None
    """Options that put a child on the team's cluster, inside its namespace once that exists."""
