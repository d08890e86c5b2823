"""Placement and IPAM: deterministic, fits tier, zone and capacity, never overlaps."""

from __future__ import annotations

import pytest

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from tests.conftest import make_request


def test_prod_lands_in_a_prod_pool_of_the_region(catalog, sites):
    bp = resolve(make_request(env="prod", target="aws"), catalog, sites)
    p = bp.primary
    assert (p.region, p.tier, p.target) == ("amer", "prod", "aws")
    assert p.network and p.network.cidr.prefixlen == 21
    assert bp.request.blueprint == "web-service@2.1.0", "the version must be pinned"


def test_placement_is_deterministic(catalog, sites):
    a = resolve(make_request(), catalog, sites)
    b = resolve(make_request(), catalog, sites)
    assert a == b


def test_stamped_networks_and_vlans_never_collide(catalog, sites):
    stamped = []
    for i in range(12):
        stamped.append(resolve(make_request(team=f"team{i:02d}", blueprint="vm-app", site="ny1"), catalog, sites, stamped))
    nets = [p.network for bp in stamped for p in bp.placements]
    cidrs = [n.cidr for n in nets]
    for i, a in enumerate(cidrs):
        for b in cidrs[i + 1:]:
            assert not a.overlaps(b), f"{a} overlaps {b}"
    assert len({n.vlan for n in nets}) == len(nets), "a VLAN was handed out twice in one pool"


def test_restamping_a_stack_keeps_its_own_allocation_free(catalog, sites):
    first = resolve(make_request(), catalog, sites)
    again = resolve(make_request(), catalog, sites, [first])
    assert again.primary.network == first.primary.network


def test_pci_goes_to_a_pci_pool(catalog, sites):
    bp = resolve(make_request(env="prod", compliance_zone="pci", target="vsphere", blueprint="vm-app"), catalog, sites)
    _, _, pool = sites.find_pool(bp.primary.pool)
    assert "pci" in pool.compliance_zones


def test_ha_places_two_data_centers_in_one_region(catalog, sites):
    bp = resolve(make_request(env="prod", blueprint="vm-app", region="emea", parameters={"ha": True}), catalog, sites)
    dcs = [p.data_center for p in bp.placements]
    assert len(dcs) == 2 and len(set(dcs)) == 2
    assert {p.region for p in bp.placements} == {"emea"}


def test_ha_from_the_last_site_of_a_region_finds_an_earlier_one(catalog, sites):
    # fra1 is the last vSphere site of emea in the map; its partner must come from before it.
    bp = resolve(make_request(env="prod", blueprint="vm-app", site="fra1", region=None, parameters={"ha": True}),
                 catalog, sites)
    assert [p.data_center for p in bp.placements][0] == "fra1"
    assert bp.placements[1].data_center in {"ldn1", "ldn2"}


def test_a_full_pool_is_an_error_naming_it(catalog, sites):
    # ny1-prod has 12000 vCPU: 46 XL data platforms of 256 vCPU fit, the 47th does not.
    stacks = []
    for i in range(46):
        stacks.append(resolve(make_request(team=f"big{i}", blueprint="data-platform", size="XL", site="ny1", env="prod"),
                              catalog, sites, stacks))
    assert {bp.primary.pool for bp in stacks} == {"ny1-prod"}
    with pytest.raises(BadInput, match=r"no pool in site ny1 .*rejected: ny1-prod \(full\)"):
        resolve(make_request(team="onemore", blueprint="data-platform", size="XL", site="ny1", env="prod"),
                catalog, sites, stacks)


@pytest.mark.parametrize("overrides, message", [
    ({"region": "mars"}, "region: unknown region 'mars'"),
    ({"region": None, "site": "zz9"}, "site: unknown site 'zz9'"),
    ({"region": None}, "region or site"),
    ({"blueprint": "vm-app", "target": "aws"}, "target: vm-app@1.0.0 supports vsphere, not aws"),
    ({"parameters": {"colour": "blue"}}, "parameters.colour: not a parameter"),
    ({"parameters": {"postgres_version": "9"}}, "parameters.postgres_version: '9' is not one of"),
    ({"data_services": [{"kind": "kafka"}]}, r"data_services\[0\].kind: web-service@2.1.0 offers postgres, redis"),
])
def test_bad_requests_name_the_field(catalog, sites, overrides, message):
    with pytest.raises(BadInput, match=message):
        resolve(make_request(**overrides), catalog, sites)
