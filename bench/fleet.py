"""Fleet benchmark: issue 23's table, measured from outside through the `bp` commands users and CI run.

    python -m bench.fleet [--sizes 100,400,1522 | --stacks N | --quick] [--jobs N] [--sample 150]

For each size, a fleet of the reference mix is stamped with `bp new`'s own code, then timed as users run it:
`bp fleet audit` cold (wall, CPU of every process it starts, peak PSS of the process tree), `bp validate --all`
cold and with nothing changed (these as CI runs them, CI=true), and a cold `bp fleet preview` with the stock-mocks baseline (bench/stock.py: a
stratified sample with the fleet's mix of blueprint, target and size) running beside it in the same moments; the
engine ratio is CPU per resource. At the largest size, single commands: `bp audit ONE` warm (engine server
running) and cold (no server: CI=true), `bp preview ONE --json` and `bp validate ONE` as a user runs them without
starting a server by hand. The load average goes with every figure. The run ends with a table of every row of
the issue's table against its target (bench/table.py), printed and appended to bench/RESULTS.md; the figures go
to bench/results/fleet.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import cycle
from pathlib import Path

from bench import table
from bench.measure import Measured, bp, bp_env
from bench.stock import stratified
from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest
from blueprints.placement.allocation_index import AllocationIndex
from blueprints.placement.resolve import resolve
from blueprints.sites import load_sites
from store import ledger, stack_files

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 400, 1522)
"""The sizes of one full run, to show growth; the last is the reference fleet (1,522 requested)."""

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


def _median(runs: list[Measured]) -> Measured:
    return sorted(runs, key=lambda run: run.wall)[len(runs) // 2]


def _summary(run: Measured) -> dict:
    """The summary line of a `--json` fleet command."""
    try:
        return json.loads(run.last_line)["summary"]
    except (ValueError, KeyError, TypeError):
        raise SystemExit(f"no --json summary (exit {run.rc}): {run.stderr}") from None


def preview_beside_stock(repo: Path, sample: list, jobs: int, env: dict[str, str]) -> tuple[Measured, dict, dict]:
    """A cold `bp fleet preview --json` with the stock baseline running beside it: (ours, its summary, stock)."""
    stock = subprocess.Popen([sys.executable, "-m", "bench.stock", str(repo), *(r.stack for r in sample)],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    ours = bp(env, repo, "--repo", str(repo), "fleet", "preview", "--json", "--no-cache", "--jobs", str(jobs))
    out, _ = stock.communicate()
    if stock.returncode:
        raise SystemExit(f"the stock baseline failed with exit {stock.returncode}")
    return ours, _summary(ours), json.loads(out)


def fixed_cost(repo: Path, jobs: int, env: dict[str, str]) -> dict:
    """A cold fleet preview of one mix cycle (every blueprint and target) in a new repository `repo`: what starting
    the processes and importing the SDKs costs, which the stock side's untimed warm-up leaves out too."""
    repo.mkdir()
    stamp(repo, len(MIX), load_sites())
    run = bp(env, repo, "--repo", str(repo), "fleet", "preview", "--json", "--no-cache", "--jobs", str(jobs))
    bp(env, repo, "--repo", str(repo), "engine", "stop")
    return {**run.to_json(), "resources": _summary(run)["resources"]}


def measure_size(stacks: int, jobs: int, sample_size: int, tmp: Path) -> tuple[dict, Path, list]:
    """Every per-size figure of one fleet of `stacks` requested stacks; also its repository and stamped stacks."""
    repo = tmp / f"fleet-{stacks}"
    repo.mkdir()
    stamped = stamp(repo, stacks, load_sites())
    # As CI runs them: no engine server started for these (and any left running is stopped before the cold runs).
    env = bp_env(tmp / f"cache-{stacks}", CI="true")
    bp(env, repo, "--repo", str(repo), "engine", "stop")
    load = os.getloadavg()[0]
    audit = bp(env, repo, "--repo", str(repo), "fleet", "audit", "--jobs", str(jobs))
    validate_cold = bp(env, repo, "--repo", str(repo), "validate", "--all")
    validate_warm = bp(env, repo, "--repo", str(repo), "validate", "--all")
    sample = stratified(stamped, sample_size)
    preview, summary, stock = preview_beside_stock(repo, sample, jobs, env)
    figures = {
        "requested": stacks, "stacks": len(stamped), "resources": summary["resources"], "load": load,
        "fleet_audit": audit.to_json(), "validate_cold": validate_cold.to_json(),
        "validate_warm": validate_warm.to_json(),
        "fleet_preview": {**preview.to_json(), "resources": summary["resources"], "failed": summary["failed"]},
        "preview_overhead": fixed_cost(tmp / f"cycle-{stacks}", jobs, env), "stock": stock,
    }
    bp(env, repo, "--repo", str(repo), "engine", "stop")
    return figures, repo, stamped


def singles(repo: Path, stack: str, tmp: Path, repeats: int) -> dict:
    """One stack's commands as a user runs them: audit warm and cold, preview and validate without a server
    started by hand (the first call, then the median of the next ones, a pause apart as a user types)."""
    env, ci = bp_env(tmp / "cache-singles"), bp_env(tmp / "cache-singles", CI="true")
    at = ("--repo", str(repo))
    bp(env, repo, *at, "engine", "stop")
    figures: dict = {"load": os.getloadavg()[0]}
    for name, command in (("preview", ("preview", stack, "--json")), ("validate", ("validate", stack))):
        figures[f"{name}_first"] = bp(env, repo, *at, *command).to_json()
        runs = []
        for _ in range(repeats):
            time.sleep(2)
            runs.append(bp(env, repo, *at, *command))
        figures[name] = _median(runs).to_json()
    bp(env, repo, *at, "engine", "stop")
    figures["audit_cold"] = _median([bp(ci, repo, *at, "audit", stack) for _ in range(repeats)]).to_json()
    bp(env, repo, *at, "engine", "start")
    try:
        bp(env, repo, *at, "audit", stack)  # the first answer may load the packs into the server
        figures["audit_warm"] = _median([bp(env, repo, *at, "audit", stack) for _ in range(repeats)]).to_json()
    finally:
        bp(env, repo, *at, "engine", "stop")
    return figures


def _commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          check=False, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def run(sizes: tuple[int, ...], jobs: int, sample: int, repeats: int = 3) -> dict:
    """Every measurement of one benchmark run, over each of `sizes` (requested stacks)."""
    figures = {"started": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "commit": _commit(), "jobs": jobs,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
               "load_before": list(os.getloadavg()), "sizes": []}
    with tempfile.TemporaryDirectory() as tmp:
        for stacks in sizes:
            size, repo, stamped = measure_size(stacks, jobs, sample, Path(tmp))
            figures["sizes"].append(size)
        figures["single"] = singles(repo, stamped[0].stack, Path(tmp), repeats)
    figures["load_after"] = list(os.getloadavg())
    return figures


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--sizes", default=",".join(map(str, SIZES)), help="Requested stacks per size, comma-separated "
                       "(default 100,400,1522).")
    sizes.add_argument("--stacks", type=int, help="One size only, e.g. --stacks 100 on a shared machine.")
    sizes.add_argument("--quick", action="store_true", help="A smoke run: 20 stacks, one run of each single command.")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="Workers (default: one per core).")
    parser.add_argument("--sample", type=int, default=150, help="Stacks in the stock baseline's stratified sample "
                        "(default 150; the whole fleet when it is smaller).")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fleet.json", help="Figures (JSON).")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md", help="Report appended here.")
    args = parser.parse_args()
    chosen = (20,) if args.quick else (args.stacks,) if args.stacks else tuple(int(n) for n in args.sizes.split(","))
    figures = run(chosen, args.jobs, args.sample, repeats=1 if args.quick else 3)
    figures["command"] = "python -m bench.fleet " + " ".join(sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    text = table.report(figures)
    table.append(args.results, text)
    print(text)


if __name__ == "__main__":
    main()
