"""The vSphere target's steps: placements, segments and VMs per data center, VKS, operator-run data services."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vsphere as vsphere

from blueprints.plan import CnpgPostgres, RedisStatefulSet, StrimziKafka, VspherePlan
from blueprints.plan import VksCluster as VksClusterPlan
from components.contracts import ClusterAccess, KafkaService, PostgresService, RedisService
from components.kubernetes.data_service import NamespaceAccess
from components.kubernetes.kafka import KafkaCluster, KafkaClusterArgs
from components.kubernetes.postgres import PostgresCluster, PostgresClusterArgs
from components.kubernetes.redis import RedisCache, RedisCacheArgs
from components.kubernetes.vks_cluster import VksCluster, VksClusterArgs
from components.steps import Built, Cluster, Foundation
from components.vsphere import NetworkSegment, NetworkSegmentArgs, TeamPlacement, TeamPlacementArgs, VmPool, VmPoolArgs, VmSite


def foundation(plan: VspherePlan, at: Built) -> Foundation:
    """Per data center: folder, resource pool, tags and port group through that vCenter, then the VMs."""
    name, parent = at.name, at.parent
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
                template=vms.template_at(site.data_center), count_per_site=vms.count_per_site, cpus=vms.cpus,
                memory_mb=vms.memory_mb,
                disk_gb=vms.disk_gb, ssh_authorized_keys=list(vms.ssh_authorized_keys), tags=plan.tags,
                passwordless_sudo=vms.passwordless_sudo,
                tag_ids=team.tag_ids, spread_groups=site.vm_spread_groups,
            ), opts=opts)
            vm_names.append(pool.vm_names)
    if vm_names:
        exports["vm_names"] = pulumi.Output.all(*vm_names).apply(lambda lists: [n for names in lists for n in names])
    return Foundation(opts=pulumi.ResourceOptions(parent=parent), exports=exports)


def vks_cluster(spec: VksClusterPlan, at: Built) -> Cluster:
    """A VKS cluster in the team's vSphere Namespace, and a provider from its kubeconfig."""
    name, plan, parent = at.name, at.plan, at.parent
    supervisor = k8s.Provider(f"{name}-supervisor", context=plan.supervisor_context, opts=pulumi.ResourceOptions(parent=parent))
    cluster = VksCluster(f"{name}-vks", VksClusterArgs(plan=spec, access=_in_namespace(at)),
                         opts=pulumi.ResourceOptions(parent=parent, provider=supervisor))
    provider = k8s.Provider(f"{name}-cluster", kubeconfig=cluster.kubeconfig, opts=pulumi.ResourceOptions(parent=parent))
    return Cluster(access=ClusterAccess(cluster_name=cluster.cluster_name, kubeconfig=cluster.kubeconfig), provider=provider)


def _in_namespace(at: Built) -> NamespaceAccess:
    """Where the team's cluster and every operator-run service live: its namespace, on the Supervisor's storage class."""
    plan = at.plan
    return NamespaceAccess(namespace=plan.stack, storage_class=plan.storage_class, tags=plan.tags)


def postgres(ds: CnpgPostgres, at: Built) -> PostgresService:
    """CloudNativePG in the team namespace, backed up under the stack's prefix of the site's object store."""
    backup = at.plan.backup
    pg = PostgresCluster(f"{at.name}-postgres", PostgresClusterArgs(
        plan=ds, access=_in_namespace(at),
        backup_destination=f"s3://{backup.bucket}/{backup.prefix}/postgres", backup_endpoint_url=backup.endpoint_url,
        backup_credentials_secret=backup.credentials_secret, backup_encryption=backup.encryption,
    ), opts=at.k8s_opts)
    return PostgresService(host=pg.rw_service, port=pg.port, secret=pg.app_secret_name)


def kafka(ds: StrimziKafka, at: Built) -> KafkaService:
    """Strimzi Kafka in the team namespace."""
    cluster = KafkaCluster(f"{at.name}-kafka", KafkaClusterArgs(plan=ds, access=_in_namespace(at)), opts=at.k8s_opts)
    return KafkaService(bootstrap=cluster.bootstrap_servers)


def redis(ds: RedisStatefulSet, at: Built) -> RedisService:
    """Redis as a StatefulSet in the team namespace."""
    cache = RedisCache(f"{at.name}-redis", RedisCacheArgs(plan=ds, access=_in_namespace(at)), opts=at.k8s_opts)
    return RedisService(host=cache.service_host, port=cache.port, secret=cache.auth_secret_name)
