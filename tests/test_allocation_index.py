"""The allocation index answers what recomputing from every stamped stack answers, and placements do not change."""

from __future__ import annotations

from ipaddress import IPv4Network

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.placement.allocation_index import Allocation, AllocationIndex, switch_of
from blueprints.placement.pool_choice import Usage
from blueprints.placement.resolve import resolve
from blueprints.resolved import NetworkAllocation
from blueprints.sites import load_sites
from store import ledger
from tests.conftest import make_request

CATALOG, SITES = Catalog(), load_sites()
POOLS = [(dc, pool) for _, dc, pool in SITES.pools()]
PREFIXES = (12, 19, 21, 24, 26)  # 12 is wider than every supernet: never fits

# Requests that crowd a few pools: vSphere segments and VLANs in one site, AWS VPCs in one region, HA pairs.
KINDS = [dict(blueprint="vm-app", site="ny1", region=None), dict(blueprint="data-platform", site="ny1", region=None),
         dict(blueprint="web-service", target="aws", region="amer"),
         dict(blueprint="vm-app", region="emea", env="prod", parameters={"ha": True}),
         dict(blueprint="k8s-cluster", target="vsphere", region="apac")]


# The definitions, recomputed from every stack as placement did before the index.
def usage_from_scratch(stacks, ignore: str) -> dict[str, Usage]:
    used: dict[str, Usage] = {}
    for bp in stacks:
        for p in bp.placements if bp.stack != ignore else ():
            used[p.pool] = used.get(p.pool, Usage()).plus(bp.size.vcpu, bp.size.memory_gib)
    return used


def free_cidr_from_scratch(pool, prefix: int, used: list[IPv4Network]) -> IPv4Network | None:
    for supernet in pool.supernets:
        if prefix < supernet.prefixlen:
            continue
        inside = [u for u in used if u.overlaps(supernet)]
        for candidate in supernet.subnets(new_prefix=prefix):
            if not any(candidate.overlaps(u) for u in inside):
                return candidate
    return None


def free_vlan_from_scratch(pool, used: set[int]) -> int | None:
    return next((v for v in range(pool.vlans.first, pool.vlans.last + 1) if v not in used), None)


def switch(dc, pool) -> str | None:
    return f"{dc.vsphere.vcenter}/{pool.vsphere.distributed_switch}" if pool.vsphere else None


def assert_index_answers_from_scratch(index: AllocationIndex, stacks: list, ignore: str, taken: list[Allocation]):
    free = index.seen_by(ignore)
    for allocation in taken:
        free.take(allocation)
    held = [(p.network, switch_of(p)) for bp in stacks if bp.stack != ignore for p in bp.placements if p.network]
    held += [(NetworkAllocation(cidr=a.cidr, vlan=a.vlan), a.switch) for a in taken if a.cidr]
    used = usage_from_scratch(stacks, ignore)
    for a in taken:
        used[a.pool] = used.get(a.pool, Usage()).plus(a.vcpu, a.memory_gib)
    got = free.usage()
    for dc, pool in POOLS:
        assert got.get(pool.name, Usage()) == used.get(pool.name, Usage()), f"usage of {pool.name}, ignoring {ignore}"
        for prefix in PREFIXES:
            assert free.free_cidr(pool, prefix) == free_cidr_from_scratch(pool, prefix, [n.cidr for n, _ in held]), \
                f"/{prefix} in {pool.name}, ignoring {ignore}"
        if pool.vlans:
            vlans = {n.vlan for n, on in held if on == switch(dc, pool) and n.vlan is not None}
            assert free.free_vlan(pool, switch(dc, pool)) == free_vlan_from_scratch(pool, vlans), \
                f"VLAN in {pool.name}, ignoring {ignore}"


step = st.one_of(
    st.tuples(st.just("new"), st.integers(0, 9), st.integers(0, len(KINDS) - 1), st.sampled_from("SMLX")),
    st.tuples(st.just("drop"), st.integers(0, 9), st.just(0), st.just("S")),
    # A broken fleet: a stack file whose network swallows whole supernets (a hand edit, a bad merge).
    st.tuples(st.just("widen"), st.integers(0, 9), st.integers(8, 13), st.just("S")),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=14), st.integers(0, 9), st.booleans())
@example([("new", 0, 0, "S"), ("new", 1, 2, "M"), ("widen", 0, 8, "S"), ("new", 2, 0, "S")], 1, True)
@example([("new", 0, 3, "S"), ("new", 1, 3, "S"), ("drop", 0, 0, "S"), ("new", 2, 3, "L")], 1, False)
def test_the_index_answers_what_recomputing_from_every_stack_answers(steps, asker, takes):
    stamped: dict[str, object] = {}
    index = AllocationIndex()
    for op, team, arg, size in steps:
        name = f"team{team:02d}"
        if op == "drop":
            for stack in [s for s in stamped if s.startswith(name)]:
                del stamped[stack]
                index.remove(stack)
            continue
        if op == "widen":
            bp = next((bp for s, bp in stamped.items() if s.startswith(name) and bp.primary.network), None)
            if bp is None or bp.primary.network.cidr.prefixlen <= arg:
                continue
            wide = bp.primary.network.cidr.supernet(new_prefix=arg)
            first = bp.primary.model_copy(update={"network": NetworkAllocation(cidr=wide, vlan=bp.primary.network.vlan)})
            bp = bp.model_copy(update={"placements": (first, *bp.placements[1:])})
        else:
            overrides = {"env": "dev", **KINDS[arg]}
            request = make_request(team=name, size="XL" if size == "X" else size, **overrides)
            try:
                bp = resolve(request, CATALOG, SITES, index)
            except BadInput:
                continue
        stamped[bp.stack] = bp
        index.add(bp)
    stacks = list(stamped.values())
    assert sorted(bp.stack for bp in index) == sorted(stamped)
    ignore = next((s for s in stamped if s.startswith(f"team{asker:02d}")), f"team{asker:02d}-dev")
    taken = []
    if takes and stacks:
        # What an HA stack's first placement took counts against its second.
        dc, pool = next((dc, pool) for dc, pool in POOLS if pool.vsphere)
        cidr = free_cidr_from_scratch(pool, 26, [p.network.cidr for bp in stacks if bp.stack != ignore
                                                 for p in bp.placements if p.network])
        taken = [Allocation(ignore, pool.name, cidr, pool.vlans.first if cidr else None, 16, 64, switch(dc, pool))]
    assert_index_answers_from_scratch(index, stacks, ignore, taken)
    assert_index_answers_from_scratch(AllocationIndex(stacks), stacks, ignore, taken)


def test_sixty_stamps_place_the_same_against_the_index_as_against_the_stacks_read_afresh():
    """Stamps, re-stamps (resized, moved) and stacks taken away, as `bp new` sees them after each change."""
    index, stacks = AllocationIndex(), {}
    placed = 0
    for i in range(72):
        kind = KINDS[i % len(KINDS)]
        name = f"team{i % 48:02d}"  # from the 49th on, teams come back: a re-stamp
        request = make_request(team=name, size="SMLX"[i % 4].replace("X", "XL"), **{"env": "dev", **kind})
        move = i % 11 == 0 and i >= 48
        try:
            incremental = resolve(request, CATALOG, SITES, index, move_network=move)
        except BadInput as exc:
            try:
                resolve(request, CATALOG, SITES, list(stacks.values()), move_network=move)
            except BadInput as again:
                assert str(again) == str(exc), name
                continue
            raise AssertionError(f"{name}: the index refused what the stacks allow: {exc}")
        afresh = resolve(request, CATALOG, SITES, list(stacks.values()), move_network=move)
        assert incremental == afresh, f"step {i}: {name} placed differently against the index"
        stacks[incremental.stack] = incremental
        index.add(incremental)
        placed += 1
        if i % 9 == 8:  # a stack destroyed and its file deleted frees what it held
            gone = sorted(stacks)[i % len(stacks)]
            del stacks[gone]
            index.remove(gone)
    assert placed >= 60, placed
    assert ledger.entries(index) == ledger.entries(stacks.values())
    assert len({p.pool for bp in stacks.values() for p in bp.placements}) >= 5, "the scenario must spread over pools"


def test_a_retired_stack_keeps_its_allocations_in_the_index(catalog, sites):
    from datetime import date

    from blueprints.resolved import Retirement

    bp = resolve(make_request(team="old", blueprint="vm-app", site="ny1", region=None), catalog, sites)
    retired = bp.model_copy(update={"retirement": Retirement(since=date(2026, 1, 1), reason="moving out")})
    newcomer = resolve(make_request(team="new", blueprint="vm-app", site="ny1", region=None), catalog, sites,
                       AllocationIndex([retired]))
    assert newcomer.primary.network.cidr != bp.primary.network.cidr
    assert newcomer.primary.network.vlan != bp.primary.network.vlan
