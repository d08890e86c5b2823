"""Rollout benchmark: a synthetic fleet on web-service@2.0.0, planned to 2.1.0 in waves, first wave applied.

    python -m bench.rollout [--stacks N] [--out FILE]

Stamps N stacks over every region, both targets and all four envs (every 40th pinned), runs
`plan_rollout` (two offline renders and a diff per stack), applies wave 1, and checks that only
wave 1's files changed. The baseline is one offline preview per stack (of the first 50), in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import tempfile
import time
from datetime import date, timedelta
from itertools import cycle
from pathlib import Path

from blueprints.catalog import Catalog
from blueprints.models import BlueprintRequest
from blueprints.placement.allocation_index import AllocationIndex
from blueprints.placement.resolve import resolve
from blueprints.sites import load_sites
from blueprints.yaml_io import write_atomic
from engine.stacks import preview
from lifecycle.rollout import apply_wave, plan_rollout
from store import stack_files
from store.pins import Pin, pinned_text

ROOT = Path(__file__).resolve().parent.parent
PIN_EVERY = 40
BASELINE_SAMPLE = 50


def _stamp(repo: Path, stacks: int, catalog: Catalog, sites) -> list:
    regions, envs, targets = cycle(r.name for r in sites.regions), cycle(("dev", "test", "stage", "prod")), cycle(("aws", "vsphere", "vsphere"))
    stamped = AllocationIndex()
    for i in range(stacks):
        request = BlueprintRequest(team=f"team{i:04d}", env=next(envs), blueprint="web-service@2.0.0", target=next(targets),
                                   region=next(regions), size="S", owner="lead@example.com", cost_center="CC-1")
        resolved = resolve(request, catalog, sites, stamped)
        path = stack_files.write_stack(repo, resolved)
        if i % PIN_EVERY == 0:
            pin = Pin(reason="quarter-end freeze", approver="platform-lead@example.com",
                      expires=date.today() + timedelta(days=30), version=resolved.blueprint_ref)
            write_atomic(path, pinned_text(path, pin))
        stamped.add(resolved)
    return list(stamped)


def _digests(repo: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in stack_files.list_stack_files(repo)}


def run(stacks: int) -> dict:
    """Stamp, preview (baseline), plan and apply wave 1; returns the measurements and the plan's shape."""
    catalog, sites = Catalog(), load_sites()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "stacks").mkdir()
        shutil.copy(ROOT / "Pulumi.yaml", repo)
        shutil.copy(ROOT / "stacks" / "__main__.py", repo / "stacks")
        stamped = _stamp(repo, stacks, catalog, sites)

        sample = stamped[:BASELINE_SAMPLE]
        start = time.perf_counter()
        for bp in sample:
            preview(repo, bp, sites)
        preview_ms = 1000 * (time.perf_counter() - start) / len(sample)

        start = time.perf_counter()
        plan = plan_rollout(repo, catalog, sites, blueprint="web-service", to="2.1.0", canary_percent=10)
        plan_s = time.perf_counter() - start

        before = _digests(repo)
        start = time.perf_counter()
        written = {p.name for p in apply_wave(repo, plan, 1)}
        apply_s = time.perf_counter() - start
        after = _digests(repo)
        changed = {name for name in before if before[name] != after[name]}

        dc_of = {bp.stack: bp.primary.data_center for bp in stamped}
        waves = []
        for w in plan.waves:
            per_dc: dict[str, int] = {}
            for s in w.stacks:
                per_dc[dc_of[s]] = per_dc.get(dc_of[s], 0) + 1
            env_total = {dc: sum(1 for bp in stamped if bp.request.env == w.env and dc_of[bp.stack] == dc) for dc in per_dc}
            waves.append({"wave": w.number, "env": w.env, "kind": w.kind, "stacks": len(w.stacks),
                          "data_centers": len(per_dc), "counts": plan.wave_counts(w),
                          "whole_data_center_in_wave": sorted(dc for dc, n in per_dc.items() if n == env_total[dc])})
    return {
        "stacks": stacks,
        "preview_ms_per_stack": round(preview_ms, 1),
        "plan_seconds": round(plan_s, 2),
        "plan_ms_per_stack": round(1000 * plan_s / stacks, 1),
        "plan_to_preview_ratio": round(1000 * plan_s / stacks / preview_ms, 2),
        "apply_wave_1_seconds": round(apply_s, 3),
        "wave_1_files_written": len(written),
        "only_wave_1_changed": changed == written == {f"Pulumi.{s}.yaml" for s in plan.waves[0].stacks},
        "held": len(plan.held),
        "held_reasons": sorted({h.reason.split(":")[0] for h in plan.held}),
        "data_losing": sum(1 for u in plan.upgrades.values() if u.data_losing),
        "waves": waves,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=300, help="How many stacks in the synthetic fleet (default 300).")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "rollout.json", help="Where to write JSON.")
    args = parser.parse_args()
    figures = run(args.stacks)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
