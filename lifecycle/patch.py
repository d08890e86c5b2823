"""`bp fleet patch`: roll today's sites map (releases, images, templates) out to the stacks whose decisions are stale.

A patch is one more kind of move for the rollout engine (lifecycle/rollout.py): a stack moves to the decisions
today's sites map gives its request (`blueprints.plan.decide`), nothing else of its file changes. Waves go env by
env, a canary share first, spread over data centers, each wave one day within the repave budget: machines (VMs,
cluster nodes) replaced per data center per day. Pins and retirements hold a stack back as they do an upgrade,
and a data-losing diff is refused unless acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from blueprints import clock
from blueprints.catalog import Catalog
from blueprints.plan import decide, differences, stale
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from lifecycle.repaves import repaves
from lifecycle.rollout import ENVS, RolloutPlan, Scope, plan_moves
from lifecycle.upgrade import Upgrade, in_service
from lifecycle.waves import Member
from store.change import Proposed, StackState

DEFAULT_BUDGET = 20
"""Machines replaced per data center per day: about 300 a day over the demo fleet's 16 data centers."""


STEPS = ("", "2nd data center")
"""A patch's steps: everything, with an HA stack's first data center; then the data centers it held back."""


@dataclass(frozen=True)
class PatchMove:
    """Every stack whose recorded decisions differ from what today's sites map decides.

    An HA stack (VMs in two data centers) whose VM template changes moves one data center a step: the first step
    records the new template with the other data center held at its old one (`vm_template_held`), the second
    releases the hold. The two replicas are never repaved in one wave, nor ever at once.
    """

    sites: SitesMap

    def concerns(self, stack: ResolvedBlueprint) -> bool:
        return True

    def moved(self, stack: ResolvedBlueprint) -> bool:
        return not stale(in_service(stack), self.sites.fleet, self.sites.releases)

    def _today(self, stack: ResolvedBlueprint) -> ResolvedBlueprint:
        return stack.model_copy(update={"decisions": decide(in_service(stack), self.sites.fleet, self.sites.releases)})

    def _staged(self, stack: ResolvedBlueprint) -> bool:
        """Whether the stack repaves VMs in more than one data center, so takes them a step each."""
        return len(stack.placements) > 1 and stack.spec.vm_pool and (
            bool(stack.decisions.vm_template_held)
            or self._today(stack).decisions.vm_template != stack.decisions.vm_template)

    def hops(self, stacks: list[ResolvedBlueprint]) -> tuple[str, ...]:
        return STEPS if any(self._staged(s) for s in stacks if not s.retired) else ()

    def next_hop(self, stack: ResolvedBlueprint) -> int:
        return 1 if stack.decisions.vm_template_held else 0

    def takes(self, stack: ResolvedBlueprint, step: int) -> bool:
        return step == 0 or (len(stack.placements) > 1 and stack.spec.vm_pool)

    def target(self, stack: ResolvedBlueprint, others: list[ResolvedBlueprint]) -> ResolvedBlueprint:
        today = self._today(stack)
        if stack.decisions.vm_template_held or not self._staged(stack):
            return today
        held = {p.data_center: stack.decisions.vm_template for p in stack.placements[1:]}
        return today.model_copy(update={"decisions": today.decisions.model_copy(update={"vm_template_held": held})})

    def proposed(self, current: StackState, others: list[ResolvedBlueprint], today: date) -> Proposed:
        after = self.target(current.stack, others)
        notes = tuple(f"{path}: {old} -> {new}" for path, (old, new) in differences(current.stack.decisions,
                                                                                   after.decisions).items())
        return Proposed(after, current.pin, notes=notes)

    def member(self, upgrade: Upgrade, step: int = 0) -> Member:
        before, after = upgrade.before, upgrade.after
        if step > self.next_hop(before):  # a later step, planned before this one is applied
            before, after = after, self._today(after)
        service = before.stack if len(before.placements) > 1 else None
        where = before.placements[min(step, len(before.placements) - 1)].data_center
        return Member(upgrade.stack, before.request.env, where, tuple(sorted(repaves(before, after).items())), service)


def plan_patch(repo: Path, catalog: Catalog, sites: SitesMap, *, envs: tuple[str, ...] = ENVS,
               canary_percent: int = 10, budget: int = DEFAULT_BUDGET, accept_data_loss: bool = False,
               today: date | None = None) -> RolloutPlan:
    """Diff every stale stack offline and cut the movable ones into daily waves within the repave budget."""
    today = today or clock.today()
    plan = RolloutPlan("patch", str(today), [], move=PatchMove(sites), catalog=catalog, sites=sites, today=today)
    return plan_moves(repo, plan, Scope(envs, accept_data_loss, today, []), canary_percent, budget)


def patch_json(plan: RolloutPlan) -> dict[str, Any]:
    """The machine-readable patch plan: days, waves, machines replaced per data center, each stack's changes and diff."""
    waves = []
    for wave in plan.waves:
        pending = [plan.upgrades[s] for s in plan.pending(wave)]
        waves.append({"wave": wave.number, "day": wave.day, "env": wave.env, "kind": wave.kind,
                      "applied": plan.applied(wave), "counts": plan.wave_counts(wave),
                      "repaves": plan.wave_repaves(wave),
                      "stacks": [{"stack": u.stack, "changes": changes(u), "counts": u.diff.counts(),
                                  "notes": list(u.diff.notes())} for u in pending]})
    return {"waves": waves, "held": [{"stack": h.stack, "reason": h.reason} for h in plan.held]}


def changes(upgrade: Upgrade) -> dict[str, list]:
    """Each decision the patch rewrites (`engines.redis.7.image`), from what the file records to what it becomes."""
    return {path: [old, new] for path, (old, new) in differences(upgrade.before.decisions, upgrade.after.decisions).items()}
