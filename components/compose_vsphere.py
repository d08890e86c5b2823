"""The vSphere target: placements, segments and VMs per data center, VKS or a shared cluster, tenancy, operators."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vsphere as vsphere

from blueprints.resolved import Placement, ResolvedBlueprint
from components.compose_shared import shared_cluster_provider, tenancy
from components.kubernetes.data_service import Resources
from components.kubernetes.kafka import KafkaCluster, KafkaClusterArgs
from components.kubernetes.postgres import PostgresCluster, PostgresClusterArgs
from components.kubernetes.redis import RedisCache, RedisCacheArgs
from components.kubernetes.vks_cluster import NodePool, VksCluster, VksClusterArgs
from components.vsphere import NetworkSegment, NetworkSegmentArgs, TeamPlacement, TeamPlacementArgs, VmPool, VmPoolArgs, VmSite

MHZ_PER_VCPU = 2400
# VKS VM classes (vCPU, GiB) from smallest up; a node gets the smallest that fits.
VM_CLASSES = (("small", 2, 4), ("medium", 2, 8), ("large", 4, 16), ("xlarge", 4, 32), ("2xlarge", 8, 64),
              ("4xlarge", 16, 128), ("8xlarge", 32, 128))


def vm_class(vcpu: int, memory_gib: int, prod: bool, nonprod_prefix: str) -> str:
    """The VKS VM class for a node: guaranteed in prod, the site's best-effort family otherwise."""
    size = next((n for n, c, m in VM_CLASSES if c >= vcpu and m >= memory_gib), VM_CLASSES[-1][0])
    return f"{'guaranteed' if prod else nonprod_prefix}-{size}"


def _resources(vcpu: int, memory_gib: int) -> Resources:
    """Requests at half the instance, limits at the instance: room to burst, never past the quota."""
    return Resources(f"{vcpu * 500}m", str(vcpu), f"{memory_gib * 512}Mi", f"{memory_gib}Gi")


def _site_infra(name: str, bp: ResolvedBlueprint, placement: Placement, parent: pulumi.Resource) -> tuple:
    """Folder, resource pool, tags and port group in one data center, through that vCenter's provider."""
    vs = placement.vsphere
    assert vs is not None and placement.network is not None
    site = f"{name}-{placement.data_center}"
    provider = vsphere.Provider(f"{site}-vcenter", vsphere_server=vs.vcenter, allow_unverified_ssl=False,
                                opts=pulumi.ResourceOptions(parent=parent))
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    tags = bp.tags()
    cpu_limit = bp.size.vcpu * MHZ_PER_VCPU
    mem_limit = bp.size.memory_gib * 1024
    # Prod capacity is guaranteed; nonprod is guaranteed half and may burst to its limit.
    share = 1 if bp.prod else 2
    team = TeamPlacement(site, TeamPlacementArgs(
        datacenter=vs.datacenter, compute_cluster=vs.compute_cluster,
        cpu_reservation_mhz=cpu_limit // share, cpu_limit_mhz=cpu_limit,
        memory_reservation_mb=mem_limit // share, memory_limit_mb=mem_limit, tags=tags,
    ), opts=opts)
    segment = NetworkSegment(site, NetworkSegmentArgs(
        datacenter=vs.datacenter, distributed_switch=vs.distributed_switch, vlan_id=placement.network.vlan,
        tags=tags, tag_ids=team.tag_ids,
    ), opts=opts)
    return provider, team, segment, tags


def compose(name: str, bp: ResolvedBlueprint, parent: pulumi.Resource) -> dict[str, Any]:
    """Build the vSphere side of a team blueprint; returns the stack exports."""
    spec, exports = bp.spec, {}
    sites = []
    if spec.vm_pool or spec.cluster == "dedicated":
        sites = [(placement, *_site_infra(name, bp, placement, parent)) for placement in bp.placements]
        exports["port_group"] = sites[0][3].port_group_name

    if spec.vm_pool:
        keys = [*bp.platform.ssh_public_keys, *([bp.parameters["ssh_public_key"]] if bp.parameters.get("ssh_public_key") else [])]
        vm_names = []
        # One pool per data center: each talks to its own vCenter and attaches that vCenter's tags.
        for placement, provider, team, segment, tags in sites:
            vs = placement.vsphere
            pool = VmPool(f"{name}-{placement.data_center}-vms", VmPoolArgs(
                sites=[VmSite(datacenter=vs.datacenter, compute_cluster=vs.compute_cluster, datastore=vs.datastore,
                              resource_pool_id=team.resource_pool_id, folder=team.folder_path,
                              network_id=segment.port_group_id)],
                template=str(bp.parameters["template"]), count_per_site=bp.size.nodes,
                cpus=bp.size.node_vcpu, memory_mb=bp.size.node_memory_gib * 1024, disk_gb=bp.size.disk_gib,
                ssh_authorized_keys=keys, tags=tags, tag_ids=team.tag_ids,
            ), opts=pulumi.ResourceOptions(parent=parent, provider=provider))
            vm_names.append(pool.vm_names)
        exports["vm_names"] = pulumi.Output.all(*vm_names).apply(lambda lists: [n for names in lists for n in names])

    if spec.cluster == "none":
        return exports

    vs = bp.primary.vsphere
    k8s_opts = _cluster_provider(name, bp, parent, exports)
    if spec.namespace:
        ns = tenancy(name, bp, k8s_opts)
        exports["namespace"] = ns.namespace
        k8s_opts = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[ns]))
    _data_services(name, bp, vs, k8s_opts, exports)
    return exports


def _cluster_provider(name: str, bp: ResolvedBlueprint, parent: pulumi.Resource, exports: dict) -> pulumi.ResourceOptions:
    """Options that target the team's cluster: a new VKS cluster, or the pool's shared cluster."""
    vs = bp.primary.vsphere
    if bp.spec.cluster == "dedicated":
        supervisor = k8s.Provider(f"{name}-supervisor", context=vs.supervisor.kube_context,
                                  opts=pulumi.ResourceOptions(parent=parent))
        version = bp.spec.kubernetes_version or ""
        if version not in vs.supervisor.kubernetes_releases:
            raise ValueError(f"supervisor {vs.supervisor.server} offers no VKS release for Kubernetes {version}")
        nonprod_prefix = vs.supervisor.vm_class_prefix
        pools = [NodePool(name=p.name, replicas=p.nodes or bp.size.nodes,
                          vm_class=vm_class(bp.size.node_vcpu, bp.size.node_memory_gib, bp.prod, nonprod_prefix))
                 for p in bp.spec.node_pools]
        cluster = VksCluster(f"{name}-vks", VksClusterArgs(
            namespace=bp.stack, kubernetes_version=vs.supervisor.kubernetes_releases[version], prod=bp.prod,
            vm_class=vm_class(2, 8, bp.prod, nonprod_prefix), storage_class=vs.supervisor.storage_class,
            node_pools=pools, tags=bp.tags(),
        ), opts=pulumi.ResourceOptions(parent=parent, provider=supervisor))
        exports["cluster_name"] = cluster.cluster_name
        exports["kubeconfig"] = cluster.kubeconfig
        provider = k8s.Provider(f"{name}-cluster", kubeconfig=cluster.kubeconfig, opts=pulumi.ResourceOptions(parent=parent))
    else:
        provider, shared = shared_cluster_provider(name, bp, parent)
        exports["cluster_name"] = shared.name
    return pulumi.ResourceOptions(parent=parent, provider=provider)


def _data_services(name: str, bp: ResolvedBlueprint, vs, opts: pulumi.ResourceOptions, exports: dict) -> None:
    """Operator-run data services in the team namespace."""
    common = dict(namespace=bp.stack, prod=bp.prod, storage_class=vs.supervisor.storage_class, tags=bp.tags())
    for ds in bp.data_services:
        res = _resources(ds.vcpu, ds.memory_gib)
        if ds.kind == "postgres":
            pg = PostgresCluster(f"{name}-postgres", PostgresClusterArgs(
                **common, storage_size=f"{ds.storage_gib}Gi", resources=res,
                # The team's own prefix, written with the team's own key (see BackupStore.credentials_secret).
                backup_destination=f"s3://{vs.backup.bucket}/{bp.stack}/postgres",
                backup_endpoint_url=vs.backup.endpoint_url, backup_credentials_secret=vs.backup.credentials_secret,
                backup_retention="30d" if bp.prod else "7d",
            ), opts=opts)
            exports["postgres_host"] = pg.rw_service
            exports["postgres_secret"] = pg.app_secret_name
        elif ds.kind == "kafka":
            kafka = KafkaCluster(f"{name}-kafka", KafkaClusterArgs(**common, storage_size=f"{ds.storage_gib}Gi", resources=res),
                                 opts=opts)
            exports["kafka_bootstrap"] = kafka.bootstrap_servers
        elif ds.kind == "redis":
            redis = RedisCache(f"{name}-redis", RedisCacheArgs(**common, storage_size=f"{ds.storage_gib}Gi", resources=res),
                               opts=opts)
            exports["redis_host"] = redis.service_host
            exports["redis_auth_secret"] = redis.auth_secret_name
        else:
            raise ValueError(f"data service {ds.kind} has no on-prem operator yet")
