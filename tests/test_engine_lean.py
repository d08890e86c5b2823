"""The lean engine captures exactly what the SDK as shipped captures, for every catalog blueprint on every target."""

from __future__ import annotations

import pytest

from blueprints.catalog import Catalog
from blueprints.models import BlueprintRequest
from blueprints.placement.resolve import resolve
from engine.stacks import preview

CASES = [(entry.ref, target) for entry in Catalog().entries for target in entry.targets]


@pytest.mark.parametrize("ref, target", CASES)
def test_lean_and_plain_runs_capture_the_same_resources(repo, catalog, sites, ref, target):
    request = BlueprintRequest(team="equal", env="prod", blueprint=ref, target=target, region="amer",
                               owner="lead@example.com", cost_center="CC-1")
    resolved = resolve(request, catalog, sites, refuse_ended=False)  # every version, also past its support end
    lean, plain = preview(repo, resolved, sites), preview(repo, resolved, sites, plain=True)
    assert len(lean.resources) > 5, [r.urn for r in lean.resources]
    for mine, theirs in zip(lean.resources, plain.resources, strict=True):
        assert mine == theirs, mine.urn
    assert (lean.reads, lean.component_outputs, lean.stack_outputs) == (
        plain.reads, plain.component_outputs, plain.stack_outputs), resolved.stack


def test_a_run_leaves_nothing_behind(repo, catalog, sites):
    """A fleet worker runs thousands of stacks: each run's objects must be gone once it ends."""
    import gc

    request = BlueprintRequest(team="leak", env="dev", blueprint="web-service", target="aws", region="amer",
                               owner="lead@example.com", cost_center="CC-1")
    resolved = resolve(request, catalog, sites)
    counts = []
    for _ in range(4):
        preview(repo, resolved, sites)
        gc.collect()
        counts.append(len(gc.get_objects()))
    assert counts[-1] - counts[1] < 200, counts
