"""The one composition of a team blueprint: plan -> foundation -> cluster -> tenancy -> data services.

BUILDERS is the one table from plan type to builder, the way cdk-eks-blueprints lists its add-ons:
a target offers what has an entry, and a plan value with no entry stops the program by name instead
of becoming something else. A new data service is one plan type, one builder per target and one line
here. The order, the shared cluster, the tenancy and the exports are decided here once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import import_module
from typing import Any, Callable

import pulumi
import pulumi_kubernetes as k8s

from blueprints.plan import (
    AwsPlan, CnpgPostgres, EksCluster, ElastiCacheRedis, MskKafka, Plan, RdsPostgres, RedisStatefulSet, S3Bucket,
    SharedClusterPlan, StrimziKafka, VksCluster, VspherePlan,
)
from components.contracts import ClusterAccess, cluster_exports, exports
from components.kubernetes.tenancy import TeamNamespace, TeamNamespaceArgs
from components.steps import Built, Cluster


@dataclass(frozen=True)
class _Step:
    """A builder of a target's steps module (`compose_<target>.py`), imported when a plan of that target is first
    built: a stack loads its own target's provider SDK and components, not every target's."""

    target: str
    name: str

    def resolve(self) -> Callable[[Any, Built], Any]:
        return getattr(import_module(f"components.compose_{self.target}"), self.name)

    def __call__(self, value: Any, at: Built) -> Any:
        return self.resolve()(value, at)


def shared_cluster(cluster: SharedClusterPlan, at: Built) -> Cluster:
    """The pool's shared cluster, through the kubeconfig context the sites map names."""
    shared = cluster.shared
    provider = k8s.Provider(f"{at.name}-shared-cluster", context=shared.kube_context,
                            opts=pulumi.ResourceOptions(parent=at.parent))
    found = Cluster(access=ClusterAccess(cluster_name=shared.name), provider=provider)
    if isinstance(at.plan, AwsPlan) and at.plan.pod_security_group is not None:
        return _Step("aws", "team_pod_security_group").resolve()(at.plan.pod_security_group, found, at)
    return found


BUILDERS: dict[type, Callable[[Any, Built], Any]] = {
    AwsPlan: _Step("aws", "foundation"),
    VspherePlan: _Step("vsphere", "foundation"),
    EksCluster: _Step("aws", "eks_cluster"),
    VksCluster: _Step("vsphere", "vks_cluster"),
    SharedClusterPlan: shared_cluster,
    RdsPostgres: _Step("aws", "postgres"),
    ElastiCacheRedis: _Step("aws", "redis"),
    MskKafka: _Step("aws", "kafka"),
    S3Bucket: _Step("aws", "object_store"),
    CnpgPostgres: _Step("vsphere", "postgres"),
    RedisStatefulSet: _Step("vsphere", "redis"),
    StrimziKafka: _Step("vsphere", "kafka"),
}
"""Plan type -> the builder of its components: foundations, clusters, then data services."""


def build(value: Any, at: Built) -> Any:
    """The builder of a plan value, by its type; a type with no entry is not offered anywhere."""
    builder = BUILDERS.get(type(value))
    if builder is None:
        raise TypeError(f"{type(value).__name__}: no builder in components/compose.py BUILDERS")
    return builder(value, at)


def compose(name: str, plan: Plan, parent: pulumi.Resource) -> dict[str, Any]:
    """Build a team blueprint from its plan; returns the stack exports."""
    at = Built(name=name, plan=plan, parent=parent)
    at = replace(at, base=build(plan, at))
    found = dict(at.base.exports)
    if plan.cluster is not None:
        at = _cluster(at, found)
    for ds in plan.data_services:
        found.update(exports(ds.kind, build(ds, at)))
    return found


def _cluster(at: Built, found: dict[str, Any]) -> Built:
    """The team's cluster, then its namespace: data services on the cluster wait for the namespace."""
    cluster = build(at.plan.cluster, at)
    found.update(cluster_exports(cluster.access))
    k8s_opts = pulumi.ResourceOptions(parent=at.parent, provider=cluster.provider)
    if at.plan.tenancy is not None:
        ns = TeamNamespace(f"{at.name}-tenancy", _tenancy_args(at.plan, cluster), opts=k8s_opts)
        found["namespace"] = ns.namespace
        k8s_opts = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[ns]))
    return replace(at, cluster=cluster, k8s_opts=k8s_opts)


def _tenancy_args(plan: Plan, cluster: Cluster) -> TeamNamespaceArgs:
    t = plan.tenancy
    return TeamNamespaceArgs(
        namespace=t.namespace, team_group=t.team_group, platform_group=t.platform_group, cpu=t.cpu,
        memory_gib=t.memory_gib, labels=plan.tags, flows=t.flows,
        storage_gib=t.storage_gib, max_pods=t.max_pods, max_container_cpu=t.max_container_cpu,
        max_container_memory_gib=t.max_container_memory_gib, max_claim_gib=t.max_claim_gib,
        renames=t.renames, pod_security_group_ids=cluster.pod_security_group_ids,
    )
