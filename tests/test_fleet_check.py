"""`bp fleet check`: each invariant found on a fleet that breaks it, nothing on a clean one."""

from __future__ import annotations

import json
from ipaddress import IPv4Network

import pytest

from blueprints.resolved import NetworkAllocation
from fleet.invariants import check
from fleet.stamped import load_fleet
from store import stack_files
from tests.fleet_support import stamp_fleet, write_fleet


@pytest.fixture(scope="module")
def clean(catalog, sites):
    return stamp_fleet(catalog, sites, 40)


def _with_network(bp, index: int, **changes):
    placement = bp.placements[index]
    network = placement.network.model_copy(update=changes)
    placements = list(bp.placements)
    placements[index] = placement.model_copy(update={"network": network})
    return bp.model_copy(update={"placements": tuple(placements)})


def _findings(repo, catalog, sites, rule):
    return [f for f in check(load_fleet(repo, catalog, sites)) if f.rule == rule]


def test_a_clean_fleet_passes(bp, repo, clean):
    write_fleet(repo, clean)
    result = bp("fleet", "check", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == {"stacks": 40, "ok": True, "findings": []}


def test_overlapping_networks_name_both_stacks(bp, repo, clean):
    a, b = clean[0], clean[8]  # two AWS web services
    write_fleet(repo, [a, _with_network(b, 0, cidr=IPv4Network(a.primary.network.cidr))])
    result = bp("fleet", "check", "--json")
    assert result.exit_code == 1, result.output
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "network-overlap"]
    assert [f["stacks"] for f in found] == [sorted([a.stack, b.stack])], found
    assert str(a.primary.network.cidr) in found[0]["message"]


def test_a_network_inside_a_declared_cluster_network_is_found(repo, clean, catalog, sites):
    a = next(bp for bp in clean if bp.primary.shared_cluster and bp.primary.shared_cluster.cidr)
    inside = IPv4Network(a.primary.shared_cluster.cidr).subnets(new_prefix=24).__next__()
    write_fleet(repo, [_with_network(a, 0, cidr=inside)])
    found = _findings(repo, catalog, sites, "cluster-network-overlap")
    assert [f.stacks for f in found] == [(a.stack,)], found
    assert a.primary.shared_cluster.name in found[0].message


def test_a_network_inside_the_declared_pod_network_is_found(repo, clean, catalog, sites):
    a = next(bp for bp in clean if bp.primary.network)
    inside = next(IPv4Network(sites.fleet.cluster_networks.pods).subnets(new_prefix=24))
    write_fleet(repo, [_with_network(a, 0, cidr=inside)])
    found = _findings(repo, catalog, sites, "cluster-network-overlap")
    assert [f.stacks for f in found] == [(a.stack,)] and "pod network" in found[0].message, found


def test_a_vlan_used_twice_on_one_switch_is_found(repo, clean, catalog, sites):
    on_switch: dict = {}
    for bp in clean:
        p = bp.primary
        if p.vsphere and p.network:
            on_switch.setdefault((p.vsphere.vcenter, p.vsphere.distributed_switch), []).append(bp)
    a, b = next(group for group in on_switch.values() if len(group) >= 2)[:2]
    write_fleet(repo, [a, _with_network(b, 0, vlan=a.primary.network.vlan)])
    found = _findings(repo, catalog, sites, "shared-vlan")
    assert [f.stacks for f in found] == [tuple(sorted([a.stack, b.stack]))], found
    assert f"VLAN {a.primary.network.vlan}" in found[0].message


def test_an_over_committed_pool_names_its_stacks(repo, clean, catalog, sites):
    a = clean[0]
    _, _, pool = sites.find_pool(a.primary.pool)
    huge = a.model_copy(update={"size": a.size.model_copy(update={"vcpu": pool.capacity.vcpu + 1})})
    others = [bp for bp in clean[1:] if bp.primary.pool == a.primary.pool]
    write_fleet(repo, [huge, *others])
    found = _findings(repo, catalog, sites, "pool-overcommitted")
    assert len(found) == 1 and found[0].stacks == tuple(sorted([a.stack, *(o.stack for o in others)])), found
    assert pool.name in found[0].message


def test_an_unknown_version_and_a_deprecated_one_are_found(repo, clean, catalog, sites):
    a, b = clean[0], clean[4]
    unknown = a.model_copy(update={"request": a.request.model_copy(update={"blueprint": "web-service@9.9.9"})})
    old = catalog.get("web-service@1.0.0")
    deprecated = b.model_copy(update={"request": b.request.model_copy(update={"blueprint": old.ref}), "spec": old.spec})
    write_fleet(repo, [unknown, deprecated])
    found = {f.stacks[0]: f for f in _findings(repo, catalog, sites, "stack")}
    assert found[a.stack].error and "9.9.9" in found[a.stack].message, found
    assert not found[b.stack].error and "deprecated" in found[b.stack].message, found


def test_a_stack_file_without_an_owner_is_named(bp, repo, clean):
    write_fleet(repo, clean[:3])
    path = stack_files.stack_path(repo, clean[1].stack)
    text = path.read_text()
    path.write_text("\n".join(line for line in text.splitlines() if "owner:" not in line) + "\n")
    result = bp("fleet", "check")
    assert result.exit_code == 1, result.output
    out = " ".join(result.output.split())
    assert f"missing-owner {clean[1].stack}" in out and "request.owner" in out, out


def test_overlaps_are_found_by_a_sweep_not_by_pairs(clean):
    from fleet.sweep import network_overlaps

    # Nested, adjacent and identical networks: every overlapping stack is named, no adjacent one is.
    nets = ["10.0.0.0/16", "10.0.1.0/24", "10.0.1.0/24", "10.1.0.0/24", "10.0.255.0/24", "10.2.0.0/24"]
    networked = [bp for bp in clean if bp.primary.network]
    stacks = [_with_network(bp, 0, cidr=IPv4Network(n)) for bp, n in zip(networked, nets)]
    named = {s for f in network_overlaps(stacks) for s in f.stacks}
    assert named == {stacks[i].stack for i in (0, 1, 2, 4)}, named


def test_each_stack_file_is_parsed_once(repo, clean, catalog, sites, monkeypatch):
    from blueprints import yaml_io

    write_fleet(repo, clean[:5])
    parsed = []
    load_data = yaml_io.load_data
    monkeypatch.setattr(yaml_io, "load_data", lambda path: parsed.append(path.name) or load_data(path))
    assert len(load_fleet(repo, catalog, sites).stacks) == 5
    assert sorted(parsed) == sorted(p.name for p in stack_files.list_stack_files(repo)), parsed
