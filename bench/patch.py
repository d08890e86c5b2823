"""Patch planning benchmark: a synthetic fleet gets a critical Postgres advisory and a new RHEL template.

    python -m bench.patch [--stacks N] [--budget B]

Stamps N stacks (default 1,522, the reference fleet) into a scratch repository over every region, both targets
and all envs, some VM apps highly available over two data centers, then publishes tomorrow's releases: a Postgres
image for every major fixing a critical advisory (a synthetic id, CVE-2099-0001) and `rhel-9-cis-2027.01`.
Timed: `bp fleet patch plan` as the command runs it (`plan_patch`): reading every stack file, deciding each against
the new sites map, the offline diff of every stack that moves (one render per class of move, lifecycle/
diff_classes.py) and cutting the waves within the repave budget. Checks the plan: no data center over the budget
on any day, no wave with two data centers of one HA stack, and the days equal the per-group lower bound.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from collections import Counter
from datetime import date
from itertools import cycle
from pathlib import Path

from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest
from blueprints.placement.allocation_index import AllocationIndex
from blueprints.placement.resolve import resolve
from blueprints.releases import Release, ReleaseLine
from blueprints.sites import load_sites
from lifecycle.patch import DEFAULT_BUDGET, changes, plan_patch
from lifecycle.rollout import ENVS
from store import ledger, stack_files

ROOT = Path(__file__).resolve().parent.parent
MIX = (("web-service", "aws", "M", {}), ("vm-app", "vsphere", "M", {}), ("data-platform", "vsphere", "M", {}),
       ("data-platform", "aws", "S", {}), ("web-service", "vsphere", "S", {}), ("vm-app", "vsphere", "S", {"ha": True}))
ADVISORY = {"id": "CVE-2099-0001", "severity": "critical"}


def stamp(repo: Path, stacks: int, catalog: Catalog, sites) -> list:
    """Up to `stacks` stacks placed one after another and written as `bp new` writes them (as bench.fleet does, a
    request no pool has room for is left out)."""
    (repo / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", repo)
    shutil.copy(ROOT / "stacks" / "__main__.py", repo / "stacks")
    regions, envs = cycle(r.name for r in sites.regions), cycle(ENVS)
    index = AllocationIndex()
    for i, (blueprint, target, size, parameters) in zip(range(stacks), cycle(MIX)):
        request = BlueprintRequest(team=f"team{i:04d}", env=next(envs), blueprint=blueprint, target=target,
                                   region=next(regions), size=size, owner="lead@example.com", cost_center="CC-1",
                                   parameters=parameters)
        try:
            resolved = resolve(request, catalog, sites, index)
        except BadInput:  # no pool has room for it: `bp new` refuses it, and so does the synthetic fleet
            continue
        stack_files.write_stack(repo, resolved)
        index.add(resolved)
    ledger.write(stack_files.stacks_dir(repo), index)
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
    new = sites.model_copy(update={"releases": sites.releases.model_copy(update={"lines": lines}),
                                   "fleet": sites.fleet.model_copy(update={"engines": engines}),
                                   "regions": _published(sites.regions, "rhel-9-cis-2027.01")})
    new.__dict__.pop("inventory", None)  # a copy keeps cached properties: the inventory is the new regions'
    return new


def _published(regions, template: str):
    """Every on-prem pool with the new template, as the template pipeline publishes it to every data center."""
    def pool(p):
        return p.model_copy(update={"vsphere": p.vsphere.model_copy(
            update={"templates": (*p.vsphere.templates, template)})}) if p.vsphere else p

    return tuple(r.model_copy(update={"data_centers": tuple(
        dc.model_copy(update={"pools": tuple(pool(p) for p in dc.pools)}) for dc in r.data_centers)}) for r in regions)


def _added(line: ReleaseLine, release: Release) -> ReleaseLine:
    return line.model_copy(update={"releases": (*line.releases, release)})


def run(stacks: int, budget: int) -> dict:
    catalog, sites = Catalog(), load_sites()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        t0 = time.perf_counter()
        fleet = stamp(repo, stacks, catalog, sites)
        stamped_s = time.perf_counter() - t0
        new = tomorrow(sites)
        t0 = time.perf_counter()
        plan = plan_patch(repo, catalog, new, budget=budget, accept_data_loss=True)
        planned_s = time.perf_counter() - t0
    ha = {bp.stack for bp in fleet if len(bp.placements) > 1}
    days = _days(plan)
    worst = max((n for use in days.values() for n in use.values()), default=0)
    assert worst <= budget, f"a day replaces {worst} machines in one data center, over {budget}"
    for wave in plan.waves:
        services = [m.service for m in _in(plan, wave) if m.service]
        assert len(services) == len(set(services)), f"wave {wave.number} takes two replicas of one HA service"
        assert all(len(m.repaves) <= 1 for m in _in(plan, wave) if m.stack in ha), f"wave {wave.number}: both DCs"
    moved = Counter(path for u in plan.upgrades.values() for path in changes(u))
    return {"stacks": stacks, "stamped": len(fleet), "moving": len(plan.upgrades), "held": len(plan.held),
            "ha_stacks": len(ha),
            "budget_per_dc_day": budget, "days": len(plan.waves), "max_replaced_per_dc_day": worst,
            "machines_replaced": sum(n for use in days.values() for n in use.values()),
            "lower_bound_days": _bound(plan, budget), "classes_rendered": plan.diffs.rendered,
            "stamp_seconds": round(stamped_s, 2), "plan_seconds": round(planned_s, 2),
            "changes": dict(moved.most_common(6))}


def _in(plan, wave) -> list:
    """The planner's members that make up a wave (one per stack and step)."""
    return [m for m in plan.members if m.hop == wave.hop and m.stack in wave.stacks and m.env == wave.env]


def _days(plan) -> dict[int, Counter]:
    """Machines each wave (a day) replaces per data center, as the planner counted them."""
    return {w.number: sum((Counter(dict(m.repaves)) for m in _in(plan, w)), Counter()) for w in plan.waves}


def _bound(plan, budget: int) -> int:
    """The fewest days any schedule needs: per env, step and kind (each waits for the one before, so they add
    up), the busiest data center's machines over the most one day can hold of them (a subset sum <= budget)."""
    groups: dict[tuple, dict[str, list[int]]] = {}
    for wave in plan.waves:
        use = groups.setdefault((wave.env, wave.hop, wave.kind), {})
        for m in _in(plan, wave):
            for dc, n in m.repaves:
                use.setdefault(dc, []).append(n)
    return sum(max([1] + [math.ceil(sum(sizes) / _fullest(sizes, budget)) for sizes in use.values()])
               for use in groups.values())


def _fullest(sizes: list[int], budget: int) -> int:
    """The most machines one day can replace in a data center: the largest sum of these moves within the budget."""
    reach = 1  # bit i set: a subset sums to i
    for n in sizes:
        reach |= reach << n
    return max(i for i in range(budget + 1) if reach >> i & 1) or budget


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=1522)
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET)
    args = parser.parse_args()
    print(json.dumps(run(args.stacks, args.budget), indent=1))


if __name__ == "__main__":
    main()
