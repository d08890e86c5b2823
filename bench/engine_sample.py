"""CPU per resource of the lean engine against stock mocks in one process, on a small sample, interleaved.

    python -m bench.engine_sample [--passes N]     (prints one line per side and the ratio)

The sample is one stack of each catalog blueprint's newest version on each of its targets, in a scratch
repository. After one untimed run of each on both sides (the provider SDKs' imports), every pass times the
lean engine over the sample and then stock mocks (bench/stock.py) over it, so both sides see the same load.
A quick check for a change to the engine's per-resource path; `make bench` measures the fleet's mix.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench import stock
from blueprints.catalog import Catalog
from blueprints.models import BlueprintRequest
from blueprints.placement.resolve import resolve
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import load_sites
from engine.stacks import preview

ROOT = Path(__file__).resolve().parent.parent


def sample(catalog: Catalog, sites) -> list[ResolvedBlueprint]:
    """One stack per blueprint (newest version) and target."""
    newest = {entry.ref.split("@")[0]: entry for entry in catalog.entries}
    return [resolve(BlueprintRequest(team="sample", env="prod", blueprint=entry.ref, target=target, region="amer",
                                     owner="lead@example.com", cost_center="CC-1"), catalog, sites, refuse_ended=False)
            for entry in newest.values() for target in entry.targets]


def _ms_per_resource(run, stacks: list[ResolvedBlueprint]) -> float:
    resources, start = 0, time.process_time()
    for resolved in stacks:
        resources += run(resolved)
    return (time.process_time() - start) / resources * 1000


def measure(passes: int) -> dict[str, list[float]]:
    """Milliseconds of CPU per resource, per pass, for the lean engine and for stock mocks."""
    repo, sites = Path(tempfile.mkdtemp()), load_sites()
    try:
        (repo / "stacks").mkdir()
        shutil.copy(ROOT / "Pulumi.yaml", repo / "Pulumi.yaml")
        main = shutil.copy(ROOT / "stacks" / "__main__.py", repo / "stacks" / "__main__.py")
        sides = {"lean": lambda resolved: len(preview(repo, resolved, sites).resources),
                 "stock": lambda resolved: stock._run(str(main), resolved, sites)}
        stacks = sample(Catalog(), sites)
        for run in sides.values():
            _ms_per_resource(run, stacks)  # untimed: imports
        times: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(passes):
            for side, run in sides.items():
                times[side].append(_ms_per_resource(run, stacks))
                gc.collect()  # neither side pays for the other's garbage
        return times
    finally:
        shutil.rmtree(repo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=4)
    times = measure(parser.parse_args().passes)
    for side, per_pass in times.items():
        print(f"{side:5} ms CPU/resource: median {statistics.median(per_pass):.3f}, min {min(per_pass):.3f}, "
              f"passes {', '.join(f'{t:.3f}' for t in per_pass)}")
    print(f"ratio (stock / lean), medians: {statistics.median(times['stock']) / statistics.median(times['lean']):.2f}x")


if __name__ == "__main__":
    main()
