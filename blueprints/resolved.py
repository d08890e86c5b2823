"""The resolved blueprint: request + catalog entry + placement + network, the stack program's single input."""

from __future__ import annotations

from datetime import date
from ipaddress import IPv4Network
from typing import Literal

from pydantic import Field

from blueprints.catalog import BlueprintSpec, SizeClass
from blueprints.models import BlueprintRequest, DataServiceKind, Frozen, Reason, Size, Target, is_prod
from blueprints.decisions import Decisions
from blueprints.sites import BackupStore, Hub, Platform, SharedCluster, Supervisor, Tier
from blueprints.versions import Move

API_VERSION = "cloud-blueprints.io/v1"
CONFIG_KEY = "cloud-blueprints:blueprint"


class NetworkAllocation(Frozen):
    """Addresses handed to one placement by IPAM."""

    cidr: IPv4Network = Field(description="The stack's network, carved from the pool's supernets. Required.")
    vlan: int | None = Field(None, description="vSphere: VLAN id of the team port group. Default: none.")


class PeerHub(Frozen):
    """Another AWS region's hub the regional hub peers with."""

    region: str = Field(description="The peer's AWS region. Required.")
    transit_gateway_id: str = Field(description="The peer's Transit Gateway. Required.")
    account_id: str | None = Field(None, description="The peer hub's account. Default: none (this account).")
    prod_cidrs: tuple[IPv4Network, ...] = Field((), description="The peer's prod supernets. Default: none.")
    nonprod_cidrs: tuple[IPv4Network, ...] = Field((), description="The peer's nonprod supernets. Default: none.")


class AwsPlacement(Frozen):
    """Where in AWS."""

    region: str = Field(description="AWS region. Required.")
    account_id: str = Field(description="Account the stack deploys into. Required.")
    availability_zones: tuple[str, ...] = Field(description="AZs of the pool. Required.")
    hub: Hub | None = Field(None, description="Regional hub to attach to. Default: none.")
    api_allowed_cidrs: tuple[IPv4Network, ...] = Field((), description="Nonprod API endpoint allow-list. Default: none.")
    interconnect_cidrs: tuple[IPv4Network, ...] = Field((), description="On-prem supernets routed via the hub. Default: none.")
    aws_supernets: tuple[IPv4Network, ...] = Field((), description="The region's AWS supernets (hub advertisements). Default: none.")
    peer_hubs: tuple[PeerHub, ...] = Field((), description="Network hub stacks: the other regions' hubs. Default: none.")
    access_log_bucket: str | None = Field(None, description="The site's S3 access-log bucket. Default: none.")


class VspherePlacement(Frozen):
    """Where in vSphere."""

    vcenter: str = Field(description="vCenter server. Required.")
    datacenter: str = Field(description="Datacenter object. Required.")
    compute_cluster: str = Field(description="Compute cluster. Required.")
    datastore: str = Field(description="Datastore. Required.")
    distributed_switch: str = Field(description="Distributed switch. Required.")
    hosts: int | None = Field(
        None, description="ESXi hosts of the compute cluster when stamped: one anti-affinity rule spreads at most this "
        "many VMs. Default: unknown (stamped before hosts were recorded: one rule per site).", ge=1,
    )
    supervisor: Supervisor = Field(description="The site's Supervisor. Required.")
    backup: BackupStore = Field(description="Object store for operator-run backups. Required.")
    break_glass_ssh_keys: tuple[str, ...] = Field(
        (), description="The pool's break-glass SSH public keys when stamped. Default: none (stamped before pools "
        "named their own: the platform's fleet-wide keys).",
    )


class Placement(Frozen):
    """One pool a stack is placed in, with its network."""

    region: str = Field(description="Region of the sites map. Required.")
    data_center: str = Field(description="Data center. Required.")
    pool: str = Field(description="Capacity pool. Required.")
    target: Target = Field(description="aws or vsphere. Required.")
    tier: Tier = Field(description="prod or nonprod. Required.")
    aws: AwsPlacement | None = Field(None, description="AWS details. Default: none.")
    vsphere: VspherePlacement | None = Field(None, description="vSphere details. Default: none.")
    shared_cluster: SharedCluster | None = Field(None, description="The pool's shared cluster. Default: none.")
    network: NetworkAllocation | None = Field(None, description="IPAM result. Default: none (no network needed).")


class ResolvedDataService(Frozen):
    """A data service with its size class resolved."""

    kind: DataServiceKind = Field(description="Engine. Required.")
    size: Size = Field(description="Size letter. Required.")
    vcpu: int = Field(description="vCPU per instance or broker. Required.")
    memory_gib: int = Field(description="Memory per instance or broker, GiB. Required.")
    storage_gib: int = Field(description="Storage per instance or broker, GiB. Required.")
    aws_class: str | None = Field(None, description="AWS instance, node or broker class. Default: none (not on AWS).")
    version: str | None = Field(None, description="Engine version promised. Default: none (object storage).")
    replicas: int = Field(1, description="Copies of the data on this stack's target and tier. Default: 1.", ge=1)
    backup_retention_days: int | None = Field(
        None, description="Days backups (or object versions) are kept. Default: none (no backups)."
    )


class Retirement(Frozen):
    """`bp retire`: the stack is being taken down; it keeps its capacity and networks until its file is deleted."""

    since: date = Field(description="Day it was marked retired. Required.")
    reason: Reason = Field(description="Why, for reviewers and the fleet report (a line of printable text). Required.")


class ResolvedBlueprint(Frozen):
    """Everything the stack program needs, decided once by `bp new` and reviewed in a pull request."""

    api_version: Literal["cloud-blueprints.io/v1"] = Field(API_VERSION, description="Schema of this document. Default: v1.")
    request: BlueprintRequest = Field(description="The request, with blueprint pinned to name@version and target set. Required.")
    spec: BlueprintSpec = Field(description="What to build, copied from the catalog entry. Required.")
    size: SizeClass = Field(description="The size class resolved. Required.")
    parameters: dict[str, str | int | bool] = Field(description="Every declared parameter with its value. Required.")
    data_services: tuple[ResolvedDataService, ...] = Field((), description="Data services to build. Default: none.")
    placements: tuple[Placement, ...] = Field(description="Primary placement first; a second one for HA. Required.", min_length=1)
    platform: Platform = Field(description="Fleet-wide identities. Required.")
    decisions: Decisions = Field(description="The fleet values the components build (machines, images, networks), "
                                 "decided from the sites map when stamped. Required.")
    retirement: Retirement | None = Field(None, description="Set by `bp retire`. Default: none (in service).")
    moves: tuple[Move, ...] = Field((), description="Resources the version renamed, kept in place by aliases. Default: none.")

    @property
    def stack(self) -> str:
        """`<team>-<env>`."""
        return self.request.stack

    @property
    def prod(self) -> bool:
        """Whether this is a production stack."""
        return is_prod(self.request.env)

    @property
    def retired(self) -> bool:
        """Whether `bp retire` marked it: still deployed and still holding its allocations."""
        return self.retirement is not None

    @property
    def primary(self) -> Placement:
        """The first placement."""
        return self.placements[0]

    @property
    def blueprint_ref(self) -> str:
        """`name@version`."""
        return self.request.blueprint

    def renames(self) -> dict[str, str]:
        """Old logical name -> the name this version gives the resource, for this stack."""
        return dict(move.names(self.stack) for move in self.moves)

    def tags(self) -> dict[str, str]:
        """Ownership tags every taggable resource carries."""
        return ownership_tags(self.request)


TAG_FIELDS = {"team": "team", "owner": "owner", "cost-center": "cost_center", "env": "env", "blueprint": "blueprint",
              "compliance-zone": "compliance_zone"}
"""Ownership tag key -> the request field whose value it carries."""


def ownership_tags(request: BlueprintRequest) -> dict[str, str]:
    """The ownership tags a request's resources carry (what `bp new` checks against the providers' tag rules)."""
    tags = {key: str(getattr(request, name)) for key, name in TAG_FIELDS.items()}
    return {**tags, "managed-by": "cloud-blueprints"}
