"""What the stamped stacks take of each pool, and what is left."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from blueprints.placement.allocation_index import allocations
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import Pool


@dataclass(frozen=True)
class PoolUse:
    """A pool's capacity, what stacks take of it, and what is free."""

    vcpu: int
    memory_gib: int
    used_vcpu: int = 0
    used_memory_gib: int = 0
    stacks: int = 0

    @property
    def free_vcpu(self) -> int:
        """vCPU still free."""
        return self.vcpu - self.used_vcpu

    @property
    def free_memory_gib(self) -> int:
        """Memory still free, GiB."""
        return self.memory_gib - self.used_memory_gib


def pool_use(pools: Iterable[Pool], stacks: Iterable[ResolvedBlueprint]) -> dict[str, PoolUse]:
    """Every pool's use by name; a stack in a pool the map no longer has is left out."""
    out = {p.name: PoolUse(p.capacity.vcpu, p.capacity.memory_gib) for p in pools}
    for a in allocations(stacks):
        if a.pool in out:
            u = out[a.pool]
            out[a.pool] = PoolUse(u.vcpu, u.memory_gib, u.used_vcpu + a.vcpu, u.used_memory_gib + a.memory_gib, u.stacks + 1)
    return out
