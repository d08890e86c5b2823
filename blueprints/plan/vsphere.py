"""The vSphere plan: placements, segments and VMs per data center, VKS, one type per operator-run data service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from blueprints.plan.shared import (
    KAFKA_CONTROLLER_STORAGE_GIB, DataServicePlan, NodePoolPlan, PlanError, SharedClusterPlan, TeamPlan, implementation, node_pools,
    promise, recorded, release, shared_cluster, team, zone_controls,
)
from blueprints.plan.flows import namespace_flows, operator_flows
from blueprints.sites import BackupStore
from blueprints.resolved import Placement, ResolvedBlueprint, ResolvedDataService

KAFKA_CONTROLLERS = 3
"""Dedicated KRaft controllers of an HA Kafka on Kubernetes; a single-node Kafka runs both roles."""


@dataclass(frozen=True)
class ContainerResources:
    """Requests and limits of one data-service pod: requests at half the size class, limits at it."""

    cpu_request: str
    """CPU request."""
    cpu_limit: str
    """CPU limit."""
    memory_request: str
    """Memory request."""
    memory_limit: str
    """Memory limit."""


@dataclass(frozen=True, kw_only=True)
class OperatorService(DataServicePlan):
    """A data service an operator runs in the team namespace, counted against its quota."""

    resources: ContainerResources
    """Requests and limits of one pod."""
    controllers: int = 0
    """Pods beyond the data's copies (Kafka's KRaft controllers)."""


@dataclass(frozen=True, kw_only=True)
class CnpgPostgres(OperatorService):
    """PostgreSQL run by CloudNativePG, backed up to the site's object store."""

    kind: ClassVar[str] = "postgres"
    client_port: ClassVar[int] = 5432
    """Port the applications connect to: PostgreSQL, TLS only."""
    peer_ports: ClassVar[tuple[int, ...]] = (5432, 8000)
    """Ports its instances open to each other: streaming replication, and the instance manager."""
    image: str
    """Operand image with barman-cloud, pinned by digest."""


@dataclass(frozen=True, kw_only=True)
class RedisStatefulSet(OperatorService):
    """Redis as a StatefulSet of the official image."""

    kind: ClassVar[str] = "redis"
    client_port: ClassVar[int] = 6379
    """Port the applications connect to: redis' tls-port (the plaintext port is off)."""
    peer_ports: ClassVar[tuple[int, ...]] = (6379,)
    """Ports its pods open to each other: replicas replicate from the primary over TLS on the same port."""
    image: str
    """Official image, pinned by digest."""
    certificate_issuer: str
    """cert-manager ClusterIssuer of its TLS certificate (sites map fleet.certificate_issuer): TLS only, as ElastiCache."""
    password_rotation_days: int
    """Days between rotations of the AUTH password: the platform's `secret_rotation_days`, as ElastiCache's token."""


@dataclass(frozen=True, kw_only=True)
class StrimziKafka(OperatorService):
    """Kafka run by Strimzi in KRaft mode."""

    kind: ClassVar[str] = "kafka"
    client_port: ClassVar[int] = 9093
    """Port the applications connect to: the TLS listener with mutual-TLS authentication."""
    peer_ports: ClassVar[tuple[int, ...]] = (9090, 9091)
    """Ports its pods open to each other: Strimzi's KRaft control plane and its internal replication listener,
    which the entity operator uses too."""
    engine_version: str
    """The Kafka version the Strimzi operator runs."""
    controller_storage_gib: int
    """Metadata volume of one dedicated KRaft controller, GiB."""


VSPHERE_SERVICES: dict[str, type[OperatorService]] = {
    "postgres": CnpgPostgres, "redis": RedisStatefulSet, "kafka": StrimziKafka,
}
"""The implementation of each data service offered on vSphere (object storage there is the platform's own)."""


@dataclass(frozen=True)
class VksCluster:
    """A dedicated VKS cluster in the team's vSphere Namespace."""

    kind: ClassVar[str] = "dedicated"
    kubernetes_version: str
    """VKS release."""
    node_pools: tuple[NodePoolPlan, ...]
    """Worker pools from the catalog."""
    control_plane_class: str
    """The control-plane VM class."""
    control_plane_nodes: int
    """Control-plane nodes (3 in prod, 1 otherwise)."""
    pod_cidr: str
    """The pod network from the sites map."""
    service_cidr: str
    """The service network from the sites map."""
    service_domain: str = "cluster.local"
    """Cluster DNS domain."""


@dataclass(frozen=True)
class VsphereSitePlan:
    """One data center's share of a vSphere stack: placement, capacity, segment."""

    data_center: str
    """Data center of the sites map."""
    vcenter: str
    """vCenter server."""
    datacenter: str
    """vSphere datacenter object."""
    compute_cluster: str
    """Compute cluster."""
    datastore: str
    """Datastore."""
    distributed_switch: str
    """Distributed switch."""
    vlan: int
    """VLAN of the team port group."""
    cpu_reservation_mhz: int
    """Guaranteed CPU."""
    cpu_limit_mhz: int
    """CPU cap."""
    memory_reservation_mb: int
    """Guaranteed memory."""
    memory_limit_mb: int
    """Memory cap."""
    vm_spread_groups: tuple[tuple[int, ...], ...] = ()
    """VM numbers (1-based, per site) each anti-affinity rule keeps on different hosts; empty: no VMs or fewer than two."""


@dataclass(frozen=True)
class VmPoolPlan:
    """VMs per data center."""

    template: str
    """Template to clone."""
    count_per_site: int
    """VMs in each data center."""
    cpus: int
    """vCPU of one VM."""
    memory_mb: int
    """Memory of one VM, MB."""
    disk_gb: int
    """System disk, GB."""
    ssh_authorized_keys: tuple[str, ...]
    """The pool's break-glass keys and the team's public key."""
    passwordless_sudo: bool = False
    """The admin user may sudo without a password: only a reviewed exception (sites map platform.passwordless_sudo)."""
    held: tuple[tuple[str, str], ...] = ()
    """(data center, template) of an HA stack's data centers that keep their earlier template for now."""

    def template_at(self, data_center: str) -> str:
        """The template a data center's VMs are cloned from."""
        return dict(self.held).get(data_center, self.template)


@dataclass(frozen=True)
class BackupPlan:
    """Where operator-run backups go."""

    endpoint_url: str
    """S3 endpoint of the site's object store."""
    bucket: str
    """Bucket."""
    prefix: str
    """The stack's prefix in it (`<team>-<env>`): the only one its key may write."""
    credentials_secret: str
    """Secret in the team namespace with the team's own object-store key, never a site-wide one."""
    encryption: str | None = None
    """Server-side encryption barman asks for (`aws:kms`: the bucket's key, the zone's); None: the bucket's policy."""


@dataclass(frozen=True, kw_only=True)
class VspherePlan(TeamPlan):
    """Everything the vSphere and Kubernetes components of one stack need."""

    target: Literal["vsphere"] = "vsphere"
    """The target."""
    cluster: VksCluster | SharedClusterPlan | None
    """The team's cluster; None: no cluster."""
    data_services: tuple[OperatorService, ...]
    """Data services, in request order."""
    sites: tuple[VsphereSitePlan, ...]
    """Data centers with placement and segment; empty when nothing is placed in vCenter."""
    vm_pool: VmPoolPlan | None
    """VMs; None: no VMs."""
    supervisor_context: str
    """kubeconfig context of the Supervisor."""
    storage_class: str
    """Storage class of clusters and data volumes."""
    backup: BackupPlan
    """Backup destination of data services."""


def vsphere_plan(bp: ResolvedBlueprint) -> VspherePlan:
    """The vSphere plan of a resolved blueprint."""
    place = bp.primary
    vs = place.vsphere
    if vs is None:
        raise PlanError(f"placements[0]: pool {place.pool} has no vSphere details")
    spec = bp.spec
    placed = spec.vm_pool or spec.cluster == "dedicated"
    vm_pool = _vm_pool(bp) if spec.vm_pool else None
    services = tuple(_service(bp, ds) for ds in bp.data_services)
    cluster = _cluster(bp, place)
    flows = operator_flows(bp, {s.kind for s in services}, _api_server(bp, place, cluster),
                           (str(vs.backup.cidr) if vs.backup.cidr else None, vs.backup.endpoint_url))
    flows += namespace_flows(bp.stack, services)
    return VspherePlan(
        **team(bp, cluster, services, in_namespace=True, flows=flows),
        sites=tuple(_site(bp, p) for p in bp.placements) if placed else (),
        vm_pool=vm_pool, supervisor_context=vs.supervisor.kube_context, storage_class=vs.supervisor.storage_class,
        backup=_backup(bp, vs.backup),
    )


def _backup(bp: ResolvedBlueprint, store: BackupStore) -> BackupPlan:
    """The site's bucket, or in a zone that keeps its backups apart, the zone's own bucket under the zone's key."""
    zone = bp.request.compliance_zone
    bucket, encryption = store.bucket, None
    if zone_controls(bp).separate_backups:
        if zone not in store.zone_buckets:
            raise PlanError(f"compliance_zone: {zone} keeps backups in its own bucket, and data center "
                            f"{bp.primary.data_center} names none (sites map vsphere.backup.zone_buckets.{zone})")
        bucket, encryption = store.zone_buckets[zone], "aws:kms"
    return BackupPlan(endpoint_url=store.endpoint_url, bucket=bucket, prefix=bp.stack,
                      credentials_secret=store.credentials_secret, encryption=encryption)


def _api_server(bp: ResolvedBlueprint, place: Placement,
                cluster: VksCluster | SharedClusterPlan | None) -> tuple[tuple[str, ...], int, str]:
    """Where the cluster's pods reach its API server: a VKS cluster's control plane sits on the team's own
    segment; a shared cluster's is sites-map data."""
    port = bp.decisions.network.vks_api_port
    if isinstance(cluster, SharedClusterPlan):
        found = cluster.shared.api_cidr or cluster.shared.cidr
        return ((str(found),) if found else ()), port, f"shared_cluster.api_cidr of pool {place.pool}"
    return ((str(place.network.cidr),) if place.network else ()), port, "placements[0].network"


def _vm_pool(bp: ResolvedBlueprint) -> VmPoolPlan:
    team_key = bp.parameters.get("ssh_public_key")
    # Stacks stamped before pools named their own keys recorded none: they keep the fleet-wide ones.
    break_glass = bp.primary.vsphere.break_glass_ssh_keys or bp.platform.ssh_public_keys
    return VmPoolPlan(
        template=recorded(bp, "vm_template"), count_per_site=bp.size.nodes, cpus=bp.size.node_vcpu,
        memory_mb=bp.size.node_memory_gib * 1024, disk_gb=bp.size.disk_gib,
        ssh_authorized_keys=(*break_glass, *([str(team_key)] if team_key else [])),
        passwordless_sudo=bp.stack in bp.platform.passwordless_sudo,
        held=tuple(sorted((bp.decisions.vm_template_held or {}).items())),
    )


def _resources(ds: ResolvedDataService) -> ContainerResources:
    """Requests at half the size class, limits at it: room to burst, never past the quota."""
    return ContainerResources(f"{ds.vcpu * 500}m", str(ds.vcpu), f"{ds.memory_gib * 512}Mi", f"{ds.memory_gib}Gi")


def _service(bp: ResolvedBlueprint, ds: ResolvedDataService) -> OperatorService:
    kind = implementation(VSPHERE_SERVICES, ds, "vsphere")
    found = release(bp, ds)
    if found is None:
        raise PlanError(f"data_services.{ds.kind}: is not offered on vsphere")
    if kind is StrimziKafka:
        if found.operator_version is None:
            raise PlanError(f"data_services.kafka: decisions.engines kafka {ds.version} has no operator_version")
        return StrimziKafka(**promise(ds), engine_version=found.operator_version, resources=_resources(ds),
                            controllers=KAFKA_CONTROLLERS if ds.replicas > 1 else 0,
                            controller_storage_gib=KAFKA_CONTROLLER_STORAGE_GIB)
    if found.image is None:
        raise PlanError(f"data_services.{ds.kind}: decisions.engines {ds.kind} {ds.version} has no image")
    if kind is RedisStatefulSet:
        return kind(**promise(ds), image=found.image, resources=_resources(ds),
                    certificate_issuer=bp.decisions.certificate_issuer,
                    password_rotation_days=bp.platform.secret_rotation_days)
    return kind(**promise(ds), image=found.image, resources=_resources(ds))


def _cluster(bp: ResolvedBlueprint, place: Placement) -> VksCluster | SharedClusterPlan | None:
    if bp.spec.cluster == "none":
        return None
    if bp.spec.cluster == "shared":
        return shared_cluster(bp, place)
    supervisor = place.vsphere.supervisor
    # A file stamped before the minor was a decision builds its spec's, as it always has.
    version = bp.decisions.kubernetes_version or bp.spec.kubernetes_version or ""
    if version not in supervisor.kubernetes_releases:
        raise PlanError(f"decisions.kubernetes_version: supervisor {supervisor.server} offers no VKS release for "
                        f"{version}")
    nets = recorded(bp, "cluster_networks")
    return VksCluster(
        kubernetes_version=supervisor.kubernetes_releases[version],
        node_pools=node_pools(bp, recorded(bp, "node_machine"), False),
        control_plane_class=recorded(bp, "control_plane_class"),
        control_plane_nodes=3 if bp.prod else 1,
        pod_cidr=str(nets.pods), service_cidr=str(nets.services), service_domain=nets.service_domain,
    )


def _site(bp: ResolvedBlueprint, place: Placement) -> VsphereSitePlan:
    """Prod capacity is guaranteed; nonprod is guaranteed half and may burst to its limit."""
    vs = place.vsphere
    cpu = bp.size.vcpu * recorded(bp, "mhz_per_vcpu")
    mem = bp.size.memory_gib * 1024
    share = 1 if bp.prod else 2
    return VsphereSitePlan(
        data_center=place.data_center, vcenter=vs.vcenter, datacenter=vs.datacenter,
        compute_cluster=vs.compute_cluster, datastore=vs.datastore, distributed_switch=vs.distributed_switch,
        vlan=place.network.vlan, cpu_reservation_mhz=cpu // share, cpu_limit_mhz=cpu,
        memory_reservation_mb=mem // share, memory_limit_mb=mem,
        vm_spread_groups=spread_groups(bp.size.nodes, vs.hosts) if bp.spec.vm_pool else (),
    )


def spread_groups(vms: int, hosts: int | None) -> tuple[tuple[int, ...], ...]:
    """VM numbers per anti-affinity rule, each rule no larger than the host count.

    DRS can keep at most as many VMs of one rule apart as the cluster has hosts; a larger rule stays violated and
    the spread it promises is not there. So more VMs than hosts become the fewest rules of at most `hosts` VMs,
    with sizes balanced (8 VMs on 4 hosts: two rules of 4, two VMs a host). Unknown hosts: one rule.
    """
    if vms < 2:
        return ()
    rules = -(-vms // (hosts or vms))
    base, extra = divmod(vms, rules)
    sizes = [base + (1 if r < extra else 0) for r in range(rules)]
    starts = [1 + sum(sizes[:r]) for r in range(rules)]
    return tuple(tuple(range(start, start + size)) for start, size in zip(starts, sizes))
