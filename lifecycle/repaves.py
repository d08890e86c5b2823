"""Machines a move replaces: what the repave budget counts and the patch and upgrade diffs show per wave."""

from __future__ import annotations

from blueprints.resolved import ResolvedBlueprint

NODE_DECISIONS = ("node_machine", "control_plane_class", "node_image")
"""Decisions whose change rolls every node of a dedicated cluster (a new minor does too): a new machine or image."""


def repaves(before: ResolvedBlueprint, after: ResolvedBlueprint) -> dict[str, int]:
    """Machines the move replaces, per data center: VMs of a new template, cluster nodes of a new machine, minor
    or node image."""
    was, now = before.decisions, after.decisions
    found: dict[str, int] = {}
    for place in before.placements if before.spec.vm_pool else ():
        if template_at(before, place.data_center) != template_at(after, place.data_center):
            found[place.data_center] = found.get(place.data_center, 0) + before.size.nodes
    if before.spec.cluster == "dedicated" and (any(getattr(was, d) != getattr(now, d) for d in NODE_DECISIONS)
                                               or _minor(before) != _minor(after)):
        dc = before.primary.data_center
        found[dc] = found.get(dc, 0) + sum(p.nodes or before.size.nodes for p in before.spec.node_pools)
    return found


def _minor(bp: ResolvedBlueprint) -> str | None:
    """The minor the cluster is built at: recording the spec's in a file that lacked it rolls nothing."""
    return bp.decisions.kubernetes_version or bp.spec.kubernetes_version


def template_at(bp: ResolvedBlueprint, data_center: str) -> str | None:
    """The VM template a data center of the stack runs: held back there while an HA rollout is part-way."""
    return (bp.decisions.vm_template_held or {}).get(data_center, bp.decisions.vm_template)
