"""A fleet rollout: which stacks move in which wave, and applying one wave. One engine for every kind of move.

A `Move` says which stacks a rollout concerns, which are there already, and what each becomes: a blueprint
version (`VersionMove`, `bp fleet upgrade`) or today's decisions of the sites map (`PatchMove` in
lifecycle/patch.py, `bp fleet patch`). The plan is recomputed from the repository each time, never stored: a
stack already moved stays in its wave (so wave numbers hold while waves are applied), and a wave counts as
applied when every stack in it has moved.

Kubernetes moves one minor at a time (EKS: "you can update only one minor version at a time"; the Kubernetes
version skew policy lets no control plane skip one), so a version move that raises a dedicated cluster's minor by
more than one is cut into hops: every stack of the rollout is a member of each hop's waves, moving in the first
hop it has not taken yet (its recorded `decisions.kubernetes_version` tells which), the add-on versions and node
image of that minor with it; the last hop is the move to the new version itself. Hops come env by env, each after
the previous one, so a stack's next hop is always in a later wave than its last.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Callable, Protocol

from blueprints import clock, yaml_io
from blueprints.catalog import Catalog, semver_key
from blueprints.errors import BadInput
from blueprints.models import BLUEPRINT_REF
from blueprints.placement.resolve import restamp
from blueprints.plan import hop, kubernetes_minor, minor_key, minors_between
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from engine import ProgramError
from lifecycle.diff_classes import SharedDiffs
from lifecycle.repaves import repaves
from lifecycle.upgrade import Upgrade, eks_minor_jump, in_service, proposed_upgrade, render_upgrade, still_planned
from lifecycle.waves import Member, Wave, plan_waves
from store.change import Outcome, Proposed, Snapshot, StackState, Stale, change
from store.pins import Pin, pin_in
from store.stack_files import list_stack_files, stack_in

ENVS = ("dev", "test", "stage", "prod")


class Move(Protocol):
    """What a rollout moves each stack of the fleet to."""

    def concerns(self, stack: ResolvedBlueprint) -> bool:
        """Whether the stack is part of this rollout (to move, already moved, or held)."""

    def moved(self, stack: ResolvedBlueprint) -> bool:
        """Whether the stack is where the rollout takes it."""

    def target(self, stack: ResolvedBlueprint, others: list[ResolvedBlueprint]) -> ResolvedBlueprint:
        """The stack after the move (`others`: the repository's stacks its placement is checked against)."""

    def proposed(self, current: StackState, others: list[ResolvedBlueprint], today: date) -> Proposed:
        """The move of the stack as its file is now, under the lock."""

    def member(self, upgrade: Upgrade, step: int = 0) -> Member:
        """The stack as the wave planner sees it in step `step`: env, data center, machines the step replaces."""

    def hops(self, stacks: list[ResolvedBlueprint]) -> tuple[str, ...]:
        """The steps the rollout takes `stacks` through, a group of waves each (Kubernetes minors, the data
        centers of HA stacks); () for one step."""

    def next_hop(self, stack: ResolvedBlueprint) -> int:
        """Index in `hops()` of the stack's next step (the last when it has one step only; 0 without steps)."""

    def takes(self, stack: ResolvedBlueprint, step: int) -> bool:
        """Whether the stack is a member of step `step`'s waves (the same answer before and after it moves)."""


@dataclass(frozen=True)
class VersionMove:
    """Every stack of `blueprint` up to `ref` (`name@version`), a dedicated cluster one Kubernetes minor a hop."""

    ref: str
    catalog: Catalog
    sites: SitesMap

    def concerns(self, stack: ResolvedBlueprint) -> bool:
        name, _, current = stack.blueprint_ref.partition("@")
        target, _, version = self.ref.partition("@")
        return name == target and semver_key(current) <= semver_key(version)

    def moved(self, stack: ResolvedBlueprint) -> bool:
        return stack.blueprint_ref == self.ref

    def hops(self, stacks: list[ResolvedBlueprint] = ()) -> tuple[str, ...]:
        """Every minor from the oldest the blueprint's versions up to the target promise, to the target's."""
        name, _, version = self.ref.partition("@")
        goal = self.catalog.get(self.ref).spec.kubernetes_version
        older = [e.spec.kubernetes_version for e in self.catalog.versions(name)
                 if e.spec.kubernetes_version and semver_key(e.version) <= semver_key(version)]
        hops = minors_between(min(older, key=minor_key), goal) if goal and older else ()
        return hops if len(hops) > 1 else ()

    def next_hop(self, stack: ResolvedBlueprint) -> int:
        hops, minor = self.hops(), kubernetes_minor(stack) if stack.spec.cluster == "dedicated" else None
        if not hops or minor is None or self.moved(stack):
            return max(len(hops) - 1, 0)
        # The first hop above the minor the cluster has reached; the last (the move to the new version) once none is.
        return next((i for i, h in enumerate(hops) if minor_key(h) > minor_key(minor)), len(hops) - 1)

    def takes(self, stack: ResolvedBlueprint, step: int) -> bool:
        return True

    def _hop(self, stack: ResolvedBlueprint) -> str | None:
        """The minor of the stack's next hop when that is not yet the move to the new version, else None."""
        hops = self.hops()
        step = self.next_hop(stack)
        return hops[step] if step < len(hops) - 1 else None

    def target(self, stack: ResolvedBlueprint, others: list[ResolvedBlueprint]) -> ResolvedBlueprint:
        minor = self._hop(stack)
        if minor:
            return hop(stack, minor, self.sites.releases)
        return restamp(stack, self.ref, self.catalog, self.sites, others)

    def proposed(self, current: StackState, others: list[ResolvedBlueprint], today: date) -> Proposed:
        minor = self._hop(current.stack)
        if minor:
            hops = self.hops()
            was = in_service(current.stack).decisions.kubernetes_version or current.stack.spec.kubernetes_version
            note = (f"Kubernetes {was} -> {minor}: hop {hops.index(minor) + 1} of {len(hops)} toward {self.ref}, "
                    "with that minor's add-ons and node image")
            return Proposed(hop(current.stack, minor, self.sites.releases), current.pin, notes=(note,))
        return proposed_upgrade(current, self.ref, self.catalog, self.sites, others, unpin=False, today=today)

    def member(self, upgrade: Upgrade, step: int = 0) -> Member:
        # Every hop rolls the cluster's nodes: a later hop replaces as many as the next one.
        return Member(upgrade.stack, upgrade.before.request.env, upgrade.before.primary.data_center,
                      tuple(sorted(repaves(upgrade.before, upgrade.after).items())))


@dataclass(frozen=True)
class Held:
    """A stack left out of the waves, and why."""

    stack: str
    version: str
    reason: str


@dataclass
class RolloutPlan:
    """Every stack of a blueprint older than (or at) the target version, in waves or held back."""

    blueprint: str
    to: str
    waves: list[Wave]
    move: Move | None = field(default=None, repr=False, compare=False)
    """What each stack moves to."""
    upgrades: dict[str, Upgrade] = field(default_factory=dict)
    """Stacks still to move, by name, with their diff."""
    done: set[str] = field(default_factory=set)
    """Stacks already moved."""
    next_hop: dict[str, int] = field(default_factory=dict)
    """Stacks still to move: the index in `hops` of the hop they move in next."""
    hops: tuple[str, ...] = ("",)
    """The Kubernetes minors of the rollout's hops, in order; ("",) for a rollout of one step."""
    held: list[Held] = field(default_factory=list)
    """Pinned and retired stacks, data-losing stacks not acknowledged, and envs not in the wave list."""
    catalog: Catalog | None = field(default=None, repr=False, compare=False)
    """The catalog the plan was made with (a wave is re-stamped with it under the lock)."""
    sites: SitesMap | None = field(default=None, repr=False, compare=False)
    """The sites map the plan was made with."""
    today: date = field(default_factory=clock.today, repr=False, compare=False)
    """The day pins were judged on."""
    members: list[Member] = field(default_factory=list, repr=False, compare=False)
    """The stacks as the wave planner saw them: per step, env, data center, machines replaced, HA service."""
    diffs: SharedDiffs | None = field(default=None, repr=False, compare=False)
    """The offline diffs, one render per class of move (lifecycle/diff_classes.py)."""

    @property
    def target_ref(self) -> str:
        """`name@version` of the target."""
        return f"{self.blueprint}@{self.to}"

    def applied(self, wave: Wave) -> bool:
        """Whether every stack of the wave has taken the wave's hop (is on the target version without hops). A stack
        of a wave is either done or still to move with a next hop: _hold records one or the other."""
        step = self.hops.index(wave.hop)
        return all(s in self.done or self.next_hop[s] > step for s in wave.stacks)

    def pending(self, wave: Wave) -> list[str]:
        """The wave's stacks whose next move is this wave's: the ones its apply rewrites, with their diff."""
        step = self.hops.index(wave.hop)
        return [s for s in wave.stacks if s in self.upgrades and self.next_hop.get(s) == step]

    def wave_counts(self, wave: Wave) -> dict[str, int]:
        """Resources created, updated, replaced and deleted across the wave's pending stacks."""
        totals = {"create": 0, "update": 0, "replace": 0, "delete": 0}
        for s in self.pending(wave):
            for action, n in self.upgrades[s].diff.counts().items():
                totals[action] += n
        return totals

    def once_each(self) -> list[tuple[str, ...]]:
        """The waves with every stack in one of them only: the wave it moves in next, else the last it is in (a
        stack in several steps' waves must not wait on a wave that waits on it, as operator prerequisites would)."""
        home: dict[str, tuple[int, bool]] = {}
        for wave in self.waves:
            pending = set(self.pending(wave))
            for s in wave.stacks:
                if not home.get(s, (0, False))[1]:
                    home[s] = (wave.number, s in pending)
        return [tuple(s for s in w.stacks if home[s][0] == w.number) for w in self.waves]

    def _stack_diff(self, wave: Wave, stack: str) -> dict[str, Any]:
        """A pending stack's resource counts and reviewer notes (a major engine upgrade); None when not pending."""
        if stack not in self.pending(wave):
            return {"counts": None}
        diff = self.upgrades[stack].diff
        return {"counts": diff.counts(), "notes": list(diff.notes())}

    def wave_repaves(self, wave: Wave) -> dict[str, int]:
        """Machines (VMs, nodes) the wave replaces per data center, as the planner counted them for the budget: a
        later step's waves are counted before the earlier step is applied; an applied stack counts none. (A member of
        one of the wave's stacks is of the wave's env: a stack's members all carry its own.)"""
        stacks = set(wave.stacks)
        replaced: dict[str, int] = {}
        for m in self.members:
            if m.hop == wave.hop and m.stack in stacks:
                for dc, n in m.repaves:
                    replaced[dc] = replaced.get(dc, 0) + n
        return replaced

    def waiting(self, wave: Wave) -> bool:
        """Whether none of the wave's stacks can move yet: each waits for an earlier step of its own."""
        return not self.applied(wave) and not self.pending(wave)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable shape used by `--json`."""
        return {
            "blueprint": self.blueprint, "to": self.to,
            "waves": [{"wave": w.number, "env": w.env, "kind": w.kind, **({"kubernetes": w.hop} if w.hop else {}),
                       "applied": self.applied(w), "counts": self.wave_counts(w), "repaves": self.wave_repaves(w),
                       "stacks": [{"stack": s, "from": self.upgrades[s].before.blueprint_ref if s in self.upgrades
                                   else self.target_ref, **self._stack_diff(w, s)} for s in w.stacks]}
                      for w in self.waves],
            "held": [{"stack": h.stack, "version": h.version, "reason": h.reason} for h in self.held],
        }


def _parse_target(catalog: Catalog, blueprint: str, to: str) -> str:
    ref = to if "@" in to else f"{blueprint}@{to}"
    match = BLUEPRINT_REF.match(ref)
    if not match or match["name"] != blueprint or not match["version"]:
        raise BadInput(f"--to: '{to}' is not a version of {blueprint}")
    return catalog.get(ref).version


def _pin_reason(pin: Pin | None, today: date) -> str | None:
    if pin is None or not pin.holds(today):
        return None
    return f"pinned until {pin.expires} by {pin.approver}: {pin.reason}"


def plan_rollout(repo: Path, catalog: Catalog, sites: SitesMap, *, blueprint: str, to: str,
                 envs: tuple[str, ...] = ENVS, canary_percent: int = 10, accept_data_loss: bool = False,
                 today: date | None = None) -> RolloutPlan:
    """Diff every stack of `blueprint` below `to` offline and group the movable ones into waves."""
    version = _parse_target(catalog, blueprint, to)
    plan = RolloutPlan(blueprint, version, [], catalog=catalog, sites=sites, today=today or clock.today())
    plan.move = VersionMove(plan.target_ref, catalog, sites)
    return plan_moves(repo, plan, Scope(envs, accept_data_loss, plan.today, []), canary_percent)


def plan_moves(repo: Path, plan: RolloutPlan, scope: Scope, canary_percent: int, budget: int | None = None) -> RolloutPlan:
    """Diff every stack `plan.move` concerns offline and group the movable ones into waves (a day each with `budget`)."""
    everyone = [_read(path) for path in list_stack_files(repo)]
    plan.diffs = SharedDiffs(lambda before, after: render_upgrade(repo, before, after, plan.sites).diff)
    scope = Scope(scope.envs, scope.accept_data_loss, scope.today, [stack for _, stack, _ in everyone])
    plan.hops = plan.move.hops([stack for _, stack, _ in everyone if plan.move.concerns(stack)]) or ("",)
    members: list[Member] = []
    for path, stack, pin in everyone:
        if not plan.move.concerns(stack):
            continue
        held = _hold(plan, stack, pin, scope)
        if held:
            plan.held.append(Held(stack.stack, stack.blueprint_ref.partition("@")[2], held))
            continue
        upgrade = plan.upgrades.get(stack.stack)
        if upgrade:
            plan.next_hop[stack.stack] = plan.move.next_hop(stack)
        step = plan.next_hop.get(stack.stack, len(plan.hops))
        members.extend(hop_members(plan.move, stack, upgrade, plan.hops, step))
    plan.members = members
    plan.waves = plan_waves(members, scope.envs, canary_percent, budget, plan.hops)
    return plan


def hop_members(move: Move, stack: ResolvedBlueprint, upgrade: Upgrade | None, hops: tuple[str, ...],
                step: int) -> list[Member]:
    """The stack in every step's waves, so wave numbers hold as steps are applied: with the machines it replaces
    in each step from its next one on, with none in the steps it has taken."""
    done = Member(stack.stack, stack.request.env, stack.primary.data_center)
    return [replace(move.member(upgrade, i) if upgrade and i >= step else done, hop=h)
            for i, h in enumerate(hops) if move.takes(stack, i)]


@dataclass(frozen=True)
class Scope:
    """What a rollout plan was asked for, and the repository's stacks it checks placements against."""

    envs: tuple[str, ...]
    accept_data_loss: bool
    today: date
    stacks: list[ResolvedBlueprint]


def _read(path: Path) -> tuple[Path, ResolvedBlueprint, Pin | None]:
    """A stack file read once for its stack and its pin."""
    data = yaml_io.load_data(path)
    return path, stack_in(path, data), pin_in(path, data)


def _hold(plan: RolloutPlan, stack: ResolvedBlueprint, pin: Pin | None, scope: Scope) -> str | None:
    """Why the stack stays out of the waves, else None (recording its upgrade or that it is done)."""
    if plan.move.moved(stack):
        plan.done.add(stack.stack)
        return None
    if stack.retired:
        return f"retired since {stack.retirement.since} ({stack.retirement.reason})"
    pinned = _pin_reason(pin, scope.today)
    if pinned:
        return pinned
    if stack.request.env not in scope.envs:
        return f"env {stack.request.env} is not in the wave list"
    try:
        after = plan.move.target(stack, scope.stacks)
        upgrade = Upgrade(stack, after, plan.diffs.diff(stack, after))
    except (BadInput, ProgramError) as exc:
        return f"cannot move: {exc}"
    jump = eks_minor_jump(upgrade.before, upgrade.after)
    if jump:
        return jump
    if upgrade.data_losing and not scope.accept_data_loss:
        lost = ", ".join(f"{c.action} {c.type}" for c in upgrade.diff.data_losing)
        return f"data-losing ({lost}); acknowledge with --accept-data-loss"
    plan.upgrades[stack.stack] = upgrade
    return None


def _wave_change(plan: RolloutPlan, stacks: list[str], today: date):
    """The wave as a change of the repository under the lock: every stack re-checked against the plan."""
    def change_wave(snap: Snapshot) -> dict[str, Proposed]:
        others = list(snap.stacks())
        out = {}
        for name in stacks:
            current = snap.existing(name)
            if current.stack.retired:
                raise Stale(f"{name} was retired after the plan was made; nothing was changed", current.path)
            if _pin_reason(current.pin, today):
                raise Stale(f"{name} was pinned after the plan was made; nothing was changed", current.path)
            proposed = plan.move.proposed(current, others, today)
            still_planned(current, plan.upgrades[name], proposed)
            others = [proposed.stack if bp.stack == name else bp for bp in others]
            out[name] = proposed
        return out
    return change_wave


def apply_wave(repo: Path, plan: RolloutPlan, number: int,
               confirm: Callable[[dict[str, Outcome]], None] | None = None) -> list[Path]:
    """Rewrite the stack files of wave `number` (and nothing else), all or none; earlier waves must be applied.

    Stale when a stack of the wave changed since the plan was made (plan again: see apply_wave_planned).
    """
    if not 1 <= number <= len(plan.waves):
        raise BadInput(f"--wave: {number} is not a wave of this plan (it has {len(plan.waves)})")
    for wave in plan.waves[: number - 1]:
        if not plan.applied(wave):
            pending = ", ".join(s for s in wave.stacks if s not in plan.done)
            raise BadInput(f"--wave: wave {wave.number} is not applied yet (still to move: {pending})")
    stacks = plan.pending(plan.waves[number - 1])
    done = change(repo, _wave_change(plan, stacks, plan.today), confirm, plan.today)
    return [o.before.path for o in done.values()]


def apply_wave_planned(repo: Path, replan: Callable[[], RolloutPlan], number: int,
                       confirm: Callable[[RolloutPlan, dict[str, Outcome]], None] | None = None,
                       attempts: int = 3) -> tuple[RolloutPlan, list[Path]]:
    """Plan and apply wave `number`; planned again when a stack of it changed meanwhile (up to `attempts` times)."""
    for _ in range(attempts):
        plan = replan()
        try:
            return plan, apply_wave(repo, plan, number, (lambda out: confirm(plan, out)) if confirm else None)
        except Stale:
            continue
    raise BadInput(f"--wave: stacks of wave {number} kept changing while it was planned ({attempts} times); "
                   "nothing was changed; run it again")
