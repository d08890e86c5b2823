"""What every target's plan holds: the team, its cluster's pools, its namespace, its data services' promise.

Plain frozen dataclasses and no Pulumi. Each target's module (`aws.py`, `vsphere.py`) adds one type per
implementation on top of these, and the helpers here that both targets share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from blueprints.decisions import EngineDecision
from blueprints.errors import BadInput
from blueprints.plan.flows import Flow, fence_flows
from blueprints.resolved import Placement, ResolvedBlueprint, ResolvedDataService
from blueprints.sites import DATA_PROTECTION, DEFAULT_ZONES, MachineShape, SharedCluster, ZoneControls

KAFKA_CONTROLLER_STORAGE_GIB = 10
"""Metadata volume of one KRaft controller."""


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
class SharedClusterPlan:
    """A namespace on the pool's shared cluster, on either target."""

    kind: ClassVar[str] = "shared"
    shared: SharedCluster
    """The pool's shared cluster (its name, kubeconfig context and network)."""


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
    flows: tuple[Flow, ...] = ()
    """The network intent: every connection through the fence besides the namespace's own (blueprints.plan.flows)."""


@dataclass(frozen=True, kw_only=True)
class DataServicePlan:
    """The catalog's promise of one data service, the same on every target; each implementation adds its own."""

    kind: ClassVar[str]
    """postgres, redis, kafka or object-storage: the contract (components.contracts) it fulfils."""
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


@dataclass(frozen=True)
class ZonePlan:
    """The stack's compliance zone and what it adds (sites map fleet.zones)."""

    name: str
    """general, pci, sox or hipaa."""
    regulated: bool
    """A regulated zone."""
    log_retention_days: int
    """Least retention of logs, days."""
    mandatory_policies: tuple[str, ...]
    """Policies mandatory for this stack: the zone's, and the data-protection ones in prod."""


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
    tenancy: TenancyPlan | None
    """The team namespace; None: none."""
    zone: ZonePlan
    """The compliance zone's settings and mandatory policies."""


def team(bp: ResolvedBlueprint, cluster: object | None, services: tuple, in_namespace: bool,
         flows: tuple[Flow, ...] = ()) -> dict:
    """The fields of a target's plan that every target fills alike; `in_namespace`: the services' pods count
    against the namespace quota (operator-run services); `flows`: the target's own network intent."""
    return dict(
        stack=bp.stack, blueprint=bp.blueprint_ref, prod=bp.prod, tags=bp.tags(), cluster=cluster, zone=zone_plan(bp),
        tenancy=_tenancy(bp, services if in_namespace else (), flows) if bp.spec.namespace and cluster else None,
        data_services=services,
    )


def zone_controls(bp: ResolvedBlueprint) -> ZoneControls:
    """The controls of the stack's compliance zone, as recorded when stamped (stock ones for older stacks)."""
    zone = bp.request.compliance_zone
    if bp.decisions.zone is not None:
        return bp.decisions.zone
    if zone not in DEFAULT_ZONES:
        raise PlanError(f"compliance_zone: the stack records no controls for zone {zone} (decisions.zone)")
    return DEFAULT_ZONES[zone]


def zone_plan(bp: ResolvedBlueprint) -> ZonePlan:
    """What the zone adds; in prod, whatever protects data is mandatory too."""
    controls = zone_controls(bp)
    mandatory = set(controls.mandatory_policies) | (set(DATA_PROTECTION) if bp.prod else set())
    return ZonePlan(name=bp.request.compliance_zone, regulated=controls.regulated,
                    log_retention_days=controls.log_retention_days, mandatory_policies=tuple(sorted(mandatory)))


def _tenancy(bp: ResolvedBlueprint, in_namespace: tuple, flows: tuple[Flow, ...]) -> TenancyPlan:
    """The namespace quota: the size class plus every data-service pod and volume that runs inside it."""
    pods = [(s, s.replicas + s.controllers) for s in in_namespace]
    volumes = sum(s.storage_gib * s.replicas + KAFKA_CONTROLLER_STORAGE_GIB * s.controllers for s in in_namespace)
    quotas = recorded(bp, "quotas")
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
        ingress_namespace=parameter(bp, "ingress_namespace"),
        renames=bp.renames(),
        flows=fence_flows(bp, parameter(bp, "ingress_namespace")) + flows,
    )


def parameter(bp: ResolvedBlueprint, name: str) -> str:
    """A parameter the plan needs; the catalog entry must declare it."""
    if name not in bp.parameters:
        raise PlanError(f"parameters.{name}: {bp.blueprint_ref} must declare it for what its spec builds")
    return str(bp.parameters[name])


def release(bp: ResolvedBlueprint, ds: ResolvedDataService) -> EngineDecision | None:
    """The recorded release of the promised version; None when the promise names no version."""
    if ds.version is None:
        return None
    found = bp.decisions.engine(ds.kind, ds.version)
    if found is None:
        raise PlanError(f"data_services.{ds.kind}: the stack records no release of {ds.kind} {ds.version} "
                        "(decisions.engines)")
    return found


def recorded(bp: ResolvedBlueprint, name: str):
    """A decision the plan needs; PlanError when the stack file does not record it."""
    value = getattr(bp.decisions, name)
    if value is None:
        raise PlanError(f"decisions.{name}: the stack records none, and {bp.blueprint_ref} builds with it")
    return value


def implementation(offered: dict[str, type], ds: ResolvedDataService, target: str) -> type:
    """The plan type of a data service on a target: an unknown kind is refused, never guessed."""
    if ds.kind not in offered:
        raise PlanError(f"data_services.{ds.kind}: is not offered on {target}")
    return offered[ds.kind]


def promise(ds: ResolvedDataService) -> dict:
    """The fields of DataServicePlan."""
    return dict(size=ds.size, vcpu=ds.vcpu, memory_gib=ds.memory_gib, storage_gib=ds.storage_gib,
                version=ds.version, replicas=ds.replicas, backup_retention_days=ds.backup_retention_days)


def smallest(shapes: tuple[MachineShape, ...], vcpu: int, memory_gib: int, what: str) -> str:
    """The smallest shape with at least `vcpu` and `memory_gib`."""
    for shape in shapes:
        if shape.vcpu >= vcpu and shape.memory_gib >= memory_gib:
            return shape.name
    raise PlanError(f"{what}: no machine of the fleet has {vcpu} vCPU and {memory_gib} GiB")


def _taint(text: str) -> Taint:
    key_value, _, effect = text.rpartition(":")
    key, _, value = key_value.partition("=")
    return Taint(key=key, value=value or None, effect=effect)  # type: ignore[arg-type]


def node_pools(bp: ResolvedBlueprint, machine: str, autoscale: bool) -> tuple[NodePoolPlan, ...]:
    """The catalog's pools; pools with a fixed count stay fixed, the others may double (EKS)."""
    spot = bp.parameters.get("spot_general_pool") is True
    pools = []
    for pool in bp.spec.node_pools:
        nodes = pool.nodes or bp.size.nodes
        sized = pool.nodes is None
        pools.append(NodePoolPlan(
            name=pool.name, machines=(machine,), nodes=nodes, min_nodes=nodes,
            max_nodes=nodes * 2 if autoscale and sized else nodes, disk_gib=bp.size.disk_gib,
            imds_hop_limit=bp.spec.hop_limit(pool), labels=dict(pool.labels),
            taints=tuple(_taint(t) for t in pool.taints), spot=(pool.spot or spot) and sized and not bp.prod,
        ))
    return tuple(pools)


def shared_cluster(bp: ResolvedBlueprint, place: Placement) -> SharedClusterPlan:
    """The pool's shared cluster, which the sites map must name."""
    if place.shared_cluster is None:
        raise PlanError(f"placements[0]: pool {place.pool} has no shared cluster for {bp.blueprint_ref}")
    if not zone_controls(bp).shared_cluster:
        raise PlanError(f"compliance_zone: {bp.request.compliance_zone} allows no shared cluster (sites map fleet.zones); "
                        f"{bp.blueprint_ref} runs on one: choose a blueprint with a dedicated cluster")
    return SharedClusterPlan(shared=place.shared_cluster)
