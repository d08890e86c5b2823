"""The one composition of a team blueprint: plan -> foundation -> cluster -> tenancy -> data services.

Each target supplies the same three steps (`compose_aws`, `compose_vsphere`): its foundation
(provider, network, placements, VMs), its dedicated cluster and its implementation of each data
service contract. The order, the shared cluster, the tenancy and the exports are decided here once.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi
import pulumi_kubernetes as k8s

from blueprints.plan import DataServicePlan, Plan
from components.contracts import ClusterAccess, DataService, cluster_exports, exports
from components.kubernetes.tenancy import TeamNamespace, TeamNamespaceArgs


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
    """AWS: node and pod network of a shared cluster, admitted by managed data services."""


class Target(Protocol):
    """The steps every target implements."""

    def foundation(self, name: str, plan: Plan, parent: pulumi.Resource) -> Foundation: ...

    def dedicated_cluster(self, name: str, plan: Plan, base: Foundation, parent: pulumi.Resource) -> Cluster: ...

    def data_service(self, name: str, ds: DataServicePlan, plan: Plan, base: Foundation, cluster: Cluster | None,
                     k8s_opts: pulumi.ResourceOptions | None) -> DataService: ...


def target_steps(target: str) -> Target:
    """A target's steps; imported on demand so a stack loads only its own target's SDK."""
    return importlib.import_module(f"components.compose_{target}")  # type: ignore[return-value]


def compose(name: str, plan: Plan, parent: pulumi.Resource) -> dict[str, Any]:
    """Build a team blueprint from its plan; returns the stack exports."""
    steps = target_steps(plan.target)
    base = steps.foundation(name, plan, parent)
    found = dict(base.exports)
    cluster = None
    k8s_opts = None
    if plan.cluster is not None:
        cluster = (steps.dedicated_cluster(name, plan, base, parent) if plan.cluster.kind == "dedicated"
                   else _shared_cluster(name, plan, parent))
        found.update(cluster_exports(cluster.access))
        k8s_opts = pulumi.ResourceOptions(parent=parent, provider=cluster.provider)
        if plan.tenancy is not None:
            ns = TeamNamespace(f"{name}-tenancy", _tenancy_args(plan), opts=k8s_opts)
            found["namespace"] = ns.namespace
            k8s_opts = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[ns]))
    for ds in plan.data_services:
        found.update(exports(ds.kind, steps.data_service(name, ds, plan, base, cluster, k8s_opts)))
    return found


def _shared_cluster(name: str, plan: Plan, parent: pulumi.Resource) -> Cluster:
    """The pool's shared cluster, through the kubeconfig context the sites map names."""
    shared = plan.cluster.shared
    provider = k8s.Provider(f"{name}-shared-cluster", context=shared.kube_context, opts=pulumi.ResourceOptions(parent=parent))
    return Cluster(access=ClusterAccess(cluster_name=shared.name), provider=provider,
                   client_cidrs=(str(shared.cidr),) if shared.cidr else ())


def _tenancy_args(plan: Plan) -> TeamNamespaceArgs:
    t = plan.tenancy
    return TeamNamespaceArgs(
        namespace=t.namespace, team_group=t.team_group, platform_group=t.platform_group, cpu=t.cpu,
        memory_gib=t.memory_gib, labels=plan.tags, ingress_namespace=t.ingress_namespace,
        storage_gib=t.storage_gib, max_pods=t.max_pods, max_container_cpu=t.max_container_cpu,
        max_container_memory_gib=t.max_container_memory_gib, max_claim_gib=t.max_claim_gib,
        renames=t.renames,
    )
