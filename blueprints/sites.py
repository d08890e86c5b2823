"""The sites map: regions, data centers and capacity pools a platform places stacks in.

The repository ships a demo fleet at the reference scale; a real platform points `--sites`
or `BP_SITES` at its own file.
"""

from __future__ import annotations

from functools import cached_property
from ipaddress import IPv4Network
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Iterator, Literal

from pydantic import Field, model_validator

from blueprints import yaml_io
from blueprints.errors import BadInput
from blueprints.fleet_operator_settings import OperatorSettings
from blueprints.models import ComplianceZone, Frozen, Target
from blueprints.prices import Prices
from blueprints.releases import Releases
from blueprints.support import Support

from blueprints.sites_source import DEMO_SITES, sites_path  # noqa: F401 (DEMO_SITES: callers read it from here)

Tier = Literal["prod", "nonprod"]


class Capacity(Frozen):
    """What a pool can host in total."""

    vcpu: int = Field(description="Schedulable vCPU. Required.", gt=0)
    memory_gib: int = Field(description="Schedulable memory, GiB. Required.", gt=0)


class VlanRange(Frozen):
    """VLAN ids a pool may hand out for team port groups."""

    first: int = Field(description="First VLAN id. Required.", ge=1, le=4094)
    last: int = Field(description="Last VLAN id. Required.", ge=1, le=4094)

    @model_validator(mode="after")
    def _ordered(self) -> "VlanRange":
        if self.first > self.last:
            raise ValueError(f"first {self.first} is after last {self.last}")
        return self


class SharedCluster(Frozen):
    """The platform-run cluster that hosts team namespaces in a pool."""

    name: str = Field(description="Cluster name. Required.")
    kube_context: str = Field(description="kubeconfig context infrastructure staff use to reach it. Required.")
    security_group_id: str | None = Field(
        None, description="AWS: the cluster's node security group; team pods keep it beside their own (DNS, kubelet "
        "probes, the ingress controller). Default: none.", pattern=r"^sg-[0-9a-f]{8,17}$",
    )
    vpc_id: str | None = Field(
        None, description="AWS: the cluster's VPC, in the pool's account, where each team's pod security group is made "
        "(security groups for pods); its Transit Gateway attachment must enable security group referencing. "
        "Default: none (team data services on AWS cannot be stamped on it).", pattern=r"^vpc-[0-9a-f]{8,17}$",
    )
    cidr: IPv4Network | None = Field(
        None, description="AWS: the cluster's node and pod network, admitted by team data services. Default: none."
    )
    api_cidr: IPv4Network | None = Field(
        None, description="Addresses of the cluster's API server as its pods reach them (operators' egress). "
        "Default: `cidr` (EKS puts its control-plane interfaces in the cluster's subnets)."
    )


class Supervisor(Frozen):
    """A vSphere Supervisor, the Kubernetes API for vSphere Namespaces and VKS clusters."""

    server: str = Field(description="Supervisor API address. Required.")
    kube_context: str = Field(description="kubeconfig context for the Supervisor. Required.")
    storage_class: str = Field(description="Storage class offered to VKS clusters. Required.")
    vm_class_prefix: str = Field("best-effort", description="VM class family for nonprod; prod uses guaranteed. Default: best-effort.")
    kubernetes_releases: dict[str, str] = Field(
        description="VKS release per Kubernetes minor version, e.g. '1.31': 'v1.31.4---vmware.1-fips-vkr.3'. Required."
    )


class BackupStore(Frozen):
    """The site's S3-compatible object store for operator-run backups."""

    endpoint_url: str = Field(description="S3 endpoint of the on-prem object store. Required.")
    bucket: str = Field(description="Bucket that holds each team's backups under <team>-<env>/. Required.")
    zone_buckets: dict[ComplianceZone, str] = Field(
        default_factory=dict, description="A zone's own bucket, encrypted by default under the zone's key, for the "
        "zones whose controls require separate backups. Default: none.",
    )
    cidr: IPv4Network | None = Field(
        None, description="Addresses of the endpoint, which backup pods' egress policy admits. Default: none "
        "(backups have no way out: `bp validate` reports the flow)."
    )
    credentials_secret: str = Field(
        description="Secret, in each team namespace, holding that team's own object-store key (ACCESS_KEY_ID/"
        "ACCESS_SECRET_KEY): the platform's onboarding creates one store user per stack, allowed only "
        "<bucket>/<team>-<env>/, and delivers its key there. Never a site-wide key. Required."
    )


class VsphereSite(Frozen):
    """A data center's vCenter."""

    vcenter: str = Field(description="vCenter server. Required.")
    datacenter: str = Field(description="vSphere datacenter object. Required.")
    supervisor: Supervisor = Field(description="The site's Supervisor. Required.")
    backup: BackupStore = Field(description="Object store for operator-run backups. Required.")


class VspherePool(Frozen):
    """A pool's vSphere inventory."""

    compute_cluster: str = Field(description="Compute cluster. Required.")
    datastore: str = Field(description="Datastore for VM disks. Required.")
    distributed_switch: str = Field(description="Distributed switch for team port groups. Required.")
    hosts: tuple[str, ...] = Field(description="ESXi hosts of the cluster. Required.", min_length=1)
    templates: tuple[str, ...] = Field(description="VM templates available in the pool. Required.")
    break_glass_ssh_keys: tuple[str, ...] = Field(
        (), description="The platform's break-glass SSH public keys for this pool's VMs: one site and tier each, so a "
        "leaked key opens one pool, not the fleet. Default: none (VMs take only the team's key).",
    )


class HubRouteTables(Frozen):
    """The hub's route tables: one per segment, prod and nonprod never routed to each other, and the interconnect."""

    prod: str = Field(description="Route table prod attachments associate with. Required.")
    nonprod: str = Field(description="Route table nonprod attachments associate with. Required.")
    interconnect: str = Field(description="Route table of Direct Connect and peerings; every attachment propagates into it. Required.")


class Hub(Frozen):
    """The region's network hub (built by the network-hub blueprint); ids are recorded here once it exists."""

    transit_gateway_id: str = Field(description="Transit Gateway id. Required.")
    direct_connect_gateway_id: str | None = Field(None, description="Direct Connect gateway. Default: none.")
    account_id: str | None = Field(
        None, description="Account that owns the hub, where team attachments are accepted and routed. Default: none.",
        pattern=r"^\d{12}$",
    )
    route_tables: HubRouteTables | None = Field(
        None, description="The hub's route tables; with account_id, team stacks associate their attachment. Default: none."
    )
    peering_attachments: dict[str, str] = Field(
        default_factory=dict,
        description="Peering attachments other hubs requested from this one, by the requester's AWS region. Default: none.",
    )


class Zone(Frozen):
    """An availability zone as one account sees it: names map to physical zones per account, zone IDs do not."""

    name: str = Field(description="Zone name in the pool's account, e.g. ap-northeast-1a. Required.",
                      pattern=r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$")
    id: str = Field(description="Zone ID, the same physical zone in every account, e.g. apne1-az4. Required.",
                    pattern=r"^[a-z]+\d-az\d+$")


class ZoneNotOffered(Frozen):
    """A zone of the region that stacks must not use: closed to new accounts, or refused by a service."""

    id: str = Field(description="Zone ID. Required.", pattern=r"^[a-z]+\d-az\d+$")
    name: str | None = Field(None, description="The name older accounts see it under. Default: none.")
    reason: str = Field(description="Why it is refused. Required.")
    source: str = Field(description="Where AWS says so. Required.", pattern=r"^https://\S+$")


class AwsSite(Frozen):
    """An AWS region used as a data center."""

    region: str = Field(description="AWS region, e.g. us-east-1. Required.")
    zones_not_offered: tuple[ZoneNotOffered, ...] = Field(
        (), description="Zones of the region a pool may not list, by ID (and name), with the source. Default: none."
    )
    hub: Hub | None = Field(None, description="Regional hub team VPCs attach to. Default: none.")
    api_allowed_cidrs: tuple[IPv4Network, ...] = Field(
        (), description="CIDRs allowed to reach nonprod cluster API endpoints. Default: none (private only)."
    )
    access_log_bucket: str | None = Field(
        None, description="The site's log-archive bucket that receives S3 server access logs where a zone requires "
        "them. Default: none (a zone that requires them cannot be stamped here).",
    )


class AwsPool(Frozen):
    """A pool's AWS account and zones."""

    account_id: str = Field(description="12-digit account id. Required.", pattern=r"^\d{12}$")
    availability_zones: tuple[Zone, ...] = Field(
        description="The account's zones stacks use, by name and zone ID (as DescribeAvailabilityZones lists them "
        "in that account), at least 3. Required.", min_length=3,
    )

    @property
    def zone_names(self) -> tuple[str, ...]:
        """The zone names, in order."""
        return tuple(z.name for z in self.availability_zones)


class Pool(Frozen):
    """A capacity pool: where stacks of one tier and set of compliance zones are placed."""

    name: str = Field(description="Pool name, unique in the map. Required.")
    tier: Tier = Field(description="prod or nonprod. Required.")
    compliance_zones: tuple[ComplianceZone, ...] = Field(description="Zones it is certified for. Required.", min_length=1)
    capacity: Capacity = Field(description="Total capacity. Required.")
    supernets: tuple[IPv4Network, ...] = Field(description="CIDRs team networks are carved from. Required.", min_length=1)
    vlans: VlanRange | None = Field(None, description="vSphere: VLAN ids for team port groups. Default: none.")
    vsphere: VspherePool | None = Field(None, description="vSphere inventory. Default: none.")
    aws: AwsPool | None = Field(None, description="AWS account and zones. Default: none.")
    shared_cluster: SharedCluster | None = Field(None, description="Cluster for team namespaces. Default: none.")


class DataCenter(Frozen):
    """An on-prem vSphere site or an AWS region."""

    name: str = Field(description="Short name, unique in the map (e.g. ny1, us-east-1). Required.")
    target: Target = Field(description="aws or vsphere. Required.")
    location: str = Field(description="City or area. Required.")
    vsphere: VsphereSite | None = Field(None, description="vCenter details (vsphere sites). Default: none.")
    aws: AwsSite | None = Field(None, description="Region details (AWS). Default: none.")
    pools: tuple[Pool, ...] = Field(description="Capacity pools. Required.", min_length=1)

    @model_validator(mode="after")
    def _target_details(self) -> "DataCenter":
        if getattr(self, self.target) is None:
            raise ValueError(f"data center {self.name}: target {self.target} needs a '{self.target}' section")
        for pool in self.pools:
            if getattr(pool, self.target) is None:
                raise ValueError(f"pool {pool.name}: a {self.target} pool needs a '{self.target}' section")
            if self.target == "vsphere" and pool.vlans is None:
                raise ValueError(f"pool {pool.name}: a vsphere pool needs 'vlans'")
            if self.target == "aws":
                _zones_offered(pool, self.aws)
        return self


def _zones_offered(pool: "Pool", site: AwsSite) -> None:
    """A pool lists distinct zones of its region, none of them one the region does not offer."""
    for kind in ("name", "id"):
        values = [getattr(z, kind) for z in pool.aws.availability_zones]
        if len(set(values)) != len(values):
            raise ValueError(f"pool {pool.name}: availability_zones repeat a zone {kind}")
    refused = {z.id: z for z in site.zones_not_offered} | {z.name: z for z in site.zones_not_offered if z.name}
    for zone in pool.aws.availability_zones:
        if not zone.name.startswith(site.region):
            raise ValueError(f"pool {pool.name}: zone {zone.name} is not in region {site.region}")
        bad = refused.get(zone.id) or refused.get(zone.name)
        if bad:
            raise ValueError(f"pool {pool.name}: zone {zone.name} ({zone.id}) is not offered: {bad.reason} "
                             f"(zones_not_offered, source: {bad.source})")


class Region(Frozen):
    """A geographic region."""

    name: str = Field(description="Region name (e.g. amer). Required.")
    data_centers: tuple[DataCenter, ...] = Field(description="Its data centers. Required.", min_length=1)


class Platform(Frozen):
    """Fleet-wide identities the components grant access to."""

    admin_group: str = Field(description="Group bound to admin in every team namespace. Required.")
    team_group_prefix: str = Field("team-", description="Team group is prefix + team. Default: 'team-'.")
    aws_deploy_role: str = Field(description="Role name assumed in each account to deploy. Required.")
    aws_admin_role: str = Field(description="Role name of platform admins in each account. Required.")
    aws_team_role_prefix: str = Field("team-", description="Team role is prefix + team. Default: 'team-'.")
    aws_organization_arn: str | None = Field(
        None, description="AWS Organization the regional hubs are shared with through RAM. Default: none (no share)."
    )
    ssh_public_keys: tuple[str, ...] = Field(
        (), description="Fleet-wide break-glass keys, read only for stacks stamped before each pool named its own "
        "(vsphere.break_glass_ssh_keys). Default: none."
    )
    secret_rotation_function: str = Field(
        "cloud-blueprints-elasticache-token-rotation", description="Lambda function, in every team account and region "
        "(the account bootstrap deploys it), that Secrets Manager calls to rotate an ElastiCache AUTH token: it sets "
        "the new token with AuthTokenUpdateStrategy ROTATE, then SET once clients use it. Default: "
        "cloud-blueprints-elasticache-token-rotation.",
    )
    secret_rotation_days: int = Field(30, description="Days between rotations of generated secrets. Default: 30.",
                                      ge=1, le=365)
    passwordless_sudo: tuple[str, ...] = Field(
        (), description="Stacks whose VMs keep passwordless sudo for their admin user, each a reviewed exception with a "
        "matching exemption of vsphere-vcenter-vm-no-passwordless-sudo (owner, reason, expiry). Default: none.",
    )


class MachineShape(Frozen):
    """A machine size the fleet offers: an EC2 instance type or a VKS VM class."""

    name: str = Field(description="Instance type (e.g. m6i.xlarge) or VM class size (e.g. large). Required.")
    vcpu: int = Field(description="vCPU. Required.", gt=0)
    memory_gib: int = Field(description="Memory, GiB. Required.", gt=0)


class PoolSize(Frozen):
    """Node counts of an autoscaled pool."""

    min: int = Field(description="Fewest nodes. Required.", ge=0)
    desired: int = Field(description="Nodes at creation. Required.", ge=1)
    max: int = Field(description="Most nodes. Required.", ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> "PoolSize":
        if not self.min <= self.desired <= self.max:
            raise ValueError(f"need min <= desired <= max, got {self.min}/{self.desired}/{self.max}")
        return self


class SystemPool(Frozen):
    """The node pool every dedicated EKS cluster gets for CoreDNS and the CSI controller."""

    instance_types: tuple[str, ...] = Field(description="Instance types of the pool. Required.", min_length=1)
    prod: PoolSize = Field(description="Node counts in prod. Required.")
    nonprod: PoolSize = Field(description="Node counts outside prod. Required.")


class ClusterNetworks(Frozen):
    """Networks that live only inside a dedicated cluster; they must not overlap any fleet network."""

    pods: IPv4Network = Field(description="Pod network of VKS clusters (EKS pods take VPC addresses). Required.")
    services: IPv4Network = Field(
        description="Service network of VKS and EKS clusters; EKS wants it inside 10/8, 172.16/12 or 192.168/16. Required."
    )
    service_domain: str = Field("cluster.local", description="Cluster DNS domain. Default: cluster.local.")


class EngineRelease(Frozen):
    """How each target delivers one promised engine version."""

    aws_version: str = Field(description="Engine version asked of RDS, ElastiCache or MSK (e.g. 16, 7.1, 3.9.x). Required.")
    operator_version: str | None = Field(
        None, description="Version an operator is asked for (Strimzi spec.kafka.version). Default: none (the image decides)."
    )
    image_line: str | None = Field(
        None, description="The release line (releases.lines) of its container image on Kubernetes: new stacks get the "
        "line's newest release, so the image is written once, under releases. Default: none (the operator's image)."
    )
    image: str | None = Field(
        None, description="Container image on Kubernetes, pinned by digest (repo:tag@sha256:...): the newest release of "
        "image_line, filled in when the sites map is read. Default: none (the operator's)."
    )

    @model_validator(mode="after")
    def _pinned(self) -> "EngineRelease":
        if self.image is not None and "@sha256:" not in self.image:
            raise ValueError(f"image {self.image} is not pinned by digest (repo:tag@sha256:...)")
        return self


class Quotas(Frozen):
    """Namespace quota constants that do not scale with the size class."""

    storage_gib: int = Field(description="Persistent storage a team namespace may claim, GiB. Required.", gt=0)
    max_pods: int = Field(description="Pods a team namespace may run. Required.", gt=0)
    container_cpu: int = Field(description="Largest CPU limit of one team container, unless a data service needs more. Required.", gt=0)
    container_memory_gib: int = Field(
        description="Largest memory limit of one team container, GiB, unless a data service needs more. Required.", gt=0
    )
    claim_gib: int = Field(description="Largest volume claim of a team, GiB, unless a data service needs more. Required.", gt=0)


class OperatorPods(Frozen):
    """Where a platform-run controller's pods live, as a NetworkPolicy peer names them."""

    namespace: str = Field(description="Its namespace. Required.")
    labels: dict[str, str] = Field(description="Labels of its pods. Required.")


class PlatformNetwork(Frozen):
    """The platform's side of every team namespace's fence: who the flows of the network intent meet."""

    dns: OperatorPods = Field(
        OperatorPods(namespace="kube-system", labels={"k8s-app": "kube-dns"}),
        description="Cluster DNS. Default: kube-system, k8s-app=kube-dns.",
    )
    cnpg_operator: OperatorPods = Field(
        OperatorPods(namespace="cnpg-system", labels={"app.kubernetes.io/name": "cloudnative-pg"}),
        description="The CloudNativePG operator (its Helm chart's labels). Default: cnpg-system.",
    )
    strimzi_operator: OperatorPods = Field(
        OperatorPods(namespace="strimzi", labels={"strimzi.io/kind": "cluster-operator"}),
        description="Strimzi's cluster operator (its install files' labels). Default: strimzi.",
    )
    app_ports: tuple[int, ...] = Field(
        (8080, 8443), description="Ports of team pods the ingress controller may reach; never a data service's. "
        "Default: 8080, 8443.", min_length=1,
    )
    eks_api_port: int = Field(443, description="Port of the EKS API server's interfaces. Default: 443.")
    vks_api_port: int = Field(6443, description="Port of a VKS cluster's API server. Default: 6443.")


class ZoneControls(Frozen):
    """What a compliance zone adds to every stack in it: settings the plan applies, policies that become mandatory."""

    regulated: bool = Field(False, description="A regulated zone (PCI DSS, SOX, HIPAA). Default: false.")
    shared_cluster: bool = Field(True, description="Stacks may live on a pool's shared cluster. Default: true.")
    separate_backups: bool = Field(
        False, description="Operator-run backups go to the zone's own bucket, encrypted under its key. Default: false."
    )
    s3_access_logs: bool = Field(False, description="S3 buckets log access to the site's log bucket. Default: false.")
    log_retention_days: int = Field(90, description="Least retention of logs, days. Default: 90.", ge=1)
    mandatory_policies: tuple[str, ...] = Field(
        (), description="Policies enforced as mandatory in the zone whatever their severity. Default: none."
    )


DATA_PROTECTION = ("aws-kms-key-rotation", "aws-ec2-vpc-flow-logs", "aws-cloudwatch-loggroup-retention",
                   "aws-s3-bucket-versioning", "aws-rds-instance-backup-retention")
"""Policies that protect data: mandatory in prod and in every regulated zone."""


def _regulated(retention_days: int) -> ZoneControls:
    return ZoneControls(regulated=True, shared_cluster=False, separate_backups=True, s3_access_logs=True,
                        log_retention_days=retention_days, mandatory_policies=DATA_PROTECTION)


DEFAULT_ZONES: dict[str, ZoneControls] = {
    "general": ZoneControls(),
    # PCI DSS 10.5.1: a year of audit logs; SOX: seven years of records; HIPAA 164.316(b)(2): six years.
    "pci": _regulated(365), "sox": _regulated(2557), "hipaa": _regulated(2192),
}


class Fleet(Frozen):
    """Fleet data the plan turns catalog promises into: machine shapes, engine releases, cluster networks."""

    aws_instance_types: tuple[MachineShape, ...] = Field(
        description="General-purpose EC2 types, smallest first; a node gets the smallest that fits. Required.", min_length=1
    )
    vm_classes: tuple[MachineShape, ...] = Field(
        description="VKS VM class sizes, smallest first; prefixed guaranteed- in prod, the Supervisor's family otherwise. Required.",
        min_length=1,
    )
    control_plane: MachineShape = Field(description="Shape of a VKS control-plane node (name unused). Required.")
    mhz_per_vcpu: int = Field(description="MHz one vCPU is worth in vSphere reservations and limits. Required.", gt=0)
    eks_system_pool: SystemPool = Field(description="The system pool of every dedicated EKS cluster. Required.")
    cluster_networks: ClusterNetworks = Field(description="Cluster-internal networks. Required.")
    quotas: Quotas = Field(description="Namespace quota constants. Required.")
    zones: dict[ComplianceZone, ZoneControls] = Field(
        default_factory=lambda: dict(DEFAULT_ZONES),
        description="Controls per compliance zone. Default: general adds nothing; pci, sox and hipaa are regulated.",
    )
    certificate_issuer: str = Field(
        "platform-ca", description="cert-manager ClusterIssuer that signs the server certificates of data services "
        "the platform runs without an operator of their own (Redis on Kubernetes). Default: platform-ca.",
    )
    network: PlatformNetwork = Field(
        PlatformNetwork(), description="Platform controllers and ports the namespaces' flows meet. Default: the stock ones."
    )
    engines: dict[str, dict[str, EngineRelease]] = Field(
        description="Per data-service kind, per promised version: how each target delivers it. Required."
    )


def _with_image(release: Any, lines: Mapping, where: str) -> Any:
    """An engine release (as read) with `image` taken from the newest release of the line it names."""
    if not isinstance(release, Mapping) or release.get("image_line") is None:
        return release
    line = lines.get(release["image_line"]) if isinstance(lines, Mapping) else None
    found = line.get("releases") if isinstance(line, Mapping) else None
    if not found or not isinstance(found[-1], Mapping):
        raise ValueError(f"{where}.image_line: {release['image_line']} is not a release line under releases.lines")
    newest = found[-1].get("value")
    if release.get("image") not in (None, newest):  # a dump read back repeats it; anything else is a second source
        raise ValueError(f"{where}.image: {release['image']} is not the newest release of {release['image_line']}; "
                         "give image_line alone")
    return {**release, "image": newest}


class SitesMap(Frozen):
    """The whole fleet."""

    platform: Platform = Field(description="Fleet-wide identities. Required.")
    fleet: Fleet = Field(description="Machine shapes, engine releases and cluster-internal networks. Required.")
    regions: tuple[Region, ...] = Field(description="Regions. Required.", min_length=1)
    operator: OperatorSettings | None = Field(
        None, description="Where fleet-wide `pulumi up` on the Pulumi Kubernetes Operator finds the fleet. Default: none."
    )
    support: Support | None = Field(
        None, description="Support calendar of the products the fleet runs, with sources. Default: none (no deadlines known)."
    )
    prices: Prices | None = Field(
        None, description="AWS prices per region and on-prem chargeback rates per tier, with sources. Default: none (no costs)."
    )
    releases: Releases | None = Field(
        None, description="Releases of images, VM templates and node images with the advisories they fix. Default: none."
    )

    @model_validator(mode="before")
    @classmethod
    def _newest_images(cls, data: Any) -> Any:
        """Fill each engine's image from the newest release of its `image_line`: one place for each digest."""
        if not isinstance(data, Mapping) or not isinstance(data.get("fleet"), Mapping):
            return data
        lines = ((data.get("releases") or {}).get("lines") or {}) if isinstance(data.get("releases"), Mapping) else {}
        engines = {kind: {version: _with_image(release, lines, f"fleet.engines.{kind}.{version}")
                          for version, release in (versions or {}).items()}
                   for kind, versions in (data["fleet"].get("engines") or {}).items()}
        return {**data, "fleet": {**data["fleet"], "engines": engines}}

    @model_validator(mode="after")
    def _images_released(self) -> "SitesMap":
        """Every image the fleet hands out is a listed release, so its source and the advisories it misses are known."""
        if self.releases is None:
            return self
        for kind, versions in self.fleet.engines.items():
            for version, release in versions.items():
                if release.image and self.releases.line_of(release.image) is None:
                    raise ValueError(f"fleet.engines.{kind}.{version}.image: {release.image.split('@')[0]} is not a "
                                     "release listed under releases.lines")
        return self

    @model_validator(mode="after")
    def _unique(self) -> "SitesMap":
        for kind, names in (("data center", [d.name for _, d in self.data_centers()]),
                            ("pool", [p.name for _, _, p in self.pools()])):
            dupes = {n for n in names if names.count(n) > 1}
            if dupes:
                raise ValueError(f"duplicate {kind} names: {sorted(dupes)}")
        return self

    @model_validator(mode="after")
    def _supernets_disjoint(self) -> "SitesMap":
        nets = sorted(((net, pool.name) for _, _, pool in self.pools() for net in pool.supernets),
                      key=lambda np: (int(np[0].network_address), np[0].prefixlen))
        for (a, pa), (b, pb) in zip(nets, nets[1:]):
            if a.overlaps(b):
                raise ValueError(f"supernet {a} of pool {pa} overlaps {b} of pool {pb}")
        return self

    @model_validator(mode="after")
    def _vlan_ranges_disjoint_per_switch(self) -> "SitesMap":
        by_switch: dict[str, list[tuple[VlanRange, str]]] = {}
        for _, dc, pool in self.pools():
            if dc.vsphere and pool.vsphere and pool.vlans:
                switch = f"{dc.vsphere.vcenter}/{pool.vsphere.distributed_switch}"
                by_switch.setdefault(switch, []).append((pool.vlans, pool.name))
        for switch, ranges in by_switch.items():
            ranges.sort(key=lambda rp: rp[0].first)
            for (a, pa), (b, pb) in zip(ranges, ranges[1:]):
                if b.first <= a.last:
                    raise ValueError(f"pools {pa} and {pb} share VLANs {b.first}-{min(a.last, b.last)} "
                                     f"on distributed switch {switch}")
        return self

    def fleet_networks(self) -> list[tuple[str, IPv4Network]]:
        """Every routed network of the fleet, named: pool supernets and shared-cluster networks."""
        return [(what, net) for what, net, _, _ in self._fleet_spans]

    def fleet_networks_overlapping(self, net: IPv4Network) -> list[tuple[str, IPv4Network]]:
        """The fleet networks (as `fleet_networks` names them, in its order) that overlap `net`."""
        first, last = int(net.network_address), int(net.broadcast_address)
        return [(what, other) for what, other, start, end in self._fleet_spans if start <= last and first <= end]

    @cached_property
    def _fleet_spans(self) -> list[tuple[str, IPv4Network, int, int]]:
        """fleet_networks with their address ranges as integers: every stack file is checked against them."""
        found = []
        for _, _, pool in self.pools():
            found += [(f"pool {pool.name} supernet", net) for net in pool.supernets]
            if pool.shared_cluster and pool.shared_cluster.cidr:
                found.append((f"shared cluster {pool.shared_cluster.name}", pool.shared_cluster.cidr))
        return [(what, net, int(net.network_address), int(net.broadcast_address)) for what, net in found]

    def data_centers(self) -> Iterator[tuple[Region, DataCenter]]:
        """Every data center with its region, in file order."""
        for region in self.regions:
            for dc in region.data_centers:
                yield region, dc

    def pools(self) -> Iterator[tuple[Region, DataCenter, Pool]]:
        """Every pool with its data center and region, in file order."""
        for region, dc in self.data_centers():
            for pool in dc.pools:
                yield region, dc, pool

    def find_pool(self, name: str) -> tuple[Region, DataCenter, Pool]:
        """A pool by name."""
        for found in self.pools():
            if found[2].name == name:
                return found
        raise BadInput(f"pool '{name}' is not in the sites map")

    def hubs(self) -> Iterator[tuple[DataCenter, Hub]]:
        """Every AWS data center with a hub, in file order."""
        for _, dc in self.data_centers():
            if dc.aws and dc.aws.hub:
                yield dc, dc.aws.hub

    def supernets(self, region: str, target: str) -> tuple[IPv4Network, ...]:
        """A region's supernets of one target: on-prem ones are what AWS networks route to over the hub."""
        return tuple(
            net
            for reg, dc, pool in self.pools()
            if reg.name == region and dc.target == target
            for net in pool.supernets
        )

    @cached_property
    def inventory(self) -> dict[str, frozenset[str]]:
        """Every vSphere object name per kind, for answering lookups offline."""
        kinds: dict[str, set[str]] = {k: set() for k in
                                      ("datacenter", "compute_cluster", "datastore", "distributed_switch", "host", "template")}
        for _, dc, pool in self.pools():
            if dc.vsphere and pool.vsphere:
                kinds["datacenter"].add(dc.vsphere.datacenter)
                kinds["compute_cluster"].add(pool.vsphere.compute_cluster)
                kinds["datastore"].add(pool.vsphere.datastore)
                kinds["distributed_switch"].add(pool.vsphere.distributed_switch)
                kinds["host"].update(pool.vsphere.hosts)
                kinds["template"].update(pool.vsphere.templates)
        return {k: frozenset(v) for k, v in kinds.items()}


def refuse_cluster_network_overlap(sites: SitesMap, source: Path) -> None:
    """A cluster-internal network that overlaps a fleet network would hide it from the cluster's pods."""
    nets = sites.fleet.cluster_networks
    for label, net in (("pods", nets.pods), ("services", nets.services)):
        clashes = sites.fleet_networks_overlapping(net)
        if clashes:
            what, other = clashes[0]
            line = yaml_io.line_of(yaml_io.load(source), ("fleet", "cluster_networks", label))  # the slow reader, for the line
            raise BadInput(f"fleet.cluster_networks.{label}: {net} overlaps {what} {other}", source, line)


_last_read: tuple[Path, bytes, SitesMap] | None = None
"""The file this process read last, its bytes and its map."""


def load_sites(path: Path | None = None) -> SitesMap:
    """Parse and validate a sites map.

    A file read again in this process with the same bytes gives the map already made (frozen, it is shared): a
    command and the policies' defaults both read the shipped map.
    """
    global _last_read
    source = sites_path(path)
    before = _bytes(source)
    if before is not None and _last_read is not None and _last_read[:2] == (source.resolve(), before):
        return _last_read[2]
    sites = yaml_io.parse(SitesMap, yaml_io.load_data(source), source)
    refuse_cluster_network_overlap(sites, source)
    if before is not None and _bytes(source) == before:  # what was parsed is what the key says
        _last_read = (source.resolve(), before, sites)
    return sites


def _bytes(source: Path) -> bytes | None:
    try:
        return source.read_bytes()
    except OSError:
        return None  # the reader says what is wrong with the file
