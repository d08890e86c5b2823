"""Shared diffs: a stack given its class's diff gets exactly the diff its own two renders give."""

from __future__ import annotations

from blueprints.placement.resolve import restamp
from lifecycle.diff_classes import SharedDiffs, diff_class
from lifecycle.patch import PatchMove
from lifecycle.upgrade import render_upgrade
from tests.fleet_support import MIX, MIX_WITH_OLD, stamp_fleet


def _tomorrow(sites):
    from bench.patch import tomorrow

    return tomorrow(sites)


def test_every_shared_patch_diff_equals_the_stacks_own(repo, catalog, sites):
    fleet = stamp_fleet(catalog, sites, 40, MIX)
    new = _tomorrow(sites)
    move = PatchMove(new)
    shared = SharedDiffs(lambda before, after: render_upgrade(repo, before, after, new).diff)
    moving = [(bp, move.target(bp, fleet)) for bp in fleet if not move.moved(bp)]
    for before, after in moving:
        own = render_upgrade(repo, before, after, new).diff
        assert shared.diff(before, after) == own, before.stack
    assert len(moving) >= 20 and shared.rendered < len(moving) / 2, (len(moving), shared.rendered)


def test_every_shared_version_diff_equals_the_stacks_own(repo, catalog, sites):
    fleet = [bp for bp in stamp_fleet(catalog, sites, 24, MIX_WITH_OLD) if bp.blueprint_ref == "web-service@1.0.0"]
    shared = SharedDiffs(lambda before, after: render_upgrade(repo, before, after, sites).diff)
    for before in fleet:
        after = restamp(before, "web-service@2.1.0", catalog, sites, fleet)
        assert shared.diff(before, after) == render_upgrade(repo, before, after, sites).diff, before.stack
    assert fleet and shared.rendered < len(fleet), shared.rendered


def test_a_different_change_or_shape_is_a_different_class(catalog, sites):
    a = next(bp for bp in stamp_fleet(catalog, sites, 16, MIX) if bp.blueprint_ref.startswith("vm-app"))
    move = PatchMove(_tomorrow(sites))
    assert diff_class(a, move.target(a, [])) != diff_class(a, a), "a move and no move differ"
    bigger = a.model_copy(update={"size": a.size.model_copy(update={"nodes": a.size.nodes + 1})})
    assert diff_class(a, move.target(a, [])) != diff_class(bigger, move.target(bigger, [])), "more VMs, more changes"
