"""`bp fleet report`: what the fleet commits against what it has, who owns what, and which versions run.

Capacity is committed by every stack file present, retired or not: a retired stack still runs until it is
destroyed and its file removed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from blueprints.placement.capacity import pool_use
from fleet import exposure_report
from fleet.exposure_report import ExposureReport
from fleet.stamped import StampedFleet


@dataclass
class Utilisation:
    """Committed against total capacity of a pool, a data center or a region."""

    name: str
    """Pool, data center or region name."""
    vcpu: int = 0
    """vCPU committed by stacks."""
    vcpu_total: int = 0
    """vCPU the sites map gives it."""
    memory_gib: int = 0
    """Memory committed, GiB."""
    memory_total_gib: int = 0
    """Memory it has, GiB."""
    stacks: int = 0
    """Placements it holds."""
    detail: dict[str, str] = field(default_factory=dict)
    """Where it sits and what it is (region, data center, target, tier, zones)."""

    @property
    def share(self) -> float:
        """The larger of the vCPU and memory shares: what placement ranks pools by."""
        return max(self.vcpu / self.vcpu_total if self.vcpu_total else 0.0,
                   self.memory_gib / self.memory_total_gib if self.memory_total_gib else 0.0)

    def add(self, other: "Utilisation") -> None:
        """Fold a pool into its data center or region."""
        self.vcpu += other.vcpu
        self.vcpu_total += other.vcpu_total
        self.memory_gib += other.memory_gib
        self.memory_total_gib += other.memory_total_gib
        self.stacks += other.stacks


@dataclass(frozen=True)
class Team:
    """A team and what it runs."""

    team: str
    """Team name."""
    owners: tuple[str, ...]
    """Owner addresses across its stacks."""
    cost_centers: tuple[str, ...]
    """Cost centers charged."""
    stacks: tuple[str, ...]
    """Its stacks."""
    retired: tuple[str, ...]
    """Those of its stacks marked retired."""


@dataclass(frozen=True)
class VersionInUse:
    """A catalog version and how many stacks pin it."""

    ref: str
    """`name@version`."""
    stacks: int
    """Stacks that pin it."""
    status: str
    """current, deprecated (with the catalog's reason) or unknown."""


@dataclass
class FleetReport:
    """Everything the report shows, in every format."""

    stacks: int
    """Stack files read."""
    retired: int
    """Of those, marked retired (still deployed, still counted)."""
    regions: list[Utilisation]
    """Per region, in sites-map order."""
    data_centers: list[Utilisation]
    """Per data center, in sites-map order."""
    pools: list[Utilisation]
    """Per pool, in sites-map order."""
    teams: list[Team]
    """Per team, by name."""
    versions: list[VersionInUse]
    """Per pinned catalog version, by reference."""
    exposure: ExposureReport = field(default_factory=lambda: ExposureReport(0))
    """Stacks whose recorded releases miss an advisory, with the days to its deadline."""

    def as_json(self) -> dict:
        """Machine form, with each utilisation's share."""
        def util(u: Utilisation) -> dict:
            return {**asdict(u), "share": round(u.share, 4)}

        return {"stacks": self.stacks, "retired": self.retired,
                "regions": [util(u) for u in self.regions], "data_centers": [util(u) for u in self.data_centers],
                "pools": [util(u) for u in self.pools], "teams": [asdict(t) for t in self.teams],
                "versions": [asdict(v) for v in self.versions], "exposure": self.exposure.as_json()}


def _version_status(fleet: StampedFleet, ref: str) -> str:
    entry = next((e for e in fleet.catalog.entries if e.ref == ref), None)
    if entry is None:
        return "unknown"
    return f"deprecated: {entry.deprecated}" if entry.deprecated else "current"


def _teams(fleet: StampedFleet) -> list[Team]:
    by_team = defaultdict(list)
    for bp in fleet.stacks:
        by_team[bp.request.team].append(bp)
    return [Team(team=name,
                 owners=tuple(sorted({bp.request.owner for bp in stacks})),
                 cost_centers=tuple(sorted({bp.request.cost_center for bp in stacks})),
                 stacks=tuple(bp.stack for bp in stacks),
                 retired=tuple(bp.stack for bp in stacks if bp.retired))
            for name, stacks in sorted(by_team.items())]


def build(fleet: StampedFleet) -> FleetReport:
    """The report of a fleet: utilisation per pool, data center and region in sites-map order."""
    use = pool_use((pool for _, _, pool in fleet.sites.pools()), fleet.stacks)
    regions: dict[str, Utilisation] = {}
    dcs: dict[str, Utilisation] = {}
    pools = []
    for region, dc, pool in fleet.sites.pools():
        u = use[pool.name]
        row = Utilisation(pool.name, u.used_vcpu, u.vcpu, u.used_memory_gib, u.memory_gib, u.stacks,
                          {"region": region.name, "data_center": dc.name, "target": dc.target, "tier": pool.tier,
                           "zones": ", ".join(pool.compliance_zones)})
        pools.append(row)
        dcs.setdefault(dc.name, Utilisation(dc.name, detail={"region": region.name, "target": dc.target,
                                                             "location": dc.location})).add(row)
        regions.setdefault(region.name, Utilisation(region.name)).add(row)
    versions = Counter(bp.blueprint_ref for bp in fleet.stacks)
    return FleetReport(
        stacks=len(fleet.stacks),
        retired=sum(1 for bp in fleet.stacks if bp.retired),
        regions=list(regions.values()), data_centers=list(dcs.values()), pools=pools,
        teams=_teams(fleet),
        versions=[VersionInUse(ref, n, _version_status(fleet, ref)) for ref, n in sorted(versions.items())],
        exposure=exposure_report.build(fleet),
    )
