"""The plan: a pure function from a resolved blueprint to every value its target's components need.

The resolved blueprint (the stack file) holds the catalog's promises and the fleet data copied from
the sites map; the plan turns them into instance types, VM classes, images, replica counts, quotas
and networks. Plain frozen dataclasses and no Pulumi, so it is tested without an engine and the
components receive explicit values instead of looking anything up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from blueprints.errors import BadInput
from blueprints.resolved import Placement, ResolvedBlueprint, ResolvedDataService
from blueprints.sites import EngineRelease, MachineShape, SharedCluster

KAFKA_CONTROLLERS = 3
"""Dedicated KRaft controllers of an HA Kafka on Kubernetes; a single-node Kafka runs both roles."""
KAFKA_CONTROLLER_STORAGE_GIB = 10
"""Metadata volume of one KRaft controller."""
HA_ZONES, ZONES = 3, 2
"""AWS zones of a VPC: three in prod or with HA data services, two otherwise."""


class PlanError(BadInput):
    """A resolved blueprint the fleet cannot build as promised (a version with no release, a shape with no class)."""


@dataclass(frozen=True)
class Taint:
    """A node taint in Kubernetes spelling."""

    key: str
    """Taint key."""
    value: str | None
    """Taint value, or None."""
    effect: Literal["NoSchedule", "NoExecute", "PreferNoSchedule"]
    """Kubernetes taint effect."""


@dataclass(frozen=True)
class NodePoolPlan:
    """One worker pool of a dedicated cluster."""

    name: str
    """Pool name, unique in the cluster."""
    machines: tuple[str, ...]
    """EC2 instance types (EKS), or the one VM class (VKS)."""
    nodes: int
    """Nodes at creation."""
    min_nodes: int
    """Fewest nodes the autoscaler keeps."""
    max_nodes: int
    """Most nodes the autoscaler adds."""
    disk_gib: int
    """Root disk of one node, GiB."""
    imds_hop_limit: int
    """IMDSv2 hop limit of the nodes (EKS), from the catalog: 1 keeps pods off the node role's credentials."""
    labels: dict[str, str] = field(default_factory=dict)
    """Node labels."""
    taints: tuple[Taint, ...] = ()
    """Node taints."""
    spot: bool = False
    """Spot capacity (nonprod pools that asked for it)."""


@dataclass(frozen=True)
class ClusterPlan:
    """The team's cluster: a dedicated one (EKS or VKS) or the pool's shared one."""

    kind: Literal["dedicated", "shared"]
    """Dedicated cluster, or a namespace on the shared cluster."""
    shared: SharedCluster | None = None
    """The pool's shared cluster (shared only)."""
    kubernetes_version: str | None = None
    """EKS minor version or VKS release (dedicated only)."""
    node_pools: tuple[NodePoolPlan, ...] = ()
    """Worker pools from the catalog (dedicated only)."""
    system_pool: NodePoolPlan | None = None
    """EKS: the system pool from the sites map."""
    control_plane_class: str | None = None
    """VKS: the control-plane VM class."""
    control_plane_nodes: int = 0
    """VKS: control-plane nodes (3 in prod, 1 otherwise)."""
    pod_cidr: str | None = None
    """VKS: the pod network from the sites map."""
    service_cidr: str | None = None
    """VKS and EKS: the service network from the sites map."""
    service_domain: str = "cluster.local"
    """Cluster DNS domain."""


@dataclass(frozen=True)
class TenancyPlan:
    """The team namespace and its quota."""

    namespace: str
    """Namespace, `<team>-<env>`."""
    team_group: str
    """Group bound to edit."""
    platform_group: str
    """Group bound to admin."""
    cpu: int
    """vCPU quota: the size class plus the data services that run in the namespace."""
    memory_gib: int
    """Memory quota, GiB, likewise."""
    storage_gib: int
    """Storage quota, GiB: the fleet's base plus the data services' volumes in the namespace."""
    max_pods: int
    """Pod quota."""
    max_container_cpu: int
    """Largest container CPU limit: the fleet's, or the largest data-service pod in the namespace."""
    max_container_memory_gib: int
    """Largest container memory limit, GiB, likewise."""
    max_claim_gib: int
    """Largest volume claim, GiB, likewise."""
    ingress_namespace: str
    """Namespace of the ingress controller."""
    renames: dict[str, str] = field(default_factory=dict)
    """Old logical name -> the name the blueprint version gives it (its moves), kept by an alias."""


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


@dataclass(frozen=True)
class DataServicePlan:
    """One data service: the catalog's promise and what the target needs to keep it."""

    kind: str
    """postgres, redis, kafka or object-storage."""
    size: str
    """Size letter."""
    vcpu: int
    """vCPU of one instance, node or broker."""
    memory_gib: int
    """Memory of one instance, node or broker, GiB."""
    storage_gib: int
    """Storage of one instance or broker, GiB."""
    version: str | None
    """Engine version promised (e.g. 16, 7, 3.9)."""
    replicas: int
    """Copies of the data (instances, nodes or brokers)."""
    backup_retention_days: int | None
    """Days backups (or object versions) are kept; None: no backups."""
    engine_version: str | None = None
    """What the target is asked for: RDS/ElastiCache/MSK engine version, or the Strimzi Kafka version."""
    instance_class: str | None = None
    """AWS: instance, node or broker class."""
    image: str | None = None
    """Kubernetes: the container image, pinned by digest."""
    resources: ContainerResources | None = None
    """Kubernetes: requests and limits of one pod."""
    controllers: int = 0
    """Kafka on Kubernetes: dedicated KRaft controllers (0: brokers hold both roles)."""


@dataclass(frozen=True, kw_only=True)
class TeamPlan:
    """What every target's plan holds."""

    stack: str
    """`<team>-<env>`."""
    blueprint: str
    """`name@version`."""
    prod: bool
    """Production tier."""
    tags: dict[str, str]
    """Ownership tags of every resource."""
    cluster: ClusterPlan | None
    """The team's cluster; None: no cluster."""
    tenancy: TenancyPlan | None
    """The team namespace; None: none."""
    data_services: tuple[DataServicePlan, ...]
    """Data services, in request order."""


@dataclass(frozen=True)
class HubAttachmentPlan:
    """Where the team VPC's hub attachment is accepted and routed: the hub's account, its tier's tables."""

    account_id: str
    """Account that owns the hub."""
    deploy_role_arn: str
    """Role assumed in that account to accept and route the attachment."""
    accept: bool
    """The attachment comes from another account and must be accepted."""
    segment_route_table_id: str
    """The tier's route table (prod or nonprod): associated with, and propagated into."""
    interconnect_route_table_id: str
    """The interconnect table, propagated into so that the data centers and peer regions can answer."""


@dataclass(frozen=True)
class AwsNetworkPlan:
    """The team VPC."""

    cidr: str
    """VPC CIDR from IPAM."""
    zones: tuple[str, ...]
    """Availability zones used."""
    interconnect_cidrs: tuple[str, ...]
    """On-prem supernets routed through the hub."""
    transit_gateway_id: str | None
    """The region's hub; None: no attachment."""
    hub_attachment: HubAttachmentPlan | None = None
    """Acceptance and routing in the hub's account; None when the sites map records no hub account and tables."""


@dataclass(frozen=True)
class HubPeerPlan:
    """A peering with another region's hub: this hub requests it, or accepts the one the peer requested."""

    region: str
    """The peer's AWS region."""
    transit_gateway_id: str
    """The peer's Transit Gateway."""
    account_id: str | None
    """The peer's account."""
    prod_cidrs: tuple[str, ...]
    """The peer's prod supernets, routed from the prod table only."""
    nonprod_cidrs: tuple[str, ...]
    """The peer's nonprod supernets, routed from the nonprod table only."""
    attachment_id: str | None
    """Set when the peer requested the peering: this hub accepts that attachment."""


@dataclass(frozen=True)
class HubPlan:
    """The platform's regional network hub."""

    region: str
    """AWS region."""
    amazon_side_asn: int
    """Private ASN of the Transit Gateway."""
    onprem_supernets: tuple[str, ...]
    """The region's on-prem supernets."""
    advertised_prefixes: tuple[str, ...]
    """The region's AWS supernets, announced to the data centers."""
    direct_connect_gateway_id: str | None
    """Existing Direct Connect gateway."""
    share_principals: tuple[str, ...]
    """Organization the hub is shared with."""
    peers: tuple[HubPeerPlan, ...] = ()
    """Peerings: requested toward regions that sort after this one, accepted from those before."""
    awaiting_peers: tuple[str, ...] = ()
    """Regions whose peering request this hub must accept once the sites map records its attachment id."""


@dataclass(frozen=True, kw_only=True)
class AwsPlan(TeamPlan):
    """Everything the AWS components of one stack need."""

    target: Literal["aws"] = "aws"
    """The target."""
    region: str
    """AWS region."""
    account_id: str
    """Account the stack deploys into."""
    deploy_role_arn: str
    """Role the provider assumes."""
    admin_role_arn: str
    """Platform admins' role (cluster admin)."""
    team_role_arn: str
    """The team's role (edit in its namespace)."""
    public_access_cidrs: tuple[str, ...]
    """Nonprod cluster API allow-list; empty in prod."""
    network: AwsNetworkPlan | None
    """The team VPC; None for the hub."""
    hub: HubPlan | None
    """The regional hub (network-hub only)."""


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
    """Platform and team public keys."""


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


@dataclass(frozen=True, kw_only=True)
class VspherePlan(TeamPlan):
    """Everything the vSphere and Kubernetes components of one stack need."""

    target: Literal["vsphere"] = "vsphere"
    """The target."""
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


Plan = AwsPlan | VspherePlan


def plan(bp: ResolvedBlueprint) -> Plan:
    """The plan of a resolved blueprint for its target; PlanError names what the fleet lacks."""
    return _aws(bp) if bp.primary.target == "aws" else _vsphere(bp)


def _common(bp: ResolvedBlueprint, cluster: ClusterPlan | None, services: tuple[DataServicePlan, ...],
            in_namespace: bool) -> dict:
    return dict(
        stack=bp.stack, blueprint=bp.blueprint_ref, prod=bp.prod, tags=bp.tags(), cluster=cluster,
        tenancy=_tenancy(bp, services if in_namespace else ()) if bp.spec.namespace and cluster else None,
        data_services=services,
    )


def _tenancy(bp: ResolvedBlueprint, in_namespace: tuple[DataServicePlan, ...]) -> TenancyPlan:
    """The namespace quota: the size class plus every data-service pod and volume that runs inside it."""
    pods = [(s, s.replicas + s.controllers) for s in in_namespace]
    volumes = sum(s.storage_gib * s.replicas + KAFKA_CONTROLLER_STORAGE_GIB * s.controllers for s in in_namespace)
    quotas = bp.fleet.quotas
    return TenancyPlan(
        namespace=bp.stack,
        team_group=f"{bp.platform.team_group_prefix}{bp.request.team}",
        platform_group=bp.platform.admin_group,
        cpu=bp.size.vcpu + sum(s.vcpu * n for s, n in pods),
        memory_gib=bp.size.memory_gib + sum(s.memory_gib * n for s, n in pods),
        storage_gib=quotas.storage_gib + volumes,
        max_pods=quotas.max_pods,
        max_container_cpu=max([quotas.container_cpu, *(s.vcpu for s in in_namespace)]),
        max_container_memory_gib=max([quotas.container_memory_gib, *(s.memory_gib for s in in_namespace)]),
        max_claim_gib=max([quotas.claim_gib, *(s.storage_gib for s in in_namespace)]),
        ingress_namespace=_parameter(bp, "ingress_namespace"),
        renames=bp.renames(),
    )


def _parameter(bp: ResolvedBlueprint, name: str) -> str:
    """A parameter the plan needs; the catalog entry must declare it."""
    if name not in bp.parameters:
        raise PlanError(f"parameters.{name}: {bp.blueprint_ref} must declare it for what its spec builds")
    return str(bp.parameters[name])


def _release(bp: ResolvedBlueprint, ds: ResolvedDataService) -> EngineRelease | None:
    if ds.version is None:
        return None
    release = bp.fleet.engines.get(ds.kind, {}).get(ds.version)
    if release is None:
        raise PlanError(f"data_services.{ds.kind}: the fleet has no release of {ds.kind} {ds.version} (sites map fleet.engines)")
    return release


def _smallest(shapes: tuple[MachineShape, ...], vcpu: int, memory_gib: int, what: str) -> str:
    """The smallest shape with at least `vcpu` and `memory_gib`."""
    for shape in shapes:
        if shape.vcpu >= vcpu and shape.memory_gib >= memory_gib:
            return shape.name
    raise PlanError(f"{what}: no machine of the fleet has {vcpu} vCPU and {memory_gib} GiB")


def _taint(text: str) -> Taint:
    key_value, _, effect = text.rpartition(":")
    key, _, value = key_value.partition("=")
    return Taint(key=key, value=value or None, effect=effect)  # type: ignore[arg-type]


def _node_pools(bp: ResolvedBlueprint, machine: str, autoscale: bool) -> tuple[NodePoolPlan, ...]:
    """The catalog's pools; pools with a fixed count stay fixed, the others may double (EKS)."""
    spot = bp.parameters.get("spot_general_pool") is True
    pools = []
    for pool in bp.spec.node_pools:
        nodes = pool.nodes or bp.size.nodes
        sized = pool.nodes is None
        pools.append(NodePoolPlan(
            name=pool.name, machines=(machine,), nodes=nodes, min_nodes=nodes,
            max_nodes=nodes * 2 if autoscale else nodes, disk_gib=bp.size.disk_gib,
            imds_hop_limit=bp.spec.hop_limit(pool), labels=dict(pool.labels),
            taints=tuple(_taint(t) for t in pool.taints), spot=(pool.spot or spot) and sized and not bp.prod,
        ))
    return tuple(pools)


def _service(ds: ResolvedDataService, **target: object) -> DataServicePlan:
    return DataServicePlan(
        kind=ds.kind, size=ds.size, vcpu=ds.vcpu, memory_gib=ds.memory_gib, storage_gib=ds.storage_gib,
        version=ds.version, replicas=ds.replicas, backup_retention_days=ds.backup_retention_days, **target,
    )


# --- AWS ---------------------------------------------------------------------------------------------

def _zones(bp: ResolvedBlueprint) -> int:
    return HA_ZONES if bp.prod or bp.spec.ha_data_services else ZONES


def _aws_service(bp: ResolvedBlueprint, ds: ResolvedDataService) -> DataServicePlan:
    release = _release(bp, ds)
    if ds.kind != "object-storage" and not ds.aws_class:
        raise PlanError(f"data_services.{ds.kind}: no AWS class for size {ds.size} (catalog data_service_sizes)")
    if ds.kind == "kafka" and ds.replicas % _zones(bp):
        raise PlanError(f"data_services.kafka: {ds.replicas} brokers do not spread evenly over {_zones(bp)} zones")
    return _service(ds, engine_version=release.aws_version if release else None, instance_class=ds.aws_class)


def _aws_cluster(bp: ResolvedBlueprint, place: Placement) -> ClusterPlan | None:
    if bp.spec.cluster == "none":
        return None
    if bp.spec.cluster == "shared":
        return ClusterPlan(kind="shared", shared=_shared(bp, place))
    fleet = bp.fleet
    machine = _smallest(fleet.aws_instance_types, bp.size.node_vcpu, bp.size.node_memory_gib, "size")
    system = fleet.eks_system_pool
    counts = system.prod if bp.prod else system.nonprod
    return ClusterPlan(
        kind="dedicated", kubernetes_version=bp.spec.kubernetes_version, node_pools=_node_pools(bp, machine, True),
        system_pool=NodePoolPlan(
            name="system", machines=system.instance_types, nodes=counts.desired, min_nodes=counts.min,
            max_nodes=counts.max, disk_gib=bp.size.disk_gib, imds_hop_limit=bp.spec.imds_hop_limit,
        ),
        service_cidr=str(fleet.cluster_networks.services), service_domain=fleet.cluster_networks.service_domain,
    )


def _peers(region: str, peer_hubs, accepted: dict[str, str]) -> tuple[tuple[HubPeerPlan, ...], tuple[str, ...]]:
    """One peering per pair of hubs: the region that sorts first requests it, the other accepts it."""
    peers, awaiting = [], []
    for peer in peer_hubs:
        attachment = None
        if peer.region < region:
            attachment = accepted.get(peer.region)
            if attachment is None:
                awaiting.append(peer.region)
                continue
        peers.append(HubPeerPlan(
            region=peer.region, transit_gateway_id=peer.transit_gateway_id, account_id=peer.account_id,
            prod_cidrs=tuple(str(c) for c in peer.prod_cidrs), nonprod_cidrs=tuple(str(c) for c in peer.nonprod_cidrs),
            attachment_id=attachment,
        ))
    return tuple(peers), tuple(awaiting)


def _hub_attachment(bp: ResolvedBlueprint, hub, account_id: str) -> HubAttachmentPlan | None:
    """Prod VPCs join the prod table, nonprod ones the nonprod table; both reach the interconnect."""
    if hub.account_id is None or hub.route_tables is None:
        return None
    tables = hub.route_tables
    return HubAttachmentPlan(
        account_id=hub.account_id, deploy_role_arn=_role(hub.account_id, bp.platform.aws_deploy_role),
        accept=hub.account_id != account_id,
        segment_route_table_id=tables.prod if bp.prod else tables.nonprod,
        interconnect_route_table_id=tables.interconnect,
    )


def _role(account_id: str, role: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{role}"


def _aws(bp: ResolvedBlueprint) -> AwsPlan:
    place = bp.primary
    aws = place.aws
    if aws is None:
        raise PlanError(f"placements[0]: pool {place.pool} has no AWS details")
    hub = aws.hub
    network = hub_plan = None
    if bp.spec.network_hub:
        peers, awaiting = _peers(aws.region, aws.peer_hubs, hub.peering_attachments if hub else {})
        hub_plan = HubPlan(
            region=aws.region, amazon_side_asn=int(_parameter(bp, "amazon_side_asn")),
            onprem_supernets=tuple(str(c) for c in aws.interconnect_cidrs),
            advertised_prefixes=tuple(str(c) for c in aws.aws_supernets),
            direct_connect_gateway_id=hub.direct_connect_gateway_id if hub else None,
            share_principals=(bp.platform.aws_organization_arn,) if bp.platform.aws_organization_arn else (),
            peers=peers, awaiting_peers=awaiting,
        )
    elif place.network is not None:
        zones = _zones(bp)
        if len(aws.availability_zones) < zones:
            raise PlanError(f"placements[0]: pool {place.pool} has {len(aws.availability_zones)} AZs, {zones} needed")
        network = AwsNetworkPlan(
            cidr=str(place.network.cidr), zones=tuple(aws.availability_zones[:zones]),
            interconnect_cidrs=tuple(str(c) for c in aws.interconnect_cidrs) if hub else (),
            transit_gateway_id=hub.transit_gateway_id if hub else None,
            hub_attachment=_hub_attachment(bp, hub, aws.account_id) if hub else None,
        )
    services = tuple(_aws_service(bp, ds) for ds in bp.data_services)
    return AwsPlan(
        **_common(bp, _aws_cluster(bp, place), services, in_namespace=False),
        region=aws.region, account_id=aws.account_id,
        deploy_role_arn=_role(aws.account_id, bp.platform.aws_deploy_role),
        admin_role_arn=_role(aws.account_id, bp.platform.aws_admin_role),
        team_role_arn=_role(aws.account_id, f"{bp.platform.aws_team_role_prefix}{bp.request.team}"),
        public_access_cidrs=() if bp.prod else tuple(str(c) for c in aws.api_allowed_cidrs),
        network=network, hub=hub_plan,
    )


# --- vSphere -----------------------------------------------------------------------------------------

def _resources(ds: ResolvedDataService) -> ContainerResources:
    """Requests at half the size class, limits at it: room to burst, never past the quota."""
    return ContainerResources(f"{ds.vcpu * 500}m", str(ds.vcpu), f"{ds.memory_gib * 512}Mi", f"{ds.memory_gib}Gi")


def _vsphere_service(bp: ResolvedBlueprint, ds: ResolvedDataService) -> DataServicePlan:
    release = _release(bp, ds)
    if release is None:
        raise PlanError(f"data_services.{ds.kind}: is not offered on vsphere")
    if ds.kind == "kafka":
        if release.operator_version is None:
            raise PlanError(f"data_services.kafka: fleet.engines.kafka.{ds.version} has no operator_version")
        return _service(ds, engine_version=release.operator_version, resources=_resources(ds),
                        controllers=KAFKA_CONTROLLERS if ds.replicas > 1 else 0)
    if release.image is None:
        raise PlanError(f"data_services.{ds.kind}: fleet.engines.{ds.kind}.{ds.version} has no image")
    return _service(ds, image=release.image, resources=_resources(ds))


def _vm_class(bp: ResolvedBlueprint, prefix: str, vcpu: int, memory_gib: int, what: str) -> str:
    """Guaranteed classes in prod, the Supervisor's own family otherwise."""
    size = _smallest(bp.fleet.vm_classes, vcpu, memory_gib, what)
    return f"{'guaranteed' if bp.prod else prefix}-{size}"


def _vsphere_cluster(bp: ResolvedBlueprint, place: Placement) -> ClusterPlan | None:
    if bp.spec.cluster == "none":
        return None
    if bp.spec.cluster == "shared":
        return ClusterPlan(kind="shared", shared=_shared(bp, place))
    supervisor = place.vsphere.supervisor
    version = bp.spec.kubernetes_version or ""
    if version not in supervisor.kubernetes_releases:
        raise PlanError(f"spec.kubernetes_version: supervisor {supervisor.server} offers no VKS release for {version}")
    prefix = supervisor.vm_class_prefix
    nets = bp.fleet.cluster_networks
    plane = bp.fleet.control_plane
    return ClusterPlan(
        kind="dedicated", kubernetes_version=supervisor.kubernetes_releases[version],
        node_pools=_node_pools(bp, _vm_class(bp, prefix, bp.size.node_vcpu, bp.size.node_memory_gib, "size"), False),
        control_plane_class=_vm_class(bp, prefix, plane.vcpu, plane.memory_gib, "fleet.control_plane"),
        control_plane_nodes=3 if bp.prod else 1,
        pod_cidr=str(nets.pods), service_cidr=str(nets.services), service_domain=nets.service_domain,
    )


def _shared(bp: ResolvedBlueprint, place: Placement) -> SharedCluster:
    if place.shared_cluster is None:
        raise PlanError(f"placements[0]: pool {place.pool} has no shared cluster for {bp.blueprint_ref}")
    return place.shared_cluster


def _site(bp: ResolvedBlueprint, place: Placement) -> VsphereSitePlan:
    """Prod capacity is guaranteed; nonprod is guaranteed half and may burst to its limit."""
    vs = place.vsphere
    cpu = bp.size.vcpu * bp.fleet.mhz_per_vcpu
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


def _vsphere(bp: ResolvedBlueprint) -> VspherePlan:
    place = bp.primary
    vs = place.vsphere
    if vs is None:
        raise PlanError(f"placements[0]: pool {place.pool} has no vSphere details")
    spec = bp.spec
    placed = spec.vm_pool or spec.cluster == "dedicated"
    vm_pool = None
    if spec.vm_pool:
        team_key = bp.parameters.get("ssh_public_key")
        vm_pool = VmPoolPlan(
            template=_parameter(bp, "template"), count_per_site=bp.size.nodes, cpus=bp.size.node_vcpu,
            memory_mb=bp.size.node_memory_gib * 1024, disk_gb=bp.size.disk_gib,
            ssh_authorized_keys=(*bp.platform.ssh_public_keys, *([str(team_key)] if team_key else [])),
        )
    services = tuple(_vsphere_service(bp, ds) for ds in bp.data_services)
    return VspherePlan(
        **_common(bp, _vsphere_cluster(bp, place), services, in_namespace=True),
        sites=tuple(_site(bp, p) for p in bp.placements) if placed else (),
        vm_pool=vm_pool, supervisor_context=vs.supervisor.kube_context, storage_class=vs.supervisor.storage_class,
        backup=BackupPlan(endpoint_url=vs.backup.endpoint_url, bucket=vs.backup.bucket, prefix=bp.stack,
                          credentials_secret=vs.backup.credentials_secret),
    )
