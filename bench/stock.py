"""The stock baseline: stamped stacks' program under Pulumi's mocks as shipped, on a sample with the fleet's mix.

    python -m bench.stock REPO STACK...     (prints {"cpu": seconds, "resources": n, "stacks": n} as JSON)

Plain `set_mocks` with the stock MockMonitor, one process, the engine's own mock answers (a Mocks that echoes
inputs cannot run the program, which joins the ARNs and ids a provider returns). One stack of each target runs
first, untimed, so the provider SDKs' imports (paid once per process either way) are not counted against it.
The benchmark starts this process beside the fleet preview it is compared with, so both run in the same moments.
"""

from __future__ import annotations

import json
import runpy
import sys
import time
from collections import defaultdict
from pathlib import Path

from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import load_sites
from store import stack_files


def stratum(resolved: ResolvedBlueprint) -> tuple[str, str, str]:
    """A stack's blueprint, target and size: the strata the sample keeps in the fleet's proportions."""
    request = resolved.request
    return request.blueprint.split("@")[0], request.target, request.size


def stratified(stamped: list[ResolvedBlueprint], size: int) -> list[ResolvedBlueprint]:
    """`size` stacks with each stratum's share of the fleet (largest remainders), evenly spread within it.

    The whole fleet when `size` is at least its length.
    """
    if size >= len(stamped):
        return list(stamped)
    strata: dict[tuple[str, str, str], list[ResolvedBlueprint]] = defaultdict(list)
    for resolved in stamped:
        strata[stratum(resolved)].append(resolved)
    quotas = {key: size * len(members) / len(stamped) for key, members in strata.items()}
    counts = {key: int(quota) for key, quota in quotas.items()}
    by_remainder = sorted(quotas, key=lambda key: (counts[key] - quotas[key], key))
    for key in by_remainder[: size - sum(counts.values())]:
        counts[key] += 1
    sample = []
    for key, members in sorted(strata.items()):
        step = len(members) / counts[key] if counts[key] else 0
        sample += [members[int(i * step)] for i in range(counts[key])]
    return sample


def _run(main: str, resolved: ResolvedBlueprint, sites) -> int:
    """One stack's program under stock mocks; the resources it registered (the root stack left out)."""
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
    registered = _counting(settings.get_monitor())
    _sync_await(run_in_stack(lambda: runpy.run_path(main, run_name="__main__")))
    return registered["resources"]


def _counting(monitor) -> dict[str, int]:
    """Count the monitor's registrations other than the root stack (what the engine's capture holds)."""
    counts = {"resources": 0}
    register = monitor.RegisterResource

    def counted(request):
        counts["resources"] += request.type != "pulumi:pulumi:Stack"
        return register(request)
    monitor.RegisterResource = counted
    return counts


def baseline(repo: Path, stacks: list[str]) -> dict[str, float]:
    """CPU seconds and resources of `stacks` (names) of `repo` under stock mocks, imports excluded."""
    sites = load_sites()
    main = str(repo / "stacks" / "__main__.py")
    sample = [stack_files.read_stack(stack_files.stack_path(repo, name)) for name in stacks]
    for resolved in {r.request.target: r for r in sample}.values():
        _run(main, resolved, sites)
    resources, start = 0, time.process_time()
    for resolved in sample:
        resources += _run(main, resolved, sites)
    return {"cpu": time.process_time() - start, "resources": resources, "stacks": len(sample)}


if __name__ == "__main__":
    print(json.dumps(baseline(Path(sys.argv[1]), sys.argv[2:])))
