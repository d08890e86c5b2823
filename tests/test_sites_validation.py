"""The sites map is checked on load: no overlapping supernets, no VLAN range shared on one distributed switch."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, run_bp

DEMO = (ROOT / "blueprints" / "sites" / "demo-fleet.yaml").read_text()


def edited(tmp_path, old: str, new: str):
    assert old in DEMO
    path = tmp_path / "sites.yaml"
    path.write_text(DEMO.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old, new, message", [
    ("10.4.0.0/14", "10.2.0.0/15", "supernet 10.0.0.0/14 of pool us-east-1-prod overlaps 10.2.0.0/15 of pool us-east-1-nonprod"),
    ("distributed_switch: NY1-DVS-NONPROD", "distributed_switch: NY1-DVS-PROD", "share VLANs"),
])
def test_a_bad_sites_map_is_one_line_naming_the_file(repo, tmp_path, old, new, message):
    path = edited(tmp_path, old, new)
    if "switch" in old:  # the same switch with disjoint ranges is fine; make the ranges overlap too
        path.write_text(path.read_text().replace("first: 1500\n        last: 1999", "first: 1400\n        last: 1999", 1))
    result = run_bp(repo, "--sites", str(path), "sites", "list")
    assert result.returncode == 2, result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert str(path) in line and message in line, line


def test_a_vlan_shared_on_one_switch_by_two_pools_is_found_for_both_stacks(catalog, sites):
    from blueprints.placement.resolve import resolve
    from fleet.invariants import check_fleet
    from tests.conftest import make_request

    a = resolve(make_request(team="yak", blueprint="vm-app", site="ny1", region=None), catalog, sites)
    b = resolve(make_request(team="zebra", env="prod", blueprint="vm-app", site="ny1", region=None), catalog, sites)
    # zebra's prod pool, hand-edited onto yak's switch and VLAN (its network stays its own).
    moved = b.primary.model_copy(update={
        "vsphere": b.primary.vsphere.model_copy(update={"distributed_switch": a.primary.vsphere.distributed_switch}),
        "network": b.primary.network.model_copy(update={"vlan": a.primary.network.vlan}),
    })
    b = b.model_copy(update={"placements": (moved,)})
    found = {(f.stack, f.message) for f in check_fleet([a, b])}
    assert len(found) == 2
    for stack, other in (("yak-dev", "zebra-prod"), ("zebra-prod", "yak-dev")):
        assert any(s == stack and "VLAN" in m and other in m for s, m in found), found


@pytest.mark.parametrize("old, new, at", [
    ("services: 172.20.0.0/16", "services: 10.96.0.0/12", "services: 10.96.0.0/12"),  # refused after parsing
    ("vcpu: 6000", "vcpu: lots", "vcpu: lots"),  # refused by the model
])
def test_a_sites_map_read_fast_still_names_the_line_at_fault(tmp_path, old, new, at):
    from blueprints.errors import BadInput
    from blueprints.sites import load_sites

    path = edited(tmp_path, old, new)
    with pytest.raises(BadInput) as err:
        load_sites(path)
    lines = path.read_text().splitlines()
    assert err.value.line == next(i for i, line in enumerate(lines, 1) if at in line), str(err.value)


TOKYO_PROD_A = "        - {name: ap-northeast-1a, id: apne1-az4}\n"


@pytest.mark.parametrize("new, message", [
    ("        - {name: ap-northeast-1b, id: apne1-az3}\n",
     "pool ap-northeast-1-prod: zone ap-northeast-1b (apne1-az3) is not offered: not given to accounts created since "
     "2019 (DescribeAvailabilityZones lists a, c and d) (zones_not_offered, source: "
     "https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html)"),
    ("        - {name: ap-northeast-1b, id: apne1-az4}\n", "zone ap-northeast-1b (apne1-az4) is not offered"),
    ("        - {name: ap-northeast-1a, id: apne1-az1}\n", "pool ap-northeast-1-prod: availability_zones repeat a zone id"),
    ("        - {name: us-east-1a, id: apne1-az4}\n", "pool ap-northeast-1-prod: zone us-east-1a is not in region ap-northeast-1"),
])
def test_a_zone_the_region_does_not_offer_is_refused_with_its_source(tmp_path, new, message):
    from blueprints.errors import BadInput
    from blueprints.sites import load_sites

    with pytest.raises(BadInput) as err:
        load_sites(edited(tmp_path, TOKYO_PROD_A, new))
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_tokyo_pools_list_the_zones_accounts_get(sites):
    tokyo = [p for _, dc, p in sites.pools() if dc.name == "ap-northeast-1"]
    assert tokyo and all([(z.name, z.id) for z in p.aws.availability_zones] == [
        ("ap-northeast-1a", "apne1-az4"), ("ap-northeast-1c", "apne1-az1"), ("ap-northeast-1d", "apne1-az2")] for p in tokyo)


def test_a_sites_map_read_again_is_the_one_made_unless_its_file_changed(tmp_path):
    from blueprints.sites import DEMO_SITES, load_sites

    path = tmp_path / "sites.yaml"
    path.write_bytes(DEMO_SITES.read_bytes())
    first = load_sites(path)
    assert load_sites(path) is first
    path.write_bytes(DEMO_SITES.read_bytes() + b"\n# edited\n")
    assert load_sites(path) is not first
