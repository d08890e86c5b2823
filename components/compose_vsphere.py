"""The vSphere target's steps: placements, segments and VMs per data center, VKS, operator-run data services."""

from __future__ import annotations

from dataclasses import asdict

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vsphere as vsphere

from blueprints.plan import KAFKA_CONTROLLER_STORAGE_GIB, DataServicePlan, VspherePlan
from components.compose import Cluster, Foundation
from components.contracts import ClusterAccess, DataService, KafkaService, PostgresService, RedisService
from components.kubernetes.data_service import Resources
from components.kubernetes.kafka import KafkaCluster, KafkaClusterArgs
from components.kubernetes.postgres import PostgresCluster, PostgresClusterArgs
from components.kubernetes.redis import RedisCache, RedisCacheArgs
from components.kubernetes.vks_cluster import NodePool, VksCluster, VksClusterArgs
from components.vsphere import NetworkSegment, NetworkSegmentArgs, TeamPlacement, TeamPlacementArgs, VmPool, VmPoolArgs, VmSite


def foundation(name: str, plan: VspherePlan, parent: pulumi.Resource) -> Foundation:
    """Per data center: folder, resource pool, tags and port group through that vCenter, then the VMs."""
    exports: dict = {}
    vm_names = []
    for site in plan.sites:
        label = f"{name}-{site.data_center}"
        provider = vsphere.Provider(f"{label}-vcenter", vsphere_server=site.vcenter, allow_unverified_ssl=False,
                                    opts=pulumi.ResourceOptions(parent=parent))
        opts = pulumi.ResourceOptions(parent=parent, provider=provider)
        team = TeamPlacement(label, TeamPlacementArgs(
            datacenter=site.datacenter, compute_cluster=site.compute_cluster,
            cpu_reservation_mhz=site.cpu_reservation_mhz, cpu_limit_mhz=site.cpu_limit_mhz,
            memory_reservation_mb=site.memory_reservation_mb, memory_limit_mb=site.memory_limit_mb, tags=plan.tags,
        ), opts=opts)
        segment = NetworkSegment(label, NetworkSegmentArgs(
            datacenter=site.datacenter, distributed_switch=site.distributed_switch, vlan_id=site.vlan,
            tags=plan.tags, tag_ids=team.tag_ids,
        ), opts=opts)
        exports.setdefault("port_group", segment.port_group_name)
        if plan.vm_pool is not None:
            vms = plan.vm_pool
            # One pool per data center: each talks to its own vCenter and attaches that vCenter's tags.
            pool = VmPool(f"{label}-vms", VmPoolArgs(
                sites=[VmSite(datacenter=site.datacenter, compute_cluster=site.compute_cluster, datastore=site.datastore,
                              resource_pool_id=team.resource_pool_id, folder=team.folder_path,
                              network_id=segment.port_group_id)],
                template=vms.template, count_per_site=vms.count_per_site, cpus=vms.cpus, memory_mb=vms.memory_mb,
                disk_gb=vms.disk_gb, ssh_authorized_keys=list(vms.ssh_authorized_keys), tags=plan.tags,
                tag_ids=team.tag_ids, spread_groups=site.vm_spread_groups,
            ), opts=opts)
            vm_names.append(pool.vm_names)
    if vm_names:
        exports["vm_names"] = pulumi.Output.all(*vm_names).apply(lambda lists: [n for names in lists for n in names])
    return Foundation(opts=pulumi.ResourceOptions(parent=parent), exports=exports)


def dedicated_cluster(name: str, plan: VspherePlan, base: Foundation, parent: pulumi.Resource) -> Cluster:
    """A VKS cluster in the team's vSphere Namespace, and a provider from its kubeconfig."""
    spec = plan.cluster
    supervisor = k8s.Provider(f"{name}-supervisor", context=plan.supervisor_context, opts=pulumi.ResourceOptions(parent=parent))
    cluster = VksCluster(f"{name}-vks", VksClusterArgs(
        namespace=plan.stack, kubernetes_version=spec.kubernetes_version, control_plane_nodes=spec.control_plane_nodes,
        vm_class=spec.control_plane_class, storage_class=plan.storage_class,
        node_pools=[NodePool(name=p.name, vm_class=p.machines[0], replicas=p.nodes) for p in spec.node_pools],
        tags=plan.tags, pod_cidr=spec.pod_cidr, service_cidr=spec.service_cidr, service_domain=spec.service_domain,
    ), opts=pulumi.ResourceOptions(parent=parent, provider=supervisor))
    provider = k8s.Provider(f"{name}-cluster", kubeconfig=cluster.kubeconfig, opts=pulumi.ResourceOptions(parent=parent))
    return Cluster(access=ClusterAccess(cluster_name=cluster.cluster_name, kubeconfig=cluster.kubeconfig), provider=provider)


def data_service(name: str, ds: DataServicePlan, plan: VspherePlan, base: Foundation, cluster: Cluster | None,
                 k8s_opts: pulumi.ResourceOptions | None) -> DataService:
    """An operator-run service in the team namespace."""
    resources = Resources(**asdict(ds.resources))
    common = dict(namespace=plan.stack, storage_class=plan.storage_class, tags=plan.tags, resources=resources)
    if ds.kind == "postgres":
        backup = plan.backup
        pg = PostgresCluster(f"{name}-postgres", PostgresClusterArgs(
            **common, instances=ds.replicas, storage_gib=ds.storage_gib, image=ds.image,
            backup_destination=f"s3://{backup.bucket}/{backup.prefix}/postgres", backup_endpoint_url=backup.endpoint_url,
            backup_credentials_secret=backup.credentials_secret, backup_retention_days=ds.backup_retention_days,
        ), opts=k8s_opts)
        return PostgresService(host=pg.rw_service, port=pg.port, secret=pg.app_secret_name)
    if ds.kind == "kafka":
        kafka = KafkaCluster(f"{name}-kafka", KafkaClusterArgs(
            **common, brokers=ds.replicas, controllers=ds.controllers, storage_gib=ds.storage_gib,
            controller_storage_gib=KAFKA_CONTROLLER_STORAGE_GIB, kafka_version=ds.engine_version,
        ), opts=k8s_opts)
        return KafkaService(bootstrap=kafka.bootstrap_servers)
    if ds.kind == "redis":
        redis = RedisCache(f"{name}-redis", RedisCacheArgs(
            **common, replicas=ds.replicas, image=ds.image, storage_size=f"{ds.storage_gib}Gi",
        ), opts=k8s_opts)
        return RedisService(host=redis.service_host, port=redis.port, secret=redis.auth_secret_name)
    raise ValueError(f"data service {ds.kind} has no on-prem implementation")
