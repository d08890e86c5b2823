"""Group stacks into rollout waves: env by env, a canary share of each env first, spread over data centers.

Pure and deterministic: the same stacks give the same waves on every machine. Within a data
center, stacks are taken in the order of a hash of their name, so the canary is not always the
alphabetically first teams, and a canary never takes every stack a data center has in that env.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Iterable, Literal


@dataclass(frozen=True)
class Member:
    """A stack as the wave planner sees it."""

    stack: str
    env: str
    data_center: str


@dataclass(frozen=True)
class Wave:
    """One pull request's worth of stacks."""

    number: int
    env: str
    kind: Literal["canary", "rest"]
    stacks: tuple[str, ...]


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


def plan_waves(members: Iterable[Member], envs: tuple[str, ...], canary_percent: int) -> list[Wave]:
    """Waves in rollout order: for each env of `envs`, its canary (if any) then the rest."""
    members = list(members)
    waves: list[Wave] = []
    for env in envs:
        in_env = [m for m in members if m.env == env]
        first = canary(in_env, canary_percent)
        chosen = {m.stack for m in first}
        rest = [m for m in in_env if m.stack not in chosen]
        for kind, group in (("canary", first), ("rest", rest)):
            if group:
                waves.append(Wave(len(waves) + 1, env, kind, tuple(sorted(m.stack for m in group))))
    return waves
