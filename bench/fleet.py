"""Fleet benchmark: synthesise a fleet with `bp new`'s own code, then measure it beside stock Pulumi mocks.

    python -m bench.fleet [--stacks 1522] [--jobs N] [--baseline-sample 60] [--out FILE]

In one run: stamping (placement and IPAM for the whole fleet); validation without program runs; fleet check;
a cold fleet preview on warm workers; a warm one (one stack changed, the rest from the cache); the
baseline, which is the same stacks' program under stock mocks (plain `set_mocks`, the stock monitor,
one process) on an evenly spread sample; per-core throughput against it; `bp --help` and one
`bp preview` as a user runs them, without and with the engine server (`bp engine start`); peak RSS of every process. bench/RESULTS.md records a full run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest
from blueprints.placement.allocation_index import AllocationIndex
from blueprints.placement.resolve import resolve
from blueprints.sites import load_sites
from engine.cache import ResultCache
from engine.fingerprint import code_fingerprint
from engine.fleet import FleetSummary, preview_stack, run_fleet
from store import ledger, stack_files

ROOT = Path(__file__).resolve().parent.parent
BP = Path(sys.executable).parent / "bp"

# A mix like the reference fleet's: mostly web services, some data platforms, VM apps and clusters.
MIX = (
    ("web-service", "aws"), ("web-service", "vsphere"), ("web-service", "vsphere"), ("vm-app", "vsphere"),
    ("data-platform", "aws"), ("web-service", "aws"), ("k8s-cluster", "vsphere"), ("data-platform", "vsphere"),
    ("vm-app", "vsphere"), ("web-service", "vsphere"),
)
ENVS = ("dev", "test", "stage", "prod")


def stamp(repo: Path, stacks: int, sites) -> list:
    """Make `repo` a repository and `bp new` up to `stacks` teams of the MIX into it, across every region.

    The placement, IPAM and stack files are `bp new`'s (`resolve` against the allocation index, `write_stack`, the
    ledger written once at the end rather than per stack). Returns the stamped blueprints; a request no pool has
    room for is left out, as `bp new` refuses it.
    """
    (repo / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", repo)
    shutil.copy(ROOT / "stacks" / "__main__.py", repo / "stacks")
    catalog = Catalog()
    regions = cycle(r.name for r in sites.regions)
    stamped = AllocationIndex()
    for i, (blueprint, target) in zip(range(stacks), cycle(MIX)):
        request = BlueprintRequest(team=f"team{i:04d}", env=ENVS[i % 4], blueprint=blueprint, target=target,
                                   region=next(regions), size="S" if i % 3 else "M", owner="lead@example.com",
                                   cost_center=f"CC-{i % 97}")
        try:
            resolved = resolve(request, catalog, sites, stamped)
        except BadInput:
            continue
        stack_files.write_stack(repo, resolved)
        stamped.add(resolved)
    ledger.write(stack_files.stacks_dir(repo), stamped)
    return list(stamped)


def validate_without_runs(repo: Path) -> int:
    """`bp validate --all`'s checks short of program runs (the invariants `bp fleet check` applies too)."""
    from fleet.invariants import Scope, check
    from fleet.stamped import load_fleet

    fleet = load_fleet(repo, Catalog(), load_sites())
    return sum(f.error for f in check(fleet, Scope(fleet.stacks)))


def fleet_check(repo: Path) -> int:
    """`bp fleet check`: the fleet-wide invariants; returns the errors found."""
    from fleet.invariants import check
    from fleet.stamped import load_fleet

    return sum(f.error for f in check(load_fleet(repo, Catalog(), load_sites())))


def fleet_preview(repo: Path, jobs: int, cache_dir: Path) -> FleetSummary:
    """`bp fleet preview` through the same library calls."""
    sites = load_sites()
    cache = ResultCache(cache_dir, code_fingerprint(repo, sites.model_dump_json(), "preview"))
    summary = FleetSummary()
    for result in run_fleet(repo, stack_files.list_stack_files(repo), sites, preview_stack, cache, jobs):
        summary.add(result)
    return summary


def _stock_run(main: str, resolved, sites) -> None:
    """One stack's program under stock mocks: plain `set_mocks` with the stock monitor."""
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_in_stack
    from pulumi.runtime.sync_await import _sync_await

    from engine.mocks import FleetMocks
    from engine.stacks import context_for

    settings.ROOT.set(None)
    set_all_config({k: json.dumps(v) for k, v in stack_files.config_of(resolved).items()}, [])
    pulumi.runtime.set_mocks(FleetMocks(context_for(resolved, sites)), project="cloud-blueprints",
                             stack=resolved.stack, preview=False)
    settings.ROOT.set(None)
    _sync_await(run_in_stack(lambda: runpy.run_path(main, run_name="__main__")))


def baseline(repo: Path, sample: list) -> float:
    """Seconds per stack for the same program under stock mocks: plain `set_mocks`, the stock monitor, one process.

    The Mocks answers are the engine's own (a dictionary lookup per resource): a Mocks that echoes inputs
    cannot run the program, which joins ARNs and ids a provider returns. One stack of each target runs first,
    untimed, so the provider SDKs' imports (paid once per process either way) are not counted against it.
    """
    sites = load_sites()
    main = str(repo / "stacks" / "__main__.py")
    for resolved in {r.request.target: r for r in sample}.values():
        _stock_run(main, resolved, sites)
    start = time.perf_counter()
    for resolved in sample:
        _stock_run(main, resolved, sites)
    return (time.perf_counter() - start) / len(sample)


def wall(*args: str, cwd: Path, runs: int = 3) -> float:
    """Median wall seconds of a `bp` command, process start included."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(BP), *args], cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_mib(*summaries: FleetSummary) -> float:
    """The largest resident set of this process, a `bp` it waited for, or a fleet worker."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children, *(s.peak_rss_kib for s in summaries)) / 1024, 1)


def run(stacks: int, jobs: int, baseline_sample: int) -> dict:
    """Every measurement of one benchmark run."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        start = time.perf_counter()
        stamped = stamp(repo, stacks, load_sites())
        stamp_s = time.perf_counter() - start

        start = time.perf_counter()
        invalid = validate_without_runs(repo)
        validate_s = time.perf_counter() - start
        start = time.perf_counter()
        check_errors = fleet_check(repo)
        check_s = time.perf_counter() - start

        cache_dir = Path(tmp) / "cache"
        start = time.perf_counter()
        cold = fleet_preview(repo, jobs, cache_dir)
        cold_s = time.perf_counter() - start

        path = stack_files.stack_path(repo, stamped[len(stamped) // 2].stack)
        path.write_text(path.read_text().replace("cost_center: CC-", "cost_center: CC-9", 1))
        start = time.perf_counter()
        warm = fleet_preview(repo, jobs, cache_dir)
        warm_s = time.perf_counter() - start

        step = max(1, len(stamped) // baseline_sample)
        base_s = baseline(repo, stamped[::step][:baseline_sample])
        help_s = wall("--help", cwd=repo)
        single_s = wall("preview", stamped[0].stack, "--json", cwd=repo)
        subprocess.run([str(BP), "engine", "start"], cwd=repo, check=True, capture_output=True)
        try:
            served_s = wall("preview", stamped[0].stack, "--json", cwd=repo)
        finally:
            subprocess.run([str(BP), "engine", "stop"], cwd=repo, check=True, capture_output=True)

    ours_per_core = cold.stacks / cold_s / jobs
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}",
        "stacks": len(stamped), "refused_for_capacity": stacks - len(stamped), "resources": cold.resources, "jobs": jobs,
        "stamp_seconds": round(stamp_s, 2), "stamp_stacks_per_second": round(len(stamped) / stamp_s, 1),
        "validate_without_runs_seconds": round(validate_s, 2), "validate_errors": invalid,
        "fleet_check_seconds": round(check_s, 2), "fleet_check_errors": check_errors,
        "cold_preview_seconds": round(cold_s, 2), "cold_preview_failed": cold.failed,
        "cold_ms_per_stack_per_core": round(1000 / ours_per_core, 1),
        "warm_one_changed_seconds": round(warm_s, 2), "warm_ran": warm.stacks - warm.cached,
        "baseline_sample": len(stamped[::step][:baseline_sample]),
        "baseline_ms_per_stack": round(1000 * base_s, 1),
        "throughput_per_core_vs_baseline": round(ours_per_core * base_s, 2),
        "help_seconds": round(help_s, 3), "single_preview_seconds": round(single_s, 2),
        "single_preview_served_seconds": round(served_s, 2),
        "peak_rss_mib": peak_rss_mib(cold, warm),
    }


def main_for(run_fn, doc: str, default_stacks: int, name: str, **options: tuple[type, object, str]) -> None:
    """A benchmark's command line: --stacks, --out and its own `options` (name: (type, default, help)),
    figures printed and written as JSON to bench/results/."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=default_stacks, help=f"How many stacks (default {default_stacks}).")
    for option, (kind, default, text) in options.items():
        parser.add_argument(f"--{option.replace('_', '-')}", type=kind, default=default, help=text)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / f"{name}.json", help="Where to write JSON.")
    args = vars(parser.parse_args())
    out = args.pop("out")
    figures = run_fn(**args)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


def main() -> None:
    main_for(run, __doc__, 1522, "fleet",
             jobs=(int, os.cpu_count() or 1, "Fleet preview workers (default: one per core)."),
             baseline_sample=(int, 60, "Stacks the stock-mocks baseline runs (default 60)."))


if __name__ == "__main__":
    main()
