"""Patch planning benchmark: a synthetic fleet gets a critical Postgres advisory and a new RHEL template.

    python -m bench.patch [--stacks N] [--budget B]

Stamps N stacks (default 1,522, the reference fleet) in memory over every region, both targets and all envs,
then publishes tomorrow's releases: a Postgres image for every major fixing a critical advisory (a synthetic id,
CVE-2099-0001) and `rhel-9-cis-2027.01`. Timed: deciding every stack against the new sites map (what differs,
machines each move replaces) and cutting the waves within the repave budget. Not timed: the offline diff per
stack, which is `bp fleet preview`'s cost and is measured by bench.fleet. Checks the plan: no data center over
the budget on any day, and the days equal the per-data-center lower bound.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from datetime import date
from itertools import cycle

from blueprints.catalog import Catalog
from blueprints.models import BlueprintRequest
from blueprints.placement.allocation_index import AllocationIndex
from blueprints.placement.resolve import resolve
from blueprints.plan import decide, differences
from blueprints.releases import Release, ReleaseLine
from blueprints.sites import load_sites
from lifecycle.patch import DEFAULT_BUDGET, repaves
from lifecycle.rollout import ENVS
from lifecycle.waves import Member, plan_waves

MIX = (("web-service", "aws", "M"), ("vm-app", "vsphere", "M"), ("data-platform", "vsphere", "M"),
       ("data-platform", "aws", "S"), ("web-service", "vsphere", "S"), ("vm-app", "vsphere", "S"))
ADVISORY = {"id": "CVE-2099-0001", "severity": "critical"}


def stamp(stacks: int, catalog: Catalog, sites) -> list:
    """`stacks` stacks placed one after another, as `bp new` places them."""
    regions, envs = cycle(r.name for r in sites.regions), cycle(ENVS)
    index = AllocationIndex()
    for i, (blueprint, target, size) in zip(range(stacks), cycle(MIX)):
        request = BlueprintRequest(team=f"team{i:04d}", env=next(envs), blueprint=blueprint, target=target,
                                   region=next(regions), size=size, owner="lead@example.com", cost_center="CC-1")
        index.add(resolve(request, catalog, sites, index))
    return list(index)


def tomorrow(sites):
    """The sites map with the new Postgres images (critical fix) and the new RHEL template published."""
    lines, engines = dict(sites.releases.lines), {k: dict(v) for k, v in sites.fleet.engines.items()}
    for major, release in engines["postgres"].items():
        image = release.image.split("@")[0] + "-p1@sha256:" + format(int(major), "x").rjust(64, "0")
        name = f"postgres-{major}-image"
        lines[name] = _added(lines[name], Release(version="patched", value=image, published=date(2026, 12, 6),
                                                  fixes=(ADVISORY,), source="synthetic (bench)"))
        engines["postgres"][major] = release.model_copy(update={"image": image})
    lines["rhel-9-cis"] = _added(lines["rhel-9-cis"], Release(version="2027.01", value="rhel-9-cis-2027.01",
                                                             published=date(2026, 12, 6), source="synthetic (bench)"))
    return sites.model_copy(update={"releases": sites.releases.model_copy(update={"lines": lines}),
                                    "fleet": sites.fleet.model_copy(update={"engines": engines}),
                                    "regions": _published(sites.regions, "rhel-9-cis-2027.01")})


def _published(regions, template: str):
    """Every on-prem pool with the new template, as the template pipeline publishes it to every data center."""
    def pool(p):
        return p.model_copy(update={"vsphere": p.vsphere.model_copy(
            update={"templates": (*p.vsphere.templates, template)})}) if p.vsphere else p

    return tuple(r.model_copy(update={"data_centers": tuple(
        dc.model_copy(update={"pools": tuple(pool(p) for p in dc.pools)}) for dc in r.data_centers)}) for r in regions)


def _added(line: ReleaseLine, release: Release) -> ReleaseLine:
    return line.model_copy(update={"releases": (*line.releases, release)})


def plan(stacks: list, sites, budget: int) -> tuple[list, dict]:
    """Decide every stack against `sites`, then cut the waves: what `bp fleet patch plan` does before its diffs."""
    members, moved = [], Counter()
    for bp in stacks:
        after = bp.model_copy(update={"decisions": decide(bp, sites.fleet, sites.releases)})
        changes = differences(bp.decisions, after.decisions)
        if changes:
            moved.update(changes.keys())
            members.append(Member(bp.stack, bp.request.env, bp.primary.data_center,
                                  tuple(sorted(repaves(bp, after).items()))))
    return plan_waves(members, ENVS, 10, budget), {"members": members, "changes": moved}


def run(stacks: int, budget: int) -> dict:
    catalog, sites = Catalog(), load_sites()
    t0 = time.perf_counter()
    fleet = stamp(stacks, catalog, sites)
    stamped_s = time.perf_counter() - t0
    new = tomorrow(sites)
    t0 = time.perf_counter()
    waves, shape = plan(fleet, new, budget)
    planned_s = time.perf_counter() - t0
    by_stack = {m.stack: m for m in shape["members"]}
    worst = 0
    for wave in waves:
        use = Counter()
        for s in wave.stacks:
            use.update(dict(by_stack[s].repaves))
        worst = max(worst, *use.values(), 0)
    assert worst <= budget, f"a day replaces {worst} machines in one data center, over {budget}"
    return {"stacks": stacks, "moving": len(by_stack), "budget_per_dc_day": budget, "days": len(waves),
            "max_replaced_per_dc_day": worst, "machines_replaced": sum(n for m in by_stack.values() for _, n in m.repaves),
            "lower_bound_days_per_group": _bound(waves, by_stack, budget), "stamp_seconds": round(stamped_s, 2),
            "plan_seconds": round(planned_s, 3), "changes": dict(shape["changes"].most_common(6))}


def _bound(waves, by_stack, budget: int) -> int:
    """The fewest days any schedule needs: per env and kind, the busiest data center's machines over the budget."""
    total = 0
    groups: dict[tuple, Counter] = {}
    for wave in waves:
        use = groups.setdefault((wave.env, wave.kind), Counter())
        for s in wave.stacks:
            use.update(dict(by_stack[s].repaves))
    for use in groups.values():
        total += max(1, max((math.ceil(n / budget) for n in use.values()), default=1))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=1522)
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET)
    args = parser.parse_args()
    print(json.dumps(run(args.stacks, args.budget), indent=1))


if __name__ == "__main__":
    main()
