"""Composition steps both targets share: the team tenancy and the ownership labels."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SharedCluster
from components.kubernetes.tenancy import TeamNamespace, TeamNamespaceArgs


def namespace_name(bp: ResolvedBlueprint) -> str:
    """Team namespaces are named after the stack: `<team>-<env>`."""
    return bp.stack


def tenancy(name: str, bp: ResolvedBlueprint, opts: pulumi.ResourceOptions) -> TeamNamespace:
    """The team's namespace, sized from the blueprint's size class."""
    return TeamNamespace(
        f"{name}-tenancy",
        TeamNamespaceArgs(
            namespace=namespace_name(bp),
            team_group=f"{bp.platform.team_group_prefix}{bp.request.team}",
            platform_group=bp.platform.admin_group,
            cpu=bp.size.vcpu,
            memory_gib=bp.size.memory_gib,
            labels=bp.tags(),
            ingress_namespace=str(bp.parameters.get("ingress_namespace", "ingress-nginx")),
            renames=bp.renames(),
        ),
        opts=opts,
    )


def shared_cluster_provider(name: str, bp: ResolvedBlueprint, parent: pulumi.Resource) -> tuple[k8s.Provider, SharedCluster]:
    """A provider for the pool's shared cluster, through the kubeconfig context the sites map names."""
    shared = bp.primary.shared_cluster
    if shared is None:
        raise ValueError(f"pool {bp.primary.pool} has no shared cluster for {bp.blueprint_ref}")
    provider = k8s.Provider(f"{name}-shared-cluster", context=shared.kube_context, opts=pulumi.ResourceOptions(parent=parent))
    return provider, shared
