"""Group stacks into rollout waves: env by env, a canary share of each env first, spread over data centers.

Pure and deterministic: the same stacks give the same waves on every machine. Within a data
center, stacks are taken in the order of a hash of their name, so the canary is not always the
alphabetically first teams, and a canary never takes every stack a data center has in that env.

With a repave budget (machines replaced per data center per day), each wave is one day: a group is cut
into the fewest days that keep every data center within the budget, and a wave never takes two members
of one HA service (two replicas down at once).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Literal

from blueprints.errors import BadInput


@dataclass(frozen=True)
class Member:
    """A stack as the wave planner sees it."""

    stack: str
    env: str
    data_center: str
    repaves: tuple[tuple[str, int], ...] = ()
    """Machines (VMs, nodes) the move replaces, per data center."""
    service: str | None = None
    """The HA service the member is a replica of; two replicas never share a wave."""
    hop: str = ""
    """The Kubernetes minor of the hop this member moves in ("" for a rollout of one step)."""


@dataclass(frozen=True)
class Wave:
    """One pull request's worth of stacks."""

    number: int
    env: str
    kind: Literal["canary", "rest"]
    stacks: tuple[str, ...]
    day: int = 0
    """With a repave budget: the day (from 1) the wave runs; 0 when the rollout has no budget."""
    hop: str = ""
    """The Kubernetes minor every cluster of the wave moves to ("" for a rollout of one step)."""


def _order(stack: str) -> str:
    return hashlib.sha256(stack.encode()).hexdigest()


def canary(members: list[Member], percent: int) -> list[Member]:
    """About `percent` of `members` (rounded up), one data center at a time, never a whole data center."""
    if percent <= 0 or not members:
        return []
    quota = math.ceil(len(members) * percent / 100)
    by_dc: dict[str, list[Member]] = {}
    for m in sorted(members, key=lambda m: (m.data_center, _order(m.stack))):
        by_dc.setdefault(m.data_center, []).append(m)
    picked: list[Member] = []
    for round_ in range(max(len(v) for v in by_dc.values())):
        for dc in sorted(by_dc):
            # Leave at least one stack of the data center for the wave after the canary.
            if len(picked) < quota and len(by_dc[dc]) > round_ + 1:
                picked.append(by_dc[dc][round_])
    return picked


def plan_waves(members: Iterable[Member], envs: tuple[str, ...], canary_percent: int,
               budget: int | None = None, hops: tuple[str, ...] = ("",)) -> list[Wave]:
    """Waves in rollout order: for each env of `envs` and each hop of `hops` in turn, its canary (if any) then
    the rest; with `budget`, a day each. A stack's hop waits for its previous hop, which comes in an earlier wave."""
    members = list(members)
    waves: list[Wave] = []
    for env in envs:
        for hop in hops:
            in_env = [m for m in members if m.env == env and m.hop == hop]
            first = canary(in_env, canary_percent)
            chosen = {m.stack for m in first}
            rest = [m for m in in_env if m.stack not in chosen]
            for kind, group in (("canary", first), ("rest", rest)):
                for day in (days(group, budget) if budget is not None else [group] if group else []):
                    number = len(waves) + 1
                    waves.append(Wave(number, env, kind, tuple(sorted(m.stack for m in day)),
                                      number if budget is not None else 0, hop))
    return waves


def days(group: list[Member], budget: int) -> list[list[Member]]:
    """`group` cut into days: per data center at most `budget` machines replaced, one replica per HA service.

    First fit, largest first: every member goes into the earliest day with room for it in each of its data
    centers, so a data center's days are as few as its machines over the budget allow.
    """
    filled: list[tuple[dict[str, int], set[str], list[Member]]] = []
    for m in sorted(group, key=lambda m: (-sum(n for _, n in m.repaves), _order(m.stack))):
        for dc, n in m.repaves:
            if n > budget:
                raise BadInput(f"--budget: {m.stack} replaces {n} machines in {dc}, more than the budget of "
                               f"{budget} a data center a day")
        for used, services, day in filled:
            fits = all(used[dc] + n <= budget for dc, n in m.repaves)
            if fits and (m.service is None or m.service not in services):
                break
        else:
            used, services, day = defaultdict(int), set(), []
            filled.append((used, services, day))
        for dc, n in m.repaves:
            used[dc] += n
        if m.service is not None:
            services.add(m.service)
        day.append(m)
    return [day for _, _, day in filled]
