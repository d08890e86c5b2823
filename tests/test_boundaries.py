"""Every capacity, range and date edge, exactly: a stack that exactly fills a pool fits, the last block and the last VLAN
are handed out, an exemption holds through its last day, a re-stamp into another tier is refused."""

from __future__ import annotations

import datetime as dt
from ipaddress import IPv4Network

import pytest

from blueprints.errors import BadInput
from blueprints.placement.allocation_index import Allocation, AllocationIndex, Availability, _first_fit
from blueprints.placement.capacity import pool_use
from blueprints.placement.pool_choice import Usage, judge
from blueprints.placement.resolve import resolve
from blueprints.placement.restamp import kept_placements
from blueprints.sites import VlanRange
from policy_packs.exemptions import Exemption, find
from tests.conftest import make_request

LDN1 = dict(env="prod", blueprint="vm-app", site="ldn1", region=None, target="vsphere")


def _verdict(catalog, sites, pool_name: str, used: dict[str, Usage], size: str = "M", **request):
    req = make_request(**{**LDN1, **request})
    tier = "prod" if req.env == "prod" else "nonprod"
    verdicts = judge(req, tier, catalog.get(req.blueprint).sizes[size], sites, used)
    return next(v for v in verdicts if v.pool.name == pool_name)


# --- capacity: exactly full fits, one more does not -------------------------------------------------------------

def test_a_stack_that_exactly_fills_a_pools_vcpu_fits(catalog, sites):
    _, _, pool = sites.find_pool("ldn1-prod")
    size = catalog.get("vm-app").sizes["M"]
    exactly = {"ldn1-prod": Usage(pool.capacity.vcpu - size.vcpu, 0)}
    verdict = _verdict(catalog, sites, "ldn1-prod", exactly)
    assert verdict.fits, verdict.reason
    assert verdict.after == 1.0, "the pool is exactly full once the stack is added"
    over = {"ldn1-prod": Usage(pool.capacity.vcpu - size.vcpu + 1, 0)}
    assert not _verdict(catalog, sites, "ldn1-prod", over).fits, "one vCPU too many must not fit"


def test_a_stack_that_exactly_fills_a_pools_memory_fits(catalog, sites):
    _, _, pool = sites.find_pool("ldn1-prod")
    size = catalog.get("vm-app").sizes["M"]
    exactly = {"ldn1-prod": Usage(0, pool.capacity.memory_gib - size.memory_gib)}
    assert _verdict(catalog, sites, "ldn1-prod", exactly).fits
    over = {"ldn1-prod": Usage(0, pool.capacity.memory_gib - size.memory_gib + 1)}
    verdict = _verdict(catalog, sites, "ldn1-prod", over)
    assert not verdict.fits and verdict.reason.startswith("full:"), verdict.reason
    assert f"{size.memory_gib - 1} GiB free" in verdict.reason, verdict.reason


def test_the_full_reason_counts_free_vcpu_and_free_memory_separately(catalog, sites):
    _, _, pool = sites.find_pool("ldn1-prod")
    used = {"ldn1-prod": Usage(pool.capacity.vcpu - 5, pool.capacity.memory_gib - 7)}
    verdict = _verdict(catalog, sites, "ldn1-prod", used)
    assert verdict.reason == "full: needs 12 vCPU / 48 GiB, 5 vCPU / 7 GiB free", verdict.reason
    assert verdict.capacity_only


def test_a_placement_that_exactly_fills_the_pool_is_stamped(catalog, sites):
    """End to end: fill ldn1-prod to one M short, then an M stack still lands there."""
    _, _, pool = sites.find_pool("ldn1-prod")
    size = catalog.get("vm-app").sizes["M"]
    index = AllocationIndex()
    bp = resolve(make_request(team="first", **LDN1), catalog, sites, index)
    index.add(bp)
    # Pretend the rest of the pool is committed by one large stack: rewrite the usage the index holds.
    index._usage["ldn1-prod"] = Usage(pool.capacity.vcpu - size.vcpu, pool.capacity.memory_gib - size.memory_gib)
    last = resolve(make_request(team="last", **LDN1), catalog, sites, index)
    assert last.primary.pool == "ldn1-prod"
    index.add(last)
    with pytest.raises(BadInput, match=r"placement: no pool in site ldn1 .*ldn1-prod \(full\)"):
        resolve(make_request(team="onemore", **LDN1), catalog, sites, index)


def test_the_larger_share_decides_the_ranking(catalog, sites):
    """A pool half full of vCPU but empty of memory ranks after one a quarter full of both."""
    pools = [p.name for r, dc, p in sites.pools() if r.name == "emea" and dc.target == "vsphere" and p.tier == "prod"
             and "general" in p.compliance_zones]
    first, second = pools[0], pools[1]
    cap = sites.find_pool(first)[2].capacity
    used = {first: Usage(cap.vcpu // 2, 0), second: Usage(cap.vcpu // 4, cap.memory_gib // 4)}
    used.update({p: Usage(cap.vcpu // 3, cap.memory_gib // 3) for p in pools[2:]})
    req = make_request(env="prod", blueprint="vm-app", region="emea", target="vsphere")
    verdicts = [v for v in judge(req, "prod", catalog.get("vm-app").sizes["S"], sites, used) if v.fits]
    assert verdicts[0].pool.name == second, [(v.pool.name, v.after) for v in verdicts]
    assert verdicts[-1].pool.name == first
    assert Usage(50, 10).fraction(sites.find_pool(first)[2]) == max(50 / cap.vcpu, 10 / cap.memory_gib)
    assert Usage(10, 50).fraction(sites.find_pool(first)[2]) == max(10 / cap.vcpu, 50 / cap.memory_gib)


def test_ties_go_to_the_pool_first_in_the_map(catalog, sites):
    req = make_request(env="prod", blueprint="vm-app", region="emea", target="vsphere")
    verdicts = [v for v in judge(req, "prod", catalog.get("vm-app").sizes["S"], sites, {}) if v.fits]
    order = [p.name for _, _, p in sites.pools()]
    assert [v.pool.name for v in verdicts] == sorted((v.pool.name for v in verdicts), key=order.index)


def test_an_ha_partner_is_never_in_the_data_center_it_already_has(catalog, sites):
    first = resolve(make_request(team="ha", **LDN1), catalog, sites).primary
    req = make_request(**LDN1)
    verdicts = judge(req, "prod", catalog.get("vm-app").sizes["M"], sites, {}, chosen=[first])
    same_dc = [v for v in verdicts if v.data_center.name == first.data_center]
    assert same_dc and not any(v.fits for v in same_dc), [(v.pool.name, v.reason) for v in same_dc]
    assert any(v.fits for v in verdicts), "another emea data center must be offered"
    assert all(v.region.name == first.region for v in verdicts if v.fits), "an HA partner left the region"


@pytest.mark.parametrize("site", ["ny1", "ldn1", "sgp1"])
def test_an_ha_partner_stays_in_the_first_placements_region_whichever_it_is(catalog, sites, site):
    first = resolve(make_request(team="ha", env="prod", blueprint="vm-app", site=site, region=None, target="vsphere"),
                    catalog, sites).primary
    req = make_request(env="prod", blueprint="vm-app", region=first.region, target="vsphere")
    verdicts = judge(req, "prod", catalog.get("vm-app").sizes["M"], sites, {}, chosen=[first])
    elsewhere = [v for v in verdicts if v.region.name != first.region]
    assert elsewhere and not any(v.fits for v in elsewhere), [(v.pool.name, v.reason) for v in elsewhere if v.fits]
    assert {v.reason for v in elsewhere} == {f"HA partner must be in region {first.region}"}
    assert any(v.fits for v in verdicts)


def test_usage_starts_empty_and_adds_up():
    assert Usage() == Usage(0, 0) and Usage().plus(3, 4) == Usage(3, 4) and Usage(1, 2).plus(3, 4) == Usage(4, 6)


def test_usage_and_pool_use_are_values_that_cannot_change():
    from dataclasses import FrozenInstanceError

    from blueprints.placement.capacity import PoolUse

    for value, field in ((Usage(1, 2), "vcpu"), (PoolUse(1, 2), "used_vcpu")):
        with pytest.raises(FrozenInstanceError):
            setattr(value, field, 0)
        assert hash(value) == hash(type(value)(1, 2))


def test_an_allocation_the_index_shares_with_a_stacks_view_cannot_change(catalog, sites):
    """seen_by() hands a stack's view the very Allocation objects the index counts: neither may edit them."""
    from dataclasses import FrozenInstanceError

    stack = resolve(make_request(team="tpl", **LDN1), catalog, sites)
    index = AllocationIndex([stack])
    (held,) = index._held[stack.stack]
    assert index.seen_by(stack.stack)._own[0] is held
    with pytest.raises(FrozenInstanceError):
        held.vcpu = 0


def test_a_verdict_cannot_be_changed_after_judging(catalog, sites):
    """The trace `bp new --explain` prints is what placement decided: settle() replaces verdicts, never edits them."""
    from dataclasses import FrozenInstanceError

    verdict = _verdict(catalog, sites, "ldn1-prod", {})
    with pytest.raises(FrozenInstanceError):
        verdict.fits = False


def test_the_capacity_report_counts_vcpu_as_vcpu_and_memory_as_memory(catalog, sites):
    bp = resolve(make_request(team="cap", **LDN1), catalog, sites)
    _, _, pool = sites.find_pool("ldn1-prod")
    use = pool_use([pool], [bp])["ldn1-prod"]
    assert (use.used_vcpu, use.used_memory_gib, use.stacks) == (bp.size.vcpu, bp.size.memory_gib, 1)
    assert use.free_vcpu == pool.capacity.vcpu - bp.size.vcpu
    assert use.free_memory_gib == pool.capacity.memory_gib - bp.size.memory_gib
    twice = pool_use([pool], [bp, bp.model_copy(update={"stack": "cap2-prod"})])["ldn1-prod"]
    assert (twice.used_vcpu, twice.used_memory_gib, twice.stacks) == (2 * bp.size.vcpu, 2 * bp.size.memory_gib, 2)
    assert pool_use([], [bp]) == {}, "a stack in a pool the map no longer has is left out"


# --- IPAM: the last block of a supernet and the last VLAN of a range -------------------------------------------

def _small_pool(sites, supernet: str = "10.0.0.0/26", first: int = 100, last: int = 102):
    _, _, pool = sites.find_pool("ldn1-prod")
    return pool.model_copy(update={"supernets": (IPv4Network(supernet),), "vlans": VlanRange(first=first, last=last)})


def _take(free, cidr: str | None = None, vlan: int | None = None, switch: str | None = "vc/sw") -> None:
    free.take(Allocation("me-dev", "ldn1-prod", IPv4Network(cidr) if cidr else None, vlan, 1, 1, switch))


def test_the_last_block_of_a_supernet_is_handed_out(sites):
    pool = _small_pool(sites)
    free = AllocationIndex().seen_by("me-dev")
    got = []
    while (cidr := free.free_cidr(pool, 28)) is not None:
        got.append(str(cidr))
        _take(free, str(cidr))
    assert got == ["10.0.0.0/28", "10.0.0.16/28", "10.0.0.32/28", "10.0.0.48/28"]


def test_a_block_exactly_the_supernets_size_is_handed_out_and_a_larger_one_is_not(sites):
    pool = _small_pool(sites)
    free = AllocationIndex().seen_by("me-dev")
    assert free.free_cidr(pool, 26) == IPv4Network("10.0.0.0/26")
    assert free.free_cidr(pool, 25) is None


def test_a_supernet_narrower_than_the_block_is_passed_over_for_the_next_one(sites):
    pool = _small_pool(sites).model_copy(update={"supernets": (IPv4Network("10.0.0.0/27"), IPv4Network("10.1.0.0/24"))})
    free = AllocationIndex().seen_by("me-dev")
    assert free.free_cidr(pool, 26) == IPv4Network("10.1.0.0/26"), "a /27 holds no /26; the /24 after it does"
    assert free.free_cidr(pool, 28) == IPv4Network("10.0.0.0/28"), "the first supernet is still used first"


def test_first_fit_at_the_exact_edges():
    # [0, 63] in blocks of 16; the first three taken: the last one (48) is free, nothing past it.
    assert _first_fit([(0, 15), (16, 31), (32, 47)], 0, 63, 16) == 48
    assert _first_fit([(0, 15), (16, 31), (32, 47), (48, 63)], 0, 63, 16) is None
    # A gap of exactly one block between two taken ones is used; a gap one address short is not.
    assert _first_fit([(0, 15), (32, 63)], 0, 63, 16) == 16
    assert _first_fit([(0, 16), (32, 63)], 0, 63, 16) is None
    # A span ending right before the block leaves it free; the block is aligned to the supernet's start.
    assert _first_fit([(0, 15)], 0, 31, 16) == 16
    assert _first_fit([(64, 100)], 64, 127, 16) == 112
    assert _first_fit([(100, 100)], 64, 127, 16) == 64
    assert _first_fit([], 64, 127, 64) == 64
    # A span on the block's very last address still overlaps it.
    assert _first_fit([(15, 15)], 0, 31, 16) == 16
    assert _first_fit([(0, 0)], 0, 31, 16) == 16
    # Single addresses: the last one is handed out, and none past the end when every one is taken.
    assert _first_fit([(0, 14)], 0, 15, 1) == 15
    assert _first_fit([(0, 15)], 0, 15, 1) is None


def test_a_network_elsewhere_in_the_index_is_not_handed_out_again(catalog, sites):
    index = AllocationIndex()
    a = resolve(make_request(team="alpha", **LDN1), catalog, sites, index)
    index.add(a)
    b = resolve(make_request(team="beta", **LDN1), catalog, sites, index)
    assert a.primary.network.cidr != b.primary.network.cidr
    assert not a.primary.network.cidr.overlaps(b.primary.network.cidr)
    assert a.primary.network.vlan != b.primary.network.vlan
    # The first stack, re-placed, sees its own network as free and keeps it.
    again = index.seen_by(a.stack)
    assert again.free_cidr(sites.find_pool("ldn1-prod")[2], 26) == a.primary.network.cidr


def test_a_fleet_of_more_networks_than_small_ints_are_cached_for(catalog, sites):
    """300 networks in ldn1-prod: the index is walked past position 256 both inside and beyond the supernet."""
    template = resolve(make_request(team="tpl", **LDN1), catalog, sites)
    base = sites.find_pool("ldn1-prod")[2].supernets[0]
    blocks = list(base.subnets(new_prefix=26))
    index = AllocationIndex([_holder(template, [_on(template, "gone", str(b), None) for b in blocks[:300]])])
    free = index.seen_by("me-dev")
    assert free.free_cidr(sites.find_pool("ldn1-prod")[2], 26) == blocks[300]
    pci = sites.find_pool("ldn1-pci")[2]
    assert free.free_cidr(pci, 26) == next(pci.supernets[0].subnets(new_prefix=26))


@pytest.mark.parametrize("other", ["vc-other/dvs", "vz-other/dvs"])  # sorting before and after this switch
def test_a_vlan_the_stack_holds_on_another_switch_does_not_free_it_on_this_one(catalog, sites, other):
    template = resolve(make_request(team="tpl", **LDN1), catalog, sites)
    pool = sites.find_pool("ldn1-prod")[2]
    switch = f"{template.primary.vsphere.vcenter}/{template.primary.vsphere.distributed_switch}"
    assert "vc-other/dvs" < switch < "vz-other/dvs"
    first = pool.vlans.first
    index = AllocationIndex([_holder(template, [_on(template, "gone", "192.168.0.0/26", first)])])
    own = [Allocation("me-dev", "elsewhere", None, first, 1, 1, other)]
    free = Availability(index, "me-dev", own)
    assert free.free_vlan(pool, switch) == first + 1, "VLAN held by another stack on this switch handed out"
    mine = Availability(index, "me-dev", [Allocation("me-dev", "ldn1-prod", None, first + 1, 1, 1, switch)])
    assert mine.free_vlan(pool, switch) == first + 1, "the stack's own VLAN on this switch is free for it"


def test_the_last_vlan_of_a_range_is_handed_out(sites):
    pool = _small_pool(sites)
    free = AllocationIndex().seen_by("me-dev")
    got = []
    while (vlan := free.free_vlan(pool, "vc/sw")) is not None:
        got.append(vlan)
        _take(free, vlan=vlan)
    assert got == [100, 101, 102]


@pytest.mark.parametrize("other", ["vc/other", "vc/zz"])  # sorting before and after this switch
def test_a_vlan_held_on_another_switch_is_free_on_this_one(sites, other):
    pool = _small_pool(sites, first=100, last=100)
    free = AllocationIndex().seen_by("me-dev")
    _take(free, vlan=100, switch=other)
    assert free.free_vlan(pool, "vc/sw") == 100
    _take(free, vlan=100, switch="vc/sw")
    assert free.free_vlan(pool, "vc/sw") is None


# --- re-stamps keep their tier ----------------------------------------------------------------------------------

def test_a_restamp_to_prod_does_not_keep_a_nonprod_pool(catalog, sites):
    dev = resolve(make_request(team="move", env="dev", blueprint="vm-app", site="ldn1", region=None, target="vsphere"), catalog, sites)
    assert dev.primary.pool == "ldn1-nonprod"
    prod = make_request(team="move", env="prod", blueprint="vm-app", site="ldn1", region=None, target="vsphere")
    free = AllocationIndex([dev]).seen_by(dev.stack)
    with pytest.raises(BadInput, match=r"pool ldn1-nonprod is not certified for general \(prod\)"):
        kept_placements(prod, catalog.get("vm-app"), sites, free, dev, 1)


def test_a_restamp_that_exactly_fills_its_pool_is_kept_and_one_over_is_refused(catalog, sites):
    dev = resolve(make_request(team="fill", env="dev", blueprint="vm-app", site="ldn1", region=None, target="vsphere"), catalog, sites)
    entry = catalog.get("vm-app")
    _, _, pool = sites.find_pool(dev.primary.pool)
    index = AllocationIndex([dev])
    size = entry.sizes["L"]
    # Others commit all but exactly one L stack (the stack's own M does not count against its re-stamp).
    index._usage[pool.name] = Usage(pool.capacity.vcpu - size.vcpu + dev.size.vcpu,
                                    pool.capacity.memory_gib - size.memory_gib + dev.size.memory_gib)
    bigger = make_request(team="fill", env="dev", blueprint="vm-app", site="ldn1", region=None, target="vsphere", size="L")
    kept = kept_placements(bigger, entry, sites, index.seen_by(dev.stack), dev, 1)
    assert kept[0].pool == pool.name and kept[0].network == dev.primary.network
    index._usage[pool.name] = index._usage[pool.name].plus(0, 1)
    with pytest.raises(BadInput, match=r"--size: L .* no longer fits pool ldn1-nonprod, which has 32 vCPU / 127 GiB free"):
        kept_placements(bigger, entry, sites, index.seen_by(dev.stack), dev, 1)


def _restamp(catalog, sites, previous, **request):
    fields = dict(team=previous.request.team, env=previous.request.env, blueprint=previous.request.blueprint,
                  target=previous.primary.target, site=None, region=previous.primary.region,
                  parameters=dict(previous.request.parameters))
    req = make_request(**{**fields, **request})
    entry = catalog.get(req.blueprint)
    wanted = 2 if req.parameters.get("ha") else 1
    return kept_placements(req, entry, sites, AllocationIndex([previous]).seen_by(previous.stack), previous, wanted)


def _stamped(catalog, sites, **request):
    fields = dict(team="keep", env="dev", blueprint="vm-app", target="vsphere", region=None, site="ldn1")
    return resolve(make_request(**{**fields, **request}), catalog, sites)


@pytest.mark.parametrize(("have", "ask"), [("vsphere", "aws"), ("aws", "vsphere")])
def test_a_restamp_to_another_target_is_refused_either_way(catalog, sites, have, ask):
    previous = _stamped(catalog, sites, blueprint="k8s-cluster", target=have, site=None, region="emea")
    with pytest.raises(BadInput, match=rf"--target: keep-dev runs on {have}, not {ask}; pass --move-network"):
        _restamp(catalog, sites, previous, target=ask)
    assert _restamp(catalog, sites, previous)[0].pool == previous.primary.pool


@pytest.mark.parametrize(("have", "ask"), [("ldn1", "fra1"), ("ldn1", "ldn2"), ("fra1", "ldn1")])
def test_a_restamp_to_another_site_is_refused_either_way(catalog, sites, have, ask):
    previous = _stamped(catalog, sites, site=have)
    with pytest.raises(BadInput, match=rf"--site: keep-dev is placed in {have}, not {ask}; pass --move-network"):
        _restamp(catalog, sites, previous, site=ask, region=None)
    assert _restamp(catalog, sites, previous, site=have, region=None)[0].data_center == have


@pytest.mark.parametrize(("have", "ask"), [("ny1", "emea"), ("ldn1", "amer"), ("ldn1", "apac")])
def test_a_restamp_to_another_region_is_refused_either_way(catalog, sites, have, ask):
    previous = _stamped(catalog, sites, site=have)
    with pytest.raises(BadInput, match=rf"--region: keep-dev is placed in {previous.primary.region}, not {ask}"):
        _restamp(catalog, sites, previous, region=ask)
    assert _restamp(catalog, sites, previous, region=previous.primary.region)[0].region == previous.primary.region


@pytest.mark.parametrize(("have", "ask"), [(False, True), (True, False)])
def test_a_restamp_that_changes_ha_is_refused_either_way(catalog, sites, have, ask):
    previous = _stamped(catalog, sites, site=None, region="emea", parameters={"ha": have})
    n, m = (2, 1) if have else (1, 2)
    with pytest.raises(BadInput, match=rf"--param ha: changes keep-dev from {n} to {m} placements"):
        _restamp(catalog, sites, previous, parameters={"ha": ask})


def test_a_restamp_from_prod_to_nonprod_does_not_keep_a_prod_pool(catalog, sites):
    prod = _stamped(catalog, sites, env="prod")
    forged = prod.model_copy(update={"request": prod.request.model_copy(update={"env": "dev"})})  # same stack name
    with pytest.raises(BadInput, match=r"pool ldn1-prod is not certified for general \(nonprod\)"):
        _restamp(catalog, sites, forged)


@pytest.mark.parametrize(("have", "ask", "wants", "holds"), [
    ("vm-app", "k8s-cluster", "a /24 network", r"10\.\S+/26"),
    ("k8s-cluster", "vm-app", "a /26 network", r"10\.\S+/24"),
    ("vm-app", "web-service", "no network", r"10\.\S+/26"),
    ("web-service", "vm-app", "a /26 network", "none"),
])
def test_a_restamp_to_a_blueprint_that_needs_another_network_is_refused(catalog, sites, have, ask, wants, holds):
    previous = _stamped(catalog, sites, blueprint=have)
    with pytest.raises(BadInput, match=rf"--blueprint: {ask}@\S+ needs {wants}, keep-dev holds {holds}; pass --move-network"):
        _restamp(catalog, sites, previous, blueprint=ask)


# --- exemptions: the last day counts, an active one always wins -------------------------------------------------

URN = "urn:pulumi:shop-prod::cloud-blueprints::aws:s3/bucket:Bucket::logs"


def _exemption(expires: dt.date, ticket: str = "RISK-1", **kw) -> Exemption:
    fields = dict(policy="aws-s3-bucket-encryption", stack="shop-*", resource="logs", reason="legacy bucket, migrating",
                  approver="sec@example.com", ticket=ticket, expires=expires)
    return Exemption(**{**fields, **kw})


def test_an_exemption_holds_through_its_last_day_and_not_a_day_longer():
    today = dt.date(2026, 12, 5)
    assert _exemption(today).active(today), "an exemption expiring today still holds today"
    assert not _exemption(today - dt.timedelta(days=1)).active(today), "one that expired yesterday does not"
    assert _exemption(today + dt.timedelta(days=1)).active(today)


def test_an_exemption_without_a_date_is_judged_on_todays_utc_date():
    today = dt.datetime.now(dt.timezone.utc).date()
    assert _exemption(today).active()
    assert not _exemption(today - dt.timedelta(days=1)).active()


def test_an_expired_exemption_is_never_preferred_over_an_active_one():
    today = dt.datetime.now(dt.timezone.utc).date()
    expired = _exemption(today - dt.timedelta(days=1), ticket="OLD-1")
    active = _exemption(today, ticket="NEW-1")
    assert find([expired, active], "aws-s3-bucket-encryption", URN) is active
    assert find([active, expired], "aws-s3-bucket-encryption", URN) is active
    # With only expired ones, the first is still returned so the audit can name it as lapsed.
    older = _exemption(today - dt.timedelta(days=9), ticket="OLDER-1")
    assert find([expired, older], "aws-s3-bucket-encryption", URN) is expired
    assert find([active], "another-policy", URN) is None


def test_an_exemption_covers_its_stack_glob_and_resource_by_name_or_urn_only():
    ex = _exemption(dt.date(2030, 1, 1))
    assert ex.covers("aws-s3-bucket-encryption", URN)
    assert not ex.covers("aws-s3-bucket-encryption", URN.replace("shop-prod", "shopx"))
    assert not ex.covers("aws-s3-bucket-encryption", URN.replace("::logs", "::logs2"))
    assert not ex.covers("aws-s3-bucket-encryption", "logs"), "a bare name is not a URN"
    by_urn = _exemption(dt.date(2030, 1, 1), resource="urn:pulumi:shop-prod::*::logs")
    assert by_urn.covers("aws-s3-bucket-encryption", URN)
    other_stack = _exemption(dt.date(2030, 1, 1), stack="pay-*")
    assert not other_stack.covers("aws-s3-bucket-encryption", URN)


# --- IPAM exhaustion: the next pool is tried, and the refusal says why ------------------------------------------

EMEA = dict(env="prod", blueprint="vm-app", region="emea", target="vsphere")


def _holder(template, placements) -> object:
    """A stamped stack in a pool the map no longer has (so it commits no capacity in ldn1-prod) holding `placements`."""
    return template.model_copy(update={"stack": "holder-prod", "placements": tuple(placements)})


def _on(template, pool: str, cidr: str, vlan: int | None):
    p = template.primary
    return p.model_copy(update={"pool": pool, "network": p.network.model_copy(update={"cidr": IPv4Network(cidr), "vlan": vlan})})


def test_a_pool_with_no_free_block_is_passed_over_for_the_next(catalog, sites):
    template = resolve(make_request(team="tpl", **EMEA), catalog, sites)
    assert template.primary.pool == "ldn1-prod", "ldn1-prod ranks first in an empty emea"
    supernet = str(sites.find_pool("ldn1-prod")[2].supernets[0])
    index = AllocationIndex([_holder(template, [_on(template, "gone", supernet, None)])])
    trace: list = []
    bp = resolve(make_request(team="next", **EMEA), catalog, sites, index, trace=trace)
    assert bp.primary.pool == "ldn2-prod", bp.primary.pool
    ldn1 = next(v for v in trace if v.pool.name == "ldn1-prod")
    assert ldn1.reason == "no free /26, though capacity fits" and not ldn1.fits, ldn1.reason


def test_a_pool_with_no_free_vlan_is_passed_over_for_the_next(catalog, sites):
    template = resolve(make_request(team="tpl", **EMEA), catalog, sites)
    vlans = sites.find_pool("ldn1-prod")[2].vlans
    held = [_on(template, "gone", "192.168.0.0/26", v) for v in range(vlans.first, vlans.last + 1)]
    index = AllocationIndex([_holder(template, held)])
    trace: list = []
    bp = resolve(make_request(team="next", **EMEA), catalog, sites, index, trace=trace)
    assert bp.primary.pool == "ldn2-prod", bp.primary.pool
    assert next(v for v in trace if v.pool.name == "ldn1-prod").reason == "no free VLAN, though capacity fits"
    # One VLAN given back (the last of the range) and ldn1-prod takes it.
    index = AllocationIndex([_holder(template, held[:-1])])
    bp = resolve(make_request(team="next", **EMEA), catalog, sites, index)
    assert (bp.primary.pool, bp.primary.network.vlan) == ("ldn1-prod", vlans.last)


def test_an_ha_stack_with_no_second_data_center_is_refused_by_name(catalog, sites):
    # emea has one PCI data center (ldn1): the first placement lands, the partner has nowhere to go.
    request = make_request(team="ha", parameters={"ha": True}, compliance_zone="pci", **EMEA)
    trace: list = []
    with pytest.raises(BadInput, match=r"placement: no 2 data centers in region emea for target vsphere, tier prod, zone pci"):
        resolve(request, catalog, sites, trace=trace)
    # One round of verdicts per placement tried: the first placed, the second found nothing and placement stopped.
    assert [v.placement for v in trace] == [0] * len(list(sites.pools())) + [1] * len(list(sites.pools()))


def test_placement_stops_at_the_first_placement_that_finds_nothing(catalog, sites):
    request = make_request(team="nowhere", compliance_zone="hipaa", parameters={"ha": True}, **LDN1)
    trace: list = []
    with pytest.raises(BadInput, match=r"placement: no 2 data centers in site ldn1"):
        resolve(request, catalog, sites, trace=trace)
    assert [v.placement for v in trace] == [0] * len(list(sites.pools())), "a second round was judged"


def test_a_single_placement_that_fits_nowhere_is_refused_as_no_pool(catalog, sites):
    with pytest.raises(BadInput, match=r"placement: no pool in site ldn1 for target vsphere, tier prod, zone hipaa") as refused:
        resolve(make_request(team="nowhere", compliance_zone="hipaa", **LDN1), catalog, sites)
    # No pool of the right kind was full, so none is named as rejected: the wrong kind is not worth listing.
    assert "rejected" not in str(refused.value), refused.value


# --- the exemptions file: only the default one may be missing ----------------------------------------------------

def test_only_the_default_exemptions_file_may_be_missing(tmp_path, monkeypatch):
    from policy_packs import exemptions as ex

    monkeypatch.delenv(ex.ENV, raising=False)
    monkeypatch.setattr(ex, "DEFAULT_FILE", tmp_path / "absent-default.yaml")
    assert ex.load() == [] and ex.load(tmp_path / "absent-default.yaml") == []
    for name in ("absent.yaml", "a.yaml"):  # named files sorting after and before the default one
        with pytest.raises(BadInput, match=rf"{name}: no such exemptions file"):
            ex.load(tmp_path / name)
    present = tmp_path / "present.yaml"
    present.write_text("exemptions:\n  - {policy: p, stack: s, resource: r, reason: a long enough reason,\n"
                       "     approver: a@example.com, ticket: T-1, expires: 2030-01-01}\n")
    monkeypatch.setattr(ex, "DEFAULT_FILE", present)
    (loaded,) = ex.load()
    assert (loaded.policy, loaded.line) == ("p", 2)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert ex.load(empty) == []


def test_an_exemption_constructed_in_code_has_no_line_and_every_name_needs_a_character():
    from pydantic import ValidationError

    ex = _exemption(dt.date(2030, 1, 1), policy="p", stack="s", resource="r")
    assert (ex.policy, ex.stack, ex.resource, ex.line) == ("p", "s", "r", 0)
    for field in ("policy", "stack", "resource"):
        with pytest.raises(ValidationError, match=rf"{field}\n  String should have at least 1 character"):
            _exemption(dt.date(2030, 1, 1), **{field: ""})


def test_an_exact_stack_name_covers_only_that_stack():
    ex = _exemption(dt.date(2030, 1, 1), stack="shop-prod")
    assert ex.covers("aws-s3-bucket-encryption", URN)
    assert not ex.covers("aws-s3-bucket-encryption", URN.replace("shop-prod", "shop-prod2"))


def test_exempted_violations_are_recorded_with_sorted_keys():
    from policy_packs.exemptions import decode_exempt, encode_exempt

    ex = _exemption(dt.date(2030, 1, 1))
    reason = encode_exempt([(URN, ex, "not encrypted")])
    assert reason == ('exempt [{"exemption": "RISK-1:aws-s3-bucket-encryption", "message": "not encrypted", '
                      f'"urn": "{URN}"}}]')
    assert decode_exempt(reason) == [{"urn": URN, "exemption": "RISK-1:aws-s3-bucket-encryption",
                                      "message": "not encrypted"}]
    assert decode_exempt("not a prod resource") is None


def test_an_exemption_names_exactly_one_policy():
    ex = _exemption(dt.date(2030, 1, 1), policy="m-policy")
    assert ex.covers("m-policy", URN)
    assert not ex.covers("a-policy", URN) and not ex.covers("z-policy", URN), "a policy sorting before or after"


def test_an_exemption_reason_needs_ten_characters_and_the_record_is_frozen():
    from pydantic import ValidationError

    assert _exemption(dt.date(2030, 1, 1), reason="0123456789").reason == "0123456789"
    with pytest.raises(ValidationError, match=r"reason\n  String should have at least 10 characters"):
        _exemption(dt.date(2030, 1, 1), reason="012345678")
    ex = _exemption(dt.date(2030, 1, 1))
    with pytest.raises(ValidationError, match="frozen"):
        ex.expires = dt.date(2099, 1, 1)
    assert "line" not in ex.model_dump(), "the line is where the entry was read, not part of the exemption"


def test_the_networks_over_a_supernet_are_exactly_those_overlapping_it(catalog, sites):
    template = resolve(make_request(team="tpl", **EMEA), catalog, sites)
    supernet = IPv4Network("10.1.0.0/24")
    held = [IPv4Network(c) for c in ("10.0.0.0/8", "10.1.0.0/26", "10.1.0.192/26", "10.1.1.0/26", "10.0.255.192/26")]
    index = AllocationIndex([_holder(template, [_on(template, "gone", str(n), None) for n in held])])
    # The one containing it first, then those inside by first address; the blocks just before and after are not.
    want = [(int(n.network_address), int(n.broadcast_address)) for n in held[:3]]
    assert [span[:2] for span in index.spans_over(supernet)] == want


def test_a_network_holding_the_supernet_from_its_first_address_is_listed_once(catalog, sites):
    template = resolve(make_request(team="tpl", **EMEA), catalog, sites)
    wide = IPv4Network("10.1.0.0/16")
    index = AllocationIndex([_holder(template, [_on(template, "gone", str(wide), None)])])
    spans = index.spans_over(IPv4Network("10.1.0.0/24"))
    assert [s[:2] for s in spans] == [(int(wide.network_address), int(wide.broadcast_address))], spans


def test_two_stacks_holding_the_same_network_both_count(catalog, sites):
    """Stack files that overlap (a merge the ledger refuses) must not make a network look free to either of them."""
    template = resolve(make_request(team="tpl", **EMEA), catalog, sites)
    wide = IPv4Network("10.0.0.0/8")
    holders = [_holder(template, [_on(template, "gone", str(wide), None)]) for _ in range(2)]
    index = AllocationIndex([h.model_copy(update={"request": h.request.model_copy(update={"team": team})})
                             for h, team in zip(holders, ("one", "two"))])
    spans = index.spans_over(IPv4Network("10.1.0.0/24"))
    assert sorted(s[2] for s in spans) == ["one-prod", "two-prod"], spans
    pool = _small_pool(sites, supernet="10.1.0.0/24")
    assert index.seen_by("one-prod").free_cidr(pool, 26) is None, "two-prod still holds the whole /8"


def test_a_network_on_the_supernets_last_address_or_holding_it_from_an_odd_block_overlaps_it(catalog, sites):
    template = resolve(make_request(team="tpl", **EMEA), catalog, sites)
    supernet = IPv4Network("10.1.1.0/24")
    held = [IPv4Network(c) for c in ("10.1.0.0/16", "10.1.1.255/32", "10.1.0.255/32", "10.1.2.0/32")]
    index = AllocationIndex([_holder(template, [_on(template, "gone", str(n), None) for n in held])])
    want = [(int(n.network_address), int(n.broadcast_address)) for n in held[:2]]
    assert [span[:2] for span in index.spans_over(supernet)] == want
    alone = AllocationIndex([_holder(template, [_on(template, "gone", "10.1.1.255/32", None)])])
    pool = _small_pool(sites, supernet="10.1.1.240/28")
    assert alone.seen_by("me-dev").free_cidr(pool, 28) is None, "its last address is taken: the block is not free"
