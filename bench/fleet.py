"""Fleet benchmark: stamp many team stacks across the demo fleet, then preview them all in one process.

    python -m bench.fleet [--stacks N] [--out FILE]

Reports stamping and preview throughput and peak memory, so changes to placement, the engine or
the components can be compared run to run.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from itertools import cycle
from pathlib import Path

from blueprints import stack_files
from blueprints.catalog import Catalog
from blueprints.models import BlueprintRequest
from blueprints.sites import load_sites
from blueprints.stamp import resolve
from engine.stacks import preview

ROOT = Path(__file__).resolve().parent.parent

# A mix like the reference fleet's: mostly web services, some data platforms and VM apps.
MIX = (
    ("web-service", "aws"), ("web-service", "vsphere"), ("web-service", "vsphere"), ("vm-app", "vsphere"),
    ("data-platform", "aws"), ("web-service", "aws"), ("k8s-cluster", "vsphere"), ("data-platform", "vsphere"),
)


def stamp(repo: Path, stacks: int, sites) -> list:
    """Make `repo` a repository and stamp `stacks` stacks of the MIX into it; returns them resolved."""
    (repo / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", repo)
    shutil.copy(ROOT / "stacks" / "__main__.py", repo / "stacks")
    catalog = Catalog()
    regions = cycle(r.name for r in sites.regions)
    envs = cycle(("dev", "test", "stage", "prod"))
    stamped: list = []
    for i, (blueprint, target) in zip(range(stacks), cycle(MIX)):
        request = BlueprintRequest(team=f"team{i:04d}", env=next(envs), blueprint=blueprint, target=target,
                                   region=next(regions), size="S", owner="lead@example.com", cost_center="CC-1")
        resolved = resolve(request, catalog, sites, stamped)
        stack_files.write_stack(repo, resolved)
        stamped.append(resolved)
    return stamped


def run(stacks: int) -> dict:
    """Stamp and preview `stacks` stacks; returns the measurements."""
    sites = load_sites()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        start = time.perf_counter()
        stamped = stamp(repo, stacks, sites)
        stamp_s = time.perf_counter() - start

        start = time.perf_counter()
        resources = sum(len(preview(repo, bp, sites).resources) for bp in stamped)
        preview_s = time.perf_counter() - start
    return {
        "stacks": stacks,
        "resources": resources,
        "stamp_seconds": round(stamp_s, 3),
        "stamp_ms_per_stack": round(1000 * stamp_s / stacks, 2),
        "preview_seconds": round(preview_s, 3),
        "preview_ms_per_stack": round(1000 * preview_s / stacks, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main_for(run_fn, doc: str, default_stacks: int, name: str) -> None:
    """A benchmark's command line: --stacks and --out, figures printed and written as JSON to bench/results/."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=default_stacks, help=f"How many stacks (default {default_stacks}).")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / f"{name}.json", help="Where to write JSON.")
    args = parser.parse_args()
    figures = run_fn(args.stacks)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


def main() -> None:
    main_for(run, __doc__, 200, "fleet")


if __name__ == "__main__":
    main()
