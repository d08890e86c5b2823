"""Placement and IPAM invariants over generated inputs: everything free can be allocated, nothing is allocated twice,
an HA stack never sits in one data center, and the larger of the vCPU and memory shares decides the ranking."""

from __future__ import annotations

from ipaddress import IPv4Network

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.placement.allocation_index import Allocation, AllocationIndex
from blueprints.placement.pool_choice import Usage, judge
from blueprints.placement.resolve import resolve
from blueprints.sites import VlanRange, load_sites
from tests.conftest import make_request

CATALOG, SITES = Catalog(), load_sites()
SUPERNET = IPv4Network("10.0.0.0/24")
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _pool(supernets=(SUPERNET,), vlans=(100, 115)):
    _, _, pool = SITES.find_pool("ldn1-prod")
    return pool.model_copy(update={"supernets": supernets, "vlans": VlanRange(first=vlans[0], last=vlans[1])})


def _aligned_free(taken: list[IPv4Network], prefix: int) -> list[IPv4Network]:
    """Brute force: every block of `prefix` in the supernet that overlaps nothing taken."""
    return [b for b in SUPERNET.subnets(new_prefix=prefix) if not any(b.overlaps(t) for t in taken)]


@FAST
@given(pre=st.lists(st.tuples(st.integers(25, 30), st.integers(0, 63)), max_size=6), prefix=st.integers(25, 29))
def test_everything_free_is_allocated_and_nothing_twice(pre, prefix):
    free = AllocationIndex().seen_by("me-dev")
    taken: list[IPv4Network] = []
    for p, i in pre:  # blocks already held, of mixed sizes; nested or overlapping ones skipped as IPAM never makes them
        block = list(SUPERNET.subnets(new_prefix=p))[i % (1 << (p - 24))]
        if not any(block.overlaps(t) for t in taken):
            taken.append(block)
            free.take(Allocation("me-dev", "ldn1-prod", block, None, 1, 1))
    pool, got = _pool(), []
    expected = len(_aligned_free(taken, prefix))
    while (cidr := free.free_cidr(pool, prefix)) is not None:
        assert cidr.subnet_of(SUPERNET) and cidr.prefixlen == prefix, cidr
        assert not any(cidr.overlaps(t) for t in taken), f"{cidr} handed out twice"
        got.append(cidr)
        taken.append(cidr)
        free.take(Allocation("me-dev", "ldn1-prod", cidr, None, 1, 1))
    assert _aligned_free(taken, prefix) == [], "a free block was left unallocated"
    assert len(got) >= 1 or expected == 0
    if not pre:
        assert len(got) == 1 << (prefix - 24), "an empty supernet must be handed out whole"


@FAST
@given(held=st.sets(st.integers(100, 115), max_size=16), first=st.integers(100, 115))
def test_every_free_vlan_of_a_range_is_handed_out_once(held, first):
    pool = _pool(vlans=(first, 115))
    free = AllocationIndex().seen_by("me-dev")
    for vlan in held:
        free.take(Allocation("me-dev", "ldn1-prod", None, vlan, 1, 1, "vc/sw"))
    got = []
    while (vlan := free.free_vlan(pool, "vc/sw")) is not None:
        assert vlan not in held and vlan not in got and first <= vlan <= 115, vlan
        got.append(vlan)
        free.take(Allocation("me-dev", "ldn1-prod", None, vlan, 1, 1, "vc/sw"))
    assert sorted(got) == sorted(set(range(first, 116)) - held)


EMEA_PROD = [p.name for r, dc, p in SITES.pools()
             if r.name == "emea" and dc.target == "vsphere" and p.tier == "prod" and "general" in p.compliance_zones]
shares = st.tuples(st.integers(0, 12000), st.integers(0, 48000))


@FAST
@given(used=st.lists(shares, min_size=len(EMEA_PROD), max_size=len(EMEA_PROD)), size=st.sampled_from("SMLX"))
def test_the_chosen_pool_has_the_least_larger_share_after_placing(used, size):
    size = CATALOG.get("vm-app").sizes["XL" if size == "X" else size]
    usage = {name: Usage(*u) for name, u in zip(EMEA_PROD, used)}
    req = make_request(env="prod", blueprint="vm-app", region="emea", target="vsphere")
    fits = [v for v in judge(req, "prod", size, SITES, usage) if v.fits]
    for name in EMEA_PROD:
        cap = SITES.find_pool(name)[2].capacity
        after = usage[name].plus(size.vcpu, size.memory_gib)
        should_fit = after.vcpu <= cap.vcpu and after.memory_gib <= cap.memory_gib
        assert should_fit == any(v.pool.name == name for v in fits), (name, after, cap)
    for v in fits:
        after = usage[v.pool.name].plus(size.vcpu, size.memory_gib)
        cap = v.pool.capacity
        assert v.after == max(after.vcpu / cap.vcpu, after.memory_gib / cap.memory_gib)
    assert [v.after for v in fits] == sorted(v.after for v in fits), "fitting pools out of rank order"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from("SML"), st.booleans()), min_size=1, max_size=12))
def test_ha_stacks_never_share_a_data_center_and_nothing_is_held_twice(steps):
    index, stamped = AllocationIndex(), 0
    for team, size, ha in steps:
        request = make_request(team=f"team{team:02d}", env="prod", blueprint="vm-app", region="emea", size=size,
                               parameters={"ha": ha})
        try:
            bp = resolve(request, CATALOG, SITES, index)
        except BadInput as refused:
            # Only a re-stamp that changes HA is refused here: the emea pools have room for every stack asked.
            assert "--param ha" in str(refused), refused
            continue
        stamped += 1
        dcs = [p.data_center for p in bp.placements]
        assert len(dcs) == (2 if ha else 1) and len(set(dcs)) == len(dcs), f"{bp.stack}: {dcs}"
        assert len({p.region for p in bp.placements}) == 1
        index.add(bp)
        nets = [p.network.cidr for s in index for p in s.placements]
        assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:]), "a network held twice"
        vlans = [(p.vsphere.distributed_switch, p.vsphere.vcenter, p.network.vlan) for s in index for p in s.placements]
        assert len(vlans) == len(set(vlans)), "a VLAN held twice on one switch"
    assert stamped >= 1, "every request was refused: the property checked nothing"
