"""The stamped stacks, indexed by what they hold: committed capacity per pool, networks by address, VLANs per switch.

Placement asks the same three questions for every request: what each pool has committed, the first free
block of a supernet, the first free VLAN of a switch. Answering them by walking every stamped stack made
stamping a fleet quadratic. The index is built once from the stacks (O(n log n)) and kept current as each
stack is stamped (a pool's usage in O(1), a network filed by bisection); a free block is looked for among
the networks inside the pool's supernets only, so a stamp costs what one pool holds, not what the fleet holds.
`bp new` (under the repository lock) and the fleet benchmark place against it alike. Retired stacks are
indexed like any other: they hold their capacity and networks until their file is gone.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from dataclasses import dataclass
from heapq import merge
from ipaddress import IPv4Network
from typing import Iterable, Iterator

from blueprints.placement.pool_choice import Usage
from blueprints.resolved import Placement, ResolvedBlueprint
from blueprints.sites import Pool

Span = tuple[int, int, str]  # first and last address of a network, and the stack holding it


@dataclass(frozen=True)
class Allocation:
    """What one placement holds in its pool."""

    stack: str
    pool: str
    cidr: IPv4Network | None
    vlan: int | None
    vcpu: int
    memory_gib: int
    switch: str | None = None

    @property
    def span(self) -> Span | None:
        """The network as an address interval, or None without one."""
        return (int(self.cidr.network_address), int(self.cidr.broadcast_address), self.stack) if self.cidr else None


def switch_of(placement: Placement) -> str | None:
    """The distributed switch a placement's VLAN lives on: VLAN ids are unique per switch, not per pool."""
    return f"{placement.vsphere.vcenter}/{placement.vsphere.distributed_switch}" if placement.vsphere else None


def allocations(stacks: Iterable[ResolvedBlueprint]) -> list[Allocation]:
    """Every placement of the given stacks, as pool usage."""
    return [
        Allocation(stack=bp.stack, pool=p.pool, cidr=p.network.cidr if p.network else None,
                   vlan=p.network.vlan if p.network else None, vcpu=bp.size.vcpu, memory_gib=bp.size.memory_gib,
                   switch=switch_of(p))
        for bp in stacks
        for p in bp.placements
    ]


def _first_fit(spans: Iterable[tuple[int, int]], first: int, last: int, size: int) -> int | None:
    """The first `size`-aligned block of [first, last] that no span overlaps; spans sorted by start, every one
    that overlaps [first, last] included (networks nest or are disjoint, so one starting earlier contains `first`)."""
    at = first
    for start, end in spans:
        if start > at + size - 1:
            break
        if end >= at:
            at = first + (end + 1 - first + size - 1) // size * size
    return at if at + size - 1 <= last else None


class AllocationIndex:
    """Stamped stacks by name, with what they hold; `add` a stack as it is stamped (a re-stamp replaces it)."""

    def __init__(self, stacks: Iterable[ResolvedBlueprint] = ()) -> None:
        self._stacks: dict[str, ResolvedBlueprint] = {}
        self._held: dict[str, list[Allocation]] = {}
        self._usage: dict[str, Usage] = {}
        self._spans: list[Span] = []  # sorted
        self._vlans: dict[str | None, Counter[int]] = {}
        for bp in {bp.stack: bp for bp in stacks}.values():
            self._spans += self._hold(bp)
        self._spans.sort()

    def __iter__(self) -> Iterator[ResolvedBlueprint]:
        return iter(self._stacks.values())

    def __len__(self) -> int:
        return len(self._stacks)

    def get(self, stack: str) -> ResolvedBlueprint | None:
        """A stamped stack by name."""
        return self._stacks.get(stack)

    def add(self, bp: ResolvedBlueprint) -> None:
        """Index a newly stamped stack, replacing what an earlier version of it held."""
        self.remove(bp.stack)
        for span in self._hold(bp):
            insort(self._spans, span)

    def remove(self, stack: str) -> None:
        """Forget a stack and free what it held."""
        if self._stacks.pop(stack, None) is None:
            return
        for a in self._held.pop(stack):
            self._count(a, -1)
            if a.span:
                del self._spans[bisect_left(self._spans, a.span)]

    def seen_by(self, stack: str) -> Availability:
        """What is free for `stack` being placed: its own earlier allocations do not count against it."""
        return Availability(self, stack, self._held.get(stack, []))

    def _hold(self, bp: ResolvedBlueprint) -> list[Span]:
        """Count the stack's allocations; returns its networks for the caller to file."""
        self._stacks[bp.stack] = bp
        self._held[bp.stack] = held = allocations([bp])
        for a in held:
            self._count(a, 1)
        return [a.span for a in held if a.span]

    def _count(self, a: Allocation, sign: int) -> None:
        self._usage[a.pool] = self._usage.get(a.pool, Usage()).plus(sign * a.vcpu, sign * a.memory_gib)
        if a.vlan is not None:
            self._vlans.setdefault(a.switch, Counter())[a.vlan] += sign

    def vlans_on(self, switch: str | None) -> Counter[int]:
        """How many placements hold each VLAN id of a switch."""
        return self._vlans.get(switch, Counter())

    def usage(self) -> dict[str, Usage]:
        """Committed vCPU and memory per pool name."""
        return dict(self._usage)

    def spans_over(self, supernet: IPv4Network) -> list[Span]:
        """Every indexed network overlapping `supernet`, by first address: any that contain it, then those inside it."""
        first, last = int(supernet.network_address), int(supernet.broadcast_address)
        found = []
        # Networks nest or are disjoint: one starting before the supernet overlaps it only by containing it.
        for prefix in range(supernet.prefixlen):
            start = first >> (32 - prefix) << (32 - prefix)
            if start < first:
                found += self._spans_of(start, start + (1 << (32 - prefix)) - 1)
        return found + self._spans_starting_in(first, last)

    def _spans_of(self, first: int, last: int) -> list[Span]:
        """Indexed networks that are exactly [first, last]."""
        at, found = bisect_left(self._spans, (first, last)), []
        while at < len(self._spans) and self._spans[at][:2] == (first, last):
            found.append(self._spans[at])
            at += 1
        return found

    def _spans_starting_in(self, first: int, last: int) -> list[Span]:
        """Indexed networks starting in [first, last], by first address."""
        at, found = bisect_left(self._spans, (first,)), []
        while at < len(self._spans) and self._spans[at][0] <= last:
            found.append(self._spans[at])
            at += 1
        return found


class Availability:
    """The index as one stack's placement sees it: its earlier allocations left out, its new ones counted as taken."""

    def __init__(self, index: AllocationIndex, stack: str, own: list[Allocation]) -> None:
        self._index = index
        self._stack = stack
        self._own = own
        self._taken: list[Allocation] = []

    def take(self, allocation: Allocation) -> None:
        """Count what this placement takes against the stack's next placement (HA)."""
        self._taken.append(allocation)

    def usage(self) -> dict[str, Usage]:
        """Committed vCPU and memory per pool name."""
        used = self._index.usage()
        for a, sign in [(a, -1) for a in self._own] + [(a, 1) for a in self._taken]:
            used[a.pool] = used.get(a.pool, Usage()).plus(sign * a.vcpu, sign * a.memory_gib)
        return used

    def free_cidr(self, pool: Pool, prefix: int) -> IPv4Network | None:
        """The first block of `prefix` in the pool's supernets that overlaps no network in use."""
        taken = sorted(a.span for a in self._taken if a.span)
        for supernet in pool.supernets:
            if prefix < supernet.prefixlen:
                continue
            others = (s for s in self._index.spans_over(supernet) if s[2] != self._stack)
            spans = (s[:2] for s in merge(others, taken))
            found = _first_fit(spans, int(supernet.network_address), int(supernet.broadcast_address), 1 << (32 - prefix))
            if found is not None:
                return IPv4Network((found, prefix))
        return None

    def free_vlan(self, pool: Pool, switch: str | None) -> int | None:
        """The first VLAN of the pool's range that no placement on its switch holds."""
        assert pool.vlans is not None
        held, mine = self._index.vlans_on(switch), Counter()
        mine.subtract(a.vlan for a in self._own if a.switch == switch and a.vlan is not None)
        mine.update(a.vlan for a in self._taken if a.switch == switch and a.vlan is not None)
        return next((v for v in range(pool.vlans.first, pool.vlans.last + 1) if held[v] + mine[v] <= 0), None)
