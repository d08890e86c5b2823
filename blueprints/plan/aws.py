"""The AWS plan: a team VPC on the region's hub (or the hub itself), EKS, and one type per managed data service."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal

from blueprints.plan.shared import (
    DataServicePlan, NodePoolPlan, PlanError, SharedClusterPlan, TeamPlan, implementation, node_pools, parameter,
    promise, recorded, release, shared_cluster, team, zone_controls,
)
from blueprints.plan.flows import client_flows
from blueprints.resolved import Placement, ResolvedBlueprint, ResolvedDataService

HA_ZONES, ZONES = 3, 2
"""AWS zones of a VPC: three in prod or with HA data services, two otherwise."""
MAX_AZS = 4
"""Zone slots kept per subnet tier, so that a later zone never moves an existing subnet."""
TIERS = ("public", "private", "data")
"""Subnet tiers of a team VPC."""


@dataclass(frozen=True, kw_only=True)
class AwsDataService(DataServicePlan):
    """A data service AWS runs for the team. A subclass that requires a field redeclares it with `field()`: a bare
    `instance_class: str` would take this class's None as its default (dataclasses read the inherited attribute)."""

    instance_class: str | None = None
    """Instance, node or broker class; None for a service with no machines (S3)."""
    engine_version: str | None = None
    """Engine version AWS is asked for; None for a service with no engine (S3)."""


@dataclass(frozen=True, kw_only=True)
class RdsPostgres(AwsDataService):
    """PostgreSQL on RDS: one instance, Multi-AZ when the promise keeps two copies."""

    kind: ClassVar[str] = "postgres"
    client_port: ClassVar[int] = 5432
    """Port the applications connect to: PostgreSQL."""
    instance_class: str = field()
    """RDS instance class, from the catalog size."""
    engine_version: str = field()
    """RDS engine version of the promised major."""
    backup_retention_days: int
    """Days automated backups are kept."""


@dataclass(frozen=True, kw_only=True)
class ElastiCacheRedis(AwsDataService):
    """Redis OSS on ElastiCache: a replication group of `replicas` nodes."""

    kind: ClassVar[str] = "redis"
    client_port: ClassVar[int] = 6379
    """Port the applications connect to: Redis, TLS (transit encryption)."""
    instance_class: str = field()
    """ElastiCache node type, from the catalog size."""
    engine_version: str = field()
    """ElastiCache engine version."""
    token_rotation_function_arn: str
    """The account's Lambda that Secrets Manager calls to rotate the AUTH token (sites map platform)."""
    token_rotation_days: int
    """Days between rotations of the AUTH token."""


@dataclass(frozen=True, kw_only=True)
class MskKafka(AwsDataService):
    """Kafka on MSK: `replicas` brokers, spread evenly over the VPC's zones."""

    kind: ClassVar[str] = "kafka"
    client_port: ClassVar[int] = 9098
    """Port the applications connect to: the IAM-authenticated TLS listener."""
    instance_class: str = field()
    """MSK broker instance type, from the catalog size."""
    engine_version: str = field()
    """MSK Kafka version."""


@dataclass(frozen=True, kw_only=True)
class S3Bucket(AwsDataService):
    """An S3 bucket; `backup_retention_days` is how long noncurrent object versions are kept."""

    kind: ClassVar[str] = "object-storage"
    access_log_bucket: str | None = None
    """The site's log bucket that receives its server access logs, where the zone requires them; None: not logged."""


AWS_SERVICES: dict[str, type[AwsDataService]] = {
    "postgres": RdsPostgres, "redis": ElastiCacheRedis, "kafka": MskKafka, "object-storage": S3Bucket,
}
"""The implementation of each data service offered on AWS."""


@dataclass(frozen=True)
class EksCluster:
    """A dedicated EKS cluster: the fleet's system pool and the catalog's node pools."""

    kind: ClassVar[str] = "dedicated"
    kubernetes_version: str | None
    """EKS minor version, as the stack file records it."""
    node_pools: tuple[NodePoolPlan, ...]
    """Worker pools from the catalog."""
    system_pool: NodePoolPlan
    """The system pool from the sites map."""
    service_cidr: str
    """The service network from the sites map."""
    service_domain: str = "cluster.local"
    """Cluster DNS domain."""
    addon_versions: tuple[tuple[str, str], ...] = ()
    """(add-on, version) of the minor, as recorded; an add-on not listed takes the version EKS picks."""
    node_image: str | None = None
    """The node groups' AMI release version, as recorded; None: the AMI EKS picks when a group is created."""


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
    subnets: dict[str, tuple[str, ...]]
    """Tier -> one subnet CIDR per zone, carved from `cidr` by `subnet_plan`."""
    nat_gateways: int
    """NAT gateways, in the first zones' public subnets: one per zone in prod (a zone outage keeps the others'
    egress), one in nonprod (cost)."""
    hub_attachment: HubAttachmentPlan | None = None
    """Acceptance and routing in the hub's account; None when the sites map records no hub account and tables."""
    cluster_cidrs: tuple[str, ...] = ()
    """A shared cluster's network, routed from the data tier through the hub so that the data services answer its
    pods (they sit in another VPC on the same Transit Gateway)."""


@dataclass(frozen=True)
class PodSecurityGroupPlan:
    """The team's own security group on a shared EKS cluster (security groups for pods, the VPC CNI's
    SecurityGroupPolicy): the only source the team's data services admit, so another team's pods, which share the
    cluster's network but not this group, are refused at the data service itself."""

    vpc_id: str
    """The shared cluster's VPC, where the group is made (a security group belongs to one VPC)."""
    cluster_security_group_id: str
    """The cluster's node security group, which the pods keep beside the team's (DNS, kubelet probes, the ingress
    controller): a pod matched by a SecurityGroupPolicy wears only the groups the policy lists."""


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
    cluster: EksCluster | SharedClusterPlan | None
    """The team's cluster; None: no cluster."""
    data_services: tuple[AwsDataService, ...]
    """Data services, in request order."""
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
    pod_security_group: PodSecurityGroupPlan | None = None
    """The team's pod security group on a shared cluster whose pods use managed data services; None otherwise."""


def subnet_plan(cidr: str, azs: int) -> dict[str, tuple[str, ...]]:
    """Carve the allocation into per-AZ subnets, the same every time for the same input.

    The first half of the VPC holds the private tier (one eighth of the VPC per AZ, where the
    pods and nodes live); the second half gives a sixteenth per AZ to the data tier and to the
    public tier (load balancers and NAT only). Four AZ slots are kept per tier, so a later AZ
    never moves an existing subnet.
    """
    net = ipaddress.ip_network(cidr)
    if net.prefixlen > 24:
        raise ValueError(f"VPC CIDR {cidr} is smaller than /24: its data and public subnets would be under /28")
    if not 1 <= azs <= MAX_AZS:
        raise ValueError(f"{azs} AZs: between 1 and {MAX_AZS} are supported")
    first, second = net.subnets(prefixlen_diff=1)
    data_half, public_half = second.subnets(prefixlen_diff=1)
    private = list(first.subnets(prefixlen_diff=2))
    data = list(data_half.subnets(prefixlen_diff=2))
    public = list(public_half.subnets(prefixlen_diff=2))
    return {
        "public": tuple(str(s) for s in public[:azs]),
        "private": tuple(str(s) for s in private[:azs]),
        "data": tuple(str(s) for s in data[:azs]),
    }


def aws_plan(bp: ResolvedBlueprint) -> AwsPlan:
    """The AWS plan of a resolved blueprint."""
    place = bp.primary
    aws = place.aws
    if aws is None:
        raise PlanError(f"placements[0]: pool {place.pool} has no AWS details")
    hub = _hub(bp, place) if bp.spec.network_hub else None
    network = _network(bp, place) if not bp.spec.network_hub and place.network is not None else None
    services = tuple(_service(bp, ds) for ds in bp.data_services)
    flows = client_flows(services, tuple(network.subnets["data"]), f"com.amazonaws.{aws.region}.s3") if network else ()
    cluster = _cluster(bp, place)
    pods = _pod_security_group(place, cluster, services, network)
    if pods is not None:
        network = replace(network, cluster_cidrs=(str(place.shared_cluster.cidr),))
    return AwsPlan(
        **team(bp, cluster, services, in_namespace=False, flows=flows),
        region=aws.region, account_id=aws.account_id,
        deploy_role_arn=_role(aws.account_id, bp.platform.aws_deploy_role),
        admin_role_arn=_role(aws.account_id, bp.platform.aws_admin_role),
        team_role_arn=_role(aws.account_id, f"{bp.platform.aws_team_role_prefix}{bp.request.team}"),
        public_access_cidrs=() if bp.prod else tuple(str(c) for c in aws.api_allowed_cidrs),
        network=network, hub=hub, pod_security_group=pods,
    )


def _pod_security_group(place: Placement, cluster, services: tuple, network: AwsNetworkPlan | None
                        ) -> PodSecurityGroupPlan | None:
    """On a shared cluster, the team's pods reach their data services as the team's own security group, never as
    the cluster's network (every team's pods share it). The groups meet across the region's Transit Gateway, which
    admits such references in inbound rules, within one region, when the hub and both attachments enable them."""
    if not isinstance(cluster, SharedClusterPlan) or network is None:
        return None
    if not any(getattr(s, "client_port", None) for s in services):
        return None
    shared = cluster.shared
    for field, value in (("vpc_id", shared.vpc_id), ("security_group_id", shared.security_group_id),
                         ("cidr", shared.cidr)):
        if value is None:
            raise PlanError(f"placements[0].shared_cluster.{field}: shared cluster {shared.name} records none, and the "
                            f"team's data services admit its pods by security group (sites map pool {place.pool})")
    if network.transit_gateway_id is None:
        raise PlanError(f"placements[0].aws.hub: pool {place.pool} has no hub, and the team's data services reach "
                        f"shared cluster {shared.name} only through it")
    return PodSecurityGroupPlan(vpc_id=shared.vpc_id, cluster_security_group_id=shared.security_group_id)


def _zones(bp: ResolvedBlueprint) -> int:
    return HA_ZONES if bp.prod or bp.spec.ha_data_services else ZONES


def _service(bp: ResolvedBlueprint, ds: ResolvedDataService) -> AwsDataService:
    kind = implementation(AWS_SERVICES, ds, "aws")
    found = release(bp, ds)
    if kind is not S3Bucket and not ds.aws_class:
        raise PlanError(f"data_services.{ds.kind}: no AWS class for size {ds.size} (catalog data_service_sizes)")
    if kind is MskKafka and ds.replicas % _zones(bp):
        raise PlanError(f"data_services.kafka: {ds.replicas} brokers do not spread evenly over {_zones(bp)} zones")
    if kind is ElastiCacheRedis:
        aws = bp.primary.aws
        return ElastiCacheRedis(
            **promise(ds), engine_version=found.aws_version, instance_class=ds.aws_class,
            token_rotation_function_arn=(f"arn:aws:lambda:{aws.region}:{aws.account_id}:function:"
                                         f"{bp.platform.secret_rotation_function}"),
            token_rotation_days=bp.platform.secret_rotation_days)
    if kind is S3Bucket:
        return S3Bucket(**promise(ds), engine_version=None, instance_class=None, access_log_bucket=_access_logs(bp))
    return kind(**promise(ds), engine_version=found.aws_version if found else None, instance_class=ds.aws_class)


def _access_logs(bp: ResolvedBlueprint) -> str | None:
    """The site's log bucket in prod and where the zone requires S3 access logs: who read or changed an object is
    evidence an incident needs, as CloudWatch's and the flow logs' are (CIS/FSBP S3.9)."""
    if not (bp.prod or zone_controls(bp).s3_access_logs):
        return None
    bucket = bp.primary.aws.access_log_bucket
    if bucket is None:
        why = f"compliance_zone: {bp.request.compliance_zone}" if zone_controls(bp).s3_access_logs else "env: prod"
        raise PlanError(f"{why} requires S3 access logs, and data center {bp.primary.data_center} names no log "
                        "bucket (sites map aws.access_log_bucket)")
    return bucket


def _cluster(bp: ResolvedBlueprint, place: Placement) -> EksCluster | SharedClusterPlan | None:
    if bp.spec.cluster == "none":
        return None
    if bp.spec.cluster == "shared":
        return shared_cluster(bp, place)
    system = recorded(bp, "system_pool")
    nets = recorded(bp, "cluster_networks")
    decided = bp.decisions
    return EksCluster(
        # A file stamped before the minor was a decision builds its spec's, as it always has.
        kubernetes_version=decided.kubernetes_version or bp.spec.kubernetes_version,
        addon_versions=tuple(sorted((decided.eks_addons or {}).items())), node_image=decided.node_image,
        node_pools=node_pools(bp, recorded(bp, "node_machine"), True),
        system_pool=NodePoolPlan(
            name="system", machines=system.instance_types, nodes=system.desired, min_nodes=system.min,
            max_nodes=system.max, disk_gib=bp.size.disk_gib, imds_hop_limit=bp.spec.imds_hop_limit,
        ),
        service_cidr=str(nets.services), service_domain=nets.service_domain,
    )


def _network(bp: ResolvedBlueprint, place: Placement) -> AwsNetworkPlan:
    """The team VPC: its zones, its subnets, and its attachment to the region's hub."""
    aws, hub = place.aws, place.aws.hub
    zones = _zones(bp)
    if len(aws.availability_zones) < zones:
        raise PlanError(f"placements[0]: pool {place.pool} has {len(aws.availability_zones)} AZs, {zones} needed")
    cidr = str(place.network.cidr)
    try:
        subnets = subnet_plan(cidr, zones)
    except ValueError as e:
        raise PlanError(f"placements[0].network.cidr: {e}") from None
    return AwsNetworkPlan(
        cidr=cidr, zones=tuple(aws.availability_zones[:zones]),
        interconnect_cidrs=tuple(str(c) for c in aws.interconnect_cidrs) if hub else (),
        transit_gateway_id=hub.transit_gateway_id if hub else None,
        hub_attachment=_hub_attachment(bp, hub, aws.account_id) if hub else None,
        subnets=subnets, nat_gateways=zones if bp.prod else 1,
    )


def _hub(bp: ResolvedBlueprint, place: Placement) -> HubPlan:
    aws, hub = place.aws, place.aws.hub
    peers, awaiting = _peers(aws.region, aws.peer_hubs, hub.peering_attachments if hub else {})
    return HubPlan(
        region=aws.region, amazon_side_asn=int(parameter(bp, "amazon_side_asn")),
        onprem_supernets=tuple(str(c) for c in aws.interconnect_cidrs),
        advertised_prefixes=tuple(str(c) for c in aws.aws_supernets),
        direct_connect_gateway_id=hub.direct_connect_gateway_id if hub else None,
        share_principals=(bp.platform.aws_organization_arn,) if bp.platform.aws_organization_arn else (),
        peers=peers, awaiting_peers=awaiting,
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
