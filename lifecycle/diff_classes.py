"""One offline render per kind of move: stacks that differ only in name, network and data center share a diff.

A fleet patch moves a thousand stacks the same few ways (the same image digest on the same blueprint, size and
data services). Their diffs are the same resources with the same actions, named after each stack: the program
builds from the file, and what a change touches depends on the file's shape and the decisions that change, not
on the team's name, its network or which data center holds it. So the rollout renders the first stack of each
class before and after, and gives the others that diff with the stack's own name in every URN.
`tests/test_diff_classes.py` renders a sampled fleet stack by stack and proves every shared diff equal to its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace

from blueprints.plan import differences
from blueprints.resolved import ResolvedBlueprint
from engine.diff import Change, Diff


def diff_class(before: ResolvedBlueprint, after: ResolvedBlueprint) -> str:
    """Everything the program reads but the names, env, networks and data centers (the tier stays), and the
    decisions that change."""
    shape = {
        "before": _shape(before), "after": _shape(after),
        "changes": {path: [old, new] for path, (old, new) in differences(before.decisions, after.decisions).items()},
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()


def _shape(bp: ResolvedBlueprint) -> dict:
    body = bp.model_dump(mode="json", exclude={"request": {"team", "env", "owner", "cost_center", "contact", "site",
                                                           "region"}, "placements": True})
    return {**body, "placements": [_placement(p) for p in bp.placements]}


def _placement(place) -> dict:
    """What of a placement decides which resources a stack has: the target, tier, zones, hosts and hub."""
    aws, vs = place.aws, place.vsphere
    return {"target": place.target, "tier": place.tier,
            "network": place.network.cidr.prefixlen if place.network else None,
            "zones": len(aws.availability_zones) if aws else None, "hub": bool(aws and aws.hub),
            "interconnects": len(aws.interconnect_cidrs) if aws else None,
            "hosts": vs.hosts if vs else None, "shared": bool(place.shared_cluster),
            "break_glass": len(vs.break_glass_ssh_keys) if vs else None}


class SharedDiffs:
    """Diffs computed once per class, renamed for each stack of it."""

    def __init__(self, render: Callable[[ResolvedBlueprint, ResolvedBlueprint], Diff]):
        self._render = render
        self._seen: dict[str, tuple[ResolvedBlueprint, Diff]] = {}
        self.rendered = 0
        """Classes rendered (before and after, one stack each)."""

    def diff(self, before: ResolvedBlueprint, after: ResolvedBlueprint) -> Diff:
        """The stack's diff: rendered for the first stack of its class, renamed from it for the others."""
        key = diff_class(before, after)
        if key not in self._seen:
            self._seen[key] = (before, self._render(before, after))
            self.rendered += 1
        first, found = self._seen[key]
        return found if first.stack == before.stack else renamed(found, first, before)


def renamed(found: Diff, old: ResolvedBlueprint, new: ResolvedBlueprint) -> Diff:
    """A diff of stack `old` as stack `new` has it: the stack in each URN, and the names derived from it and
    from its data centers (`<stack>-<data center>-vms-1-01`)."""
    pairs = [(f"::{old.stack}-{a.data_center}", f"::{new.stack}-{b.data_center}")
             for a, b in zip(old.placements, new.placements)]
    pairs += [(f"urn:pulumi:{old.stack}::", f"urn:pulumi:{new.stack}::"), (f"::{old.stack}", f"::{new.stack}")]

    def urn(text: str | None) -> str | None:
        for was, now in pairs if text is not None else ():
            text = text.replace(was, now)
        return text

    return Diff(tuple(replace(c, urn=urn(c.urn), previous_urn=urn(c.previous_urn), notes=tuple(urn(n) for n in c.notes))
                      for c in found.changes))


__all__ = ["Change", "SharedDiffs", "diff_class", "renamed"]
