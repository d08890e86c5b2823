"""Deciding a stack's fleet values from the request and the sites map, and telling when a record is stale.

`decide` is what `bp new` runs once; the plan then reads the recorded `Decisions`. `stale` recomputes them from
the stack's request and today's sites map: every difference is a change a reviewer must approve (`bp fleet check`
reports it, `bp fleet patch` proposes it), never one the program makes on its own.
"""

from __future__ import annotations

from blueprints.decisions import Decisions, EngineDecision, SystemPoolDecision
from blueprints.plan.shared import PlanError, smallest
from blueprints.releases import Releases
from blueprints.resolved import ResolvedBlueprint, ResolvedDataService
from blueprints.sites import Fleet


def decide(bp: ResolvedBlueprint, fleet: Fleet, releases: Releases | None = None) -> Decisions:
    """The fleet values the stack's components use, chosen from `fleet` and the newest of `releases`.

    PlanError names what the fleet lacks. Without `releases` (a file stamped before releases were data), the VM
    template is the one the request names.
    """
    dedicated = bp.spec.cluster == "dedicated"
    aws = bp.primary.target == "aws"
    machines: dict = {}
    if dedicated:
        machines = _eks_machines(bp, fleet) if aws else _vks_machines(bp, fleet)
    on_vsphere = not aws and (bp.spec.vm_pool or dedicated)
    return Decisions(
        **machines,
        **(_kubernetes(bp, kubernetes_minor(bp), releases) if dedicated else {}),
        cluster_networks=fleet.cluster_networks if dedicated else None,
        mhz_per_vcpu=fleet.mhz_per_vcpu if on_vsphere else None,
        quotas=fleet.quotas if bp.spec.namespace and bp.spec.cluster != "none" else None,
        engines=tuple(_engine(fleet, ds, aws) for ds in bp.data_services if ds.version is not None),
        vm_template=_template(bp, releases) if bp.spec.vm_pool and "template" in bp.parameters else None,
        network=fleet.network, zone=fleet.zones.get(bp.request.compliance_zone),
        certificate_issuer=fleet.certificate_issuer,
    )


KUBERNETES_DECISIONS = ("kubernetes_version", "eks_addons", "node_image")
"""The decisions one Kubernetes hop changes; the rest of the record stays as it is."""


def minor_key(version: str) -> tuple[int, int]:
    """`1.34` as (1, 34), to compare minors."""
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def minors_between(low: str, high: str) -> tuple[str, ...]:
    """Every minor after `low` up to `high` (`1.31`, `1.34` -> 1.32, 1.33, 1.34): one hop each."""
    major, first = minor_key(low)
    return tuple(f"{major}.{m}" for m in range(first + 1, minor_key(high)[1] + 1))


def kubernetes_minor(bp: ResolvedBlueprint) -> str | None:
    """The minor a dedicated cluster is decided at: the blueprint's, or the recorded one when that is newer.

    A cluster is never moved down (EKS and Cluster API refuse a downgrade), and one moved part of the way to a
    newer blueprint (a hop of `bp fleet upgrade`) keeps the minor it has reached.
    """
    spec, recorded = bp.spec.kubernetes_version, bp.decisions.kubernetes_version
    if spec and recorded and minor_key(recorded) > minor_key(spec):
        return recorded
    return spec


def _kubernetes(bp: ResolvedBlueprint, minor: str | None, releases: Releases | None) -> dict:
    """The minor, and on EKS the add-on versions and newest node image that go with it."""
    eks = releases.eks.get(minor) if releases and minor and bp.primary.target == "aws" else None
    line = releases.lines.get(eks.node_image) if eks and eks.node_image else None
    return {"kubernetes_version": minor, "eks_addons": dict(eks.addons) if eks else None,
            "node_image": line.newest().value if line else None}


def hop(bp: ResolvedBlueprint, minor: str, releases: Releases | None) -> ResolvedBlueprint:
    """The stack with its cluster moved to `minor` (one hop), its add-ons and node image with it; nothing else."""
    moved = _kubernetes(bp, minor, releases)
    return bp.model_copy(update={"decisions": bp.decisions.model_copy(update=moved)})


def _template(bp: ResolvedBlueprint, releases: Releases | None) -> str:
    """The newest build of the template family the request names (`rhel-9-cis` -> `rhel-9-cis-2026.11`)."""
    family = str(bp.parameters["template"])
    line = releases.lines.get(family) if releases else None
    return line.newest().value if line and line.kind == "vm-template" else family


def _eks_machines(bp: ResolvedBlueprint, fleet: Fleet) -> dict:
    system = fleet.eks_system_pool
    counts = system.prod if bp.prod else system.nonprod
    return dict(node_machine=smallest(fleet.aws_instance_types, bp.size.node_vcpu, bp.size.node_memory_gib, "size"),
                system_pool=SystemPoolDecision(instance_types=system.instance_types, **counts.model_dump()))


def _vks_machines(bp: ResolvedBlueprint, fleet: Fleet) -> dict:
    vs = bp.primary.vsphere
    if vs is None:
        raise PlanError(f"placements[0]: pool {bp.primary.pool} has no vSphere details")
    family = "guaranteed" if bp.prod else vs.supervisor.vm_class_prefix  # guaranteed classes in prod
    plane = fleet.control_plane
    return dict(
        node_machine=f"{family}-{smallest(fleet.vm_classes, bp.size.node_vcpu, bp.size.node_memory_gib, 'size')}",
        control_plane_class=f"{family}-{smallest(fleet.vm_classes, plane.vcpu, plane.memory_gib, 'fleet.control_plane')}",
    )


def _engine(fleet: Fleet, ds: ResolvedDataService, aws: bool) -> EngineDecision:
    found = fleet.engines.get(ds.kind, {}).get(ds.version)
    if found is None:
        raise PlanError(f"data_services.{ds.kind}: the fleet has no release of {ds.kind} {ds.version} (sites map fleet.engines)")
    if aws:
        return EngineDecision(kind=ds.kind, version=ds.version, aws_version=found.aws_version)
    return EngineDecision(kind=ds.kind, version=ds.version, image=found.image, operator_version=found.operator_version)


def stale(bp: ResolvedBlueprint, fleet: Fleet, releases: Releases | None = None) -> dict[str, tuple[object, object]]:
    """Recorded value -> today's decision, per field that differs (`engines.redis.7.image`); empty when current."""
    return differences(bp.decisions, decide(bp, fleet, releases))


def differences(was: Decisions, now: Decisions) -> dict[str, tuple[object, object]]:
    """Old value -> new value, per decision that differs (`engines.redis.7.image`, `vm_template`)."""
    return {path: (old, new) for path, old, new in _differences("", was.model_dump(mode="json"),
                                                                   now.model_dump(mode="json"))}


def _differences(prefix: str, was, now):
    if was == now:  # most of a record is unchanged: compared whole, not walked
        return
    if isinstance(was, dict) and isinstance(now, dict):
        for key in sorted(set(was) | set(now)):
            yield from _differences(f"{prefix}.{key}" if prefix else key, was.get(key), now.get(key))
    elif prefix == "engines" and isinstance(was, list) and isinstance(now, list):
        by = lambda items: {f"{e['kind']}.{e['version']}": e for e in items}
        yield from _differences(prefix, by(was), by(now))
    elif was != now:
        yield prefix, was, now
