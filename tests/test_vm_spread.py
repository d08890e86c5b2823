"""vSphere anti-affinity: one rule spreads at most as many VMs as the compute cluster has hosts.

More VMs than hosts become more rules (the fewest, sizes balanced), so every rule DRS is given can be kept.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blueprints.placement.resolve import resolve
from blueprints.plan import plan, spread_groups
from engine.stacks import preview
from tests.conftest import make_request

RULE = "vsphere:index/computeClusterVmAntiAffinityRule:ComputeClusterVmAntiAffinityRule"
VM = "vsphere:index/virtualMachine:VirtualMachine"


@pytest.mark.parametrize("vms, hosts, groups", [
    (8, 4, ((1, 2, 3, 4), (5, 6, 7, 8))),
    (5, 4, ((1, 2, 3), (4, 5))),
    (4, 4, ((1, 2, 3, 4),)),
    (3, 4, ((1, 2, 3),)),
    (9, 4, ((1, 2, 3), (4, 5, 6), (7, 8, 9))),
    (1, 4, ()),
    (8, None, ((1, 2, 3, 4, 5, 6, 7, 8),)),
])
def test_spread_groups(vms, hosts, groups):
    assert spread_groups(vms, hosts) == groups


@given(vms=st.integers(2, 64), hosts=st.integers(1, 32))
def test_every_rule_fits_the_hosts_and_every_vm_is_in_one(vms, hosts):
    groups = spread_groups(vms, hosts)
    assert sorted(i for g in groups for i in g) == list(range(1, vms + 1))
    assert all(len(g) <= hosts for g in groups)
    assert len(groups) == -(-vms // hosts), "the fewest rules that fit"
    assert max(map(len, groups)) - min(map(len, groups)) <= 1, "balanced"


@pytest.fixture(scope="module")
def xl(catalog, sites):
    """vm-app XL: 8 VMs in a pool of 4 hosts (the sites map's ny1-prod)."""
    bp = resolve(make_request(team="ledger", env="prod", blueprint="vm-app", site="ny1", region=None, size="XL"),
                 catalog, sites)
    assert bp.size.nodes == 8 and bp.primary.vsphere.hosts == 4
    return bp


def test_the_stack_file_records_the_hosts_and_the_plan_splits_the_rule(xl):
    sites = plan(xl).sites
    assert [s.vm_spread_groups for s in sites] == [((1, 2, 3, 4), (5, 6, 7, 8))] * len(sites)


def test_eight_vms_on_four_hosts_render_two_rules_of_four(xl, repo, sites):
    capture = preview(repo, xl, sites)
    rules = capture.by_type(RULE)
    per_site = len(xl.placements)
    assert len(rules) == 2 * per_site, [r.urn for r in rules]
    assert all(len(r.inputs["virtualMachineIds"]) == 4 for r in rules), [r.urn for r in rules]
    names = sorted(r.inputs["name"] for r in rules)
    assert any(n.endswith("-1-spread") for n in names) and any(n.endswith("-1-spread-2") for n in names), names
    spread = [vm for r in rules for vm in r.inputs["virtualMachineIds"]]
    assert len(spread) == len(set(spread)) == len(capture.by_type(VM)), "each VM in exactly one rule"


def test_a_stack_stamped_before_hosts_were_recorded_keeps_one_rule(xl, repo, sites):
    placements = tuple(p.model_copy(update={"vsphere": p.vsphere.model_copy(update={"hosts": None})}) for p in xl.placements)
    old = xl.model_copy(update={"placements": placements})
    rules = preview(repo, old, sites).by_type(RULE)
    assert [len(r.inputs["virtualMachineIds"]) for r in rules] == [8] * len(xl.placements)


def test_the_component_refuses_groups_that_miss_or_repeat_a_vm():
    from components.vsphere import VmPoolArgs, VmSite

    site = VmSite("dc", "cl", "ds", "rp", "folder", network="VM Network")
    tags = {"team": "t", "owner": "o", "env": "prod", "cost-center": "cc", "managed-by": "cloud-blueprints", "blueprint": "vm-app"}
    key = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOps ops@t"]
    VmPoolArgs([site], "tpl", 4, 2, 1024, 20, key, tags, spread_groups=((1, 2), (3, 4)))
    with pytest.raises(ValueError, match="spread_groups must number each VM"):
        VmPoolArgs([site], "tpl", 4, 2, 1024, 20, key, tags, spread_groups=((1, 2), (2, 3)))


def test_validate_warns_when_the_pool_lost_hosts_since_stamping(xl, catalog, sites):
    from fleet.invariants import check_stack

    assert check_stack(xl, catalog, sites) == []
    _, dc, pool = sites.find_pool(xl.primary.pool)
    smaller = pool.model_copy(update={"vsphere": pool.vsphere.model_copy(update={"hosts": pool.vsphere.hosts[:3]})})
    shrunk = sites.model_copy(update={"regions": tuple(
        r.model_copy(update={"data_centers": tuple(
            d.model_copy(update={"pools": tuple(smaller if p.name == pool.name else p for p in d.pools)}) for d in r.data_centers)})
        for r in sites.regions)})
    found = [(f.error, f.message) for f in check_stack(xl, catalog, shrunk)]
    assert found == [(False, f"pool {pool.name} has 3 hosts, the stack's anti-affinity rules were sized for 4; "
                             "re-stamp with `bp new --force`")], found
