"""Which pool a placement goes to: every pool judged, the fitting ones ranked so that teams spread.

The rule: among the pools that fit (target, tier, compliance zone, region or site, free capacity), take the
one whose committed fraction would be lowest once this stack is added; the fraction is the larger of the
vCPU and memory shares, so the scarcer resource decides. Ties go to the pool that comes first in the sites
map. Further placements of an HA stack stay in the first one's region and take a data center not used yet.
Existing stacks are only counted, never moved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from blueprints.catalog import SizeClass
from blueprints.models import BlueprintRequest
from blueprints.sites import DataCenter, Pool, Region, SitesMap

RULE = "least committed fraction after placing (max of vCPU and memory share); ties: first in the sites map"


@dataclass(frozen=True)
class Usage:
    """What stacks commit in one pool."""

    vcpu: int = 0
    memory_gib: int = 0

    def plus(self, vcpu: int, memory_gib: int) -> "Usage":
        """This usage with one more stack."""
        return Usage(self.vcpu + vcpu, self.memory_gib + memory_gib)

    def fraction(self, pool: Pool) -> float:
        """The larger of the vCPU and memory shares of the pool's capacity."""
        return max(self.vcpu / pool.capacity.vcpu, self.memory_gib / pool.capacity.memory_gib)


@dataclass(frozen=True)
class Verdict:
    """One pool judged for one placement: whether it fits, and why or why not."""

    placement: int
    region: Region
    data_center: DataCenter
    pool: Pool
    fits: bool
    reason: str
    after: float
    """Committed fraction of the pool once this stack is added."""

    @property
    def capacity_only(self) -> bool:
        """Right kind of pool but full: worth naming when nothing fits."""
        return not self.fits and self.reason.startswith("full")


def _mismatch(request: BlueprintRequest, tier: str, region: Region, dc: DataCenter, pool: Pool,
              chosen: Sequence) -> str | None:
    """Why this pool is the wrong kind for the placement, or None."""
    if chosen:
        if region.name != chosen[0].region:
            return f"HA partner must be in region {chosen[0].region}"
        if dc.name in {p.data_center for p in chosen}:
            return f"data center {dc.name} already holds this stack; HA needs another"
    else:
        if request.region and region.name != request.region:
            return f"region {region.name}, not {request.region}"
        if request.site and dc.name != request.site:
            return f"site {dc.name}, not {request.site}"
    if dc.target != request.target:
        return f"target {dc.target}, not {request.target}"
    if pool.tier != tier:
        return f"tier {pool.tier}, not {tier}"
    if request.compliance_zone not in pool.compliance_zones:
        return f"not certified for zone {request.compliance_zone}"
    return None


def judge(request: BlueprintRequest, tier: str, size: SizeClass, sites: SitesMap, used: dict[str, Usage],
          chosen: Sequence = ()) -> list[Verdict]:
    """Every pool judged for the next placement: fitting pools first in rank order, then the rest in map order."""
    verdicts = []
    for order, (region, dc, pool) in enumerate(sites.pools()):
        now = used.get(pool.name, Usage())
        after = now.plus(size.vcpu, size.memory_gib)
        reason = _mismatch(request, tier, region, dc, pool, chosen)
        if reason is None and (after.vcpu > pool.capacity.vcpu or after.memory_gib > pool.capacity.memory_gib):
            free_cpu, free_mem = pool.capacity.vcpu - now.vcpu, pool.capacity.memory_gib - now.memory_gib
            reason = f"full: needs {size.vcpu} vCPU / {size.memory_gib} GiB, {free_cpu} vCPU / {free_mem} GiB free"
        fits = reason is None
        share = after.fraction(pool)
        if fits:
            reason = f"fits: {now.fraction(pool):.1%} committed, {share:.1%} after"
        verdicts.append((not fits, share if fits else 0.0, order,
                         Verdict(len(chosen), region, dc, pool, fits, reason, share)))
    return [v for *_, v in sorted(verdicts, key=lambda t: t[:3])]


def settle(verdicts: list[Verdict], chosen: str | None, rejected: Sequence[str]) -> list[Verdict]:
    """The verdicts as placement ended: the chosen pool says so; fitting pools IPAM turned down say why."""
    why = {r.split(" (", 1)[0]: r.split(" (", 1)[1].rstrip(")") for r in rejected if " (" in r}
    out = []
    for v in verdicts:
        if v.pool.name == chosen:
            v = replace(v, reason=f"chosen: {v.reason.removeprefix('fits: ')}")
        elif v.fits and v.pool.name in why:
            v = replace(v, fits=False, reason=f"{why[v.pool.name]}, though capacity fits")
        out.append(v)
    return out
