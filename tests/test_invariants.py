"""fleet/invariants.py, each invariant against its near miss: the edit that just breaks it and the one that just keeps it.

Stacks are resolved in memory with `bp new`'s own code and then edited the way a hand edit or a changed sites map
would leave them; nothing runs a program. The commands' views are in tests/test_fleet_check.py and test_support.py.
"""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from ipaddress import IPv4Network

import pytest

from blueprints.errors import BadInput
from blueprints.models import DataServiceRequest
from blueprints.placement.resolve import resolve
from blueprints.resolved import Retirement
from fleet import invariants
from fleet.invariants import check, check_decisions, check_fleet, check_pin, check_stack
from fleet.stamped import FleetFinding, Scope, StampedFleet
from store import file_swap
from store.pins import Pin
from tests.conftest import SESSION_DAY, make_request
from tests.fleet_support import write_fleet


@pytest.fixture(scope="module")
def vm(catalog, sites):
    """A vSphere VM stack in ny1-nonprod: VLANs 1500-1999, 4 hosts, supernet 10.24.0.0/14."""
    return resolve(make_request(team="vm", blueprint="vm-app@1.0.0", target="vsphere"), catalog, sites)


@pytest.fixture(scope="module")
def web(catalog, sites, vm):
    """An AWS web service with Postgres and Redis, size M."""
    return resolve(make_request(team="web", blueprint="web-service@2.1.0", target="aws"), catalog, sites)


@pytest.fixture(scope="module")
def vks(catalog, sites, vm):
    return resolve(make_request(team="kube", blueprint="k8s-cluster@1.1.0", target="vsphere"), catalog, sites, [vm])


def _placed(bp, **changes):
    """The stack with its first placement changed."""
    return bp.model_copy(update={"placements": (bp.primary.model_copy(update=changes), *bp.placements[1:])})


def _networked(bp, cidr: str | None = None, vlan: int | None = None):
    network = bp.primary.network.model_copy(update={k: v for k, v in (("cidr", cidr and IPv4Network(cidr)),
                                                                      ("vlan", vlan)) if v is not None})
    return _placed(bp, network=network)


def _with_request(bp, **changes):
    return bp.model_copy(update={"request": bp.request.model_copy(update=changes)})


def _said(found) -> list[tuple[str, bool, str]]:
    return [(f.rule, f.error, f.message) for f in found]


def _errors(bp, catalog, sites, today: date | None = None) -> list[str]:
    return [f.message for f in check_stack(bp, catalog, sites, today) if f.error]


# -- one stack against the catalog and its pool ------------------------------------------------------------------


def test_a_stack_as_stamped_passes_every_check_of_its_own(vm, web, vks, catalog, sites):
    for bp in (vm, web, vks):
        assert check_stack(bp, catalog, sites) == [] and check_decisions(bp, catalog) == [], bp.stack


@pytest.mark.parametrize("change", [{"data_center": "ny2"}, {"data_center": "am1"}, {"target": "aws"}, {"tier": "prod"}])
def test_a_placement_whose_site_target_or_tier_alone_changed_no_longer_matches(vm, web, catalog, sites, change):
    assert _errors(_placed(vm, **change), catalog, sites) == [
        "pool ny1-nonprod no longer matches its placement (site, target or tier changed)"]
    assert _errors(_placed(web, target="vsphere"), catalog, sites) == [
        "pool us-east-1-nonprod no longer matches its placement (site, target or tier changed)"]


def test_a_prod_pool_holding_a_placement_that_says_nonprod_no_longer_matches(catalog, sites):
    prod = resolve(make_request(team="vm", env="prod", blueprint="vm-app@1.0.0", target="vsphere"), catalog, sites)
    assert prod.primary.tier == "prod" and _errors(prod, catalog, sites) == []
    assert _errors(_placed(prod, tier="nonprod"), catalog, sites) == [
        f"pool {prod.primary.pool} no longer matches its placement (site, target or tier changed)"]


def test_a_placement_of_equal_values_copied_in_not_parsed_still_matches(vm, web, catalog, sites):
    """Equal strings built at run time are not the parsed objects: a placement is compared by value."""
    for bp in (vm, web):
        copied = _placed(bp, **{k: "".join(getattr(bp.primary, k)) for k in ("data_center", "target", "tier")})
        assert copied.primary.tier is not bp.primary.tier and check_stack(copied, catalog, sites) == []


def test_a_pool_gone_from_the_sites_map_is_named(vm, catalog, sites):
    assert _errors(_placed(vm, pool="ny1-gone"), catalog, sites) == ["pool 'ny1-gone' is not in the sites map"]


def test_a_pool_not_certified_for_the_stacks_zone_is_an_error(vm, catalog, sites):
    assert _errors(_with_request(vm, compliance_zone="pci"), catalog, sites) == [
        "pool ny1-nonprod is not certified for zone pci"]


@pytest.mark.parametrize("cidr, outside", [("10.24.0.0/14", False), ("10.27.255.192/26", False),
                                           ("10.28.0.0/26", True), ("10.23.255.192/26", True), ("10.24.0.0/13", True)])
def test_a_network_must_lie_inside_a_supernet_of_its_pool(vm, catalog, sites, cidr, outside):
    found = _errors(_networked(vm, cidr=cidr), catalog, sites)
    assert found == [f"network {cidr} is outside pool ny1-nonprod's supernets"] * outside, found


@pytest.mark.parametrize("vlan, outside", [(1500, False), (1999, False), (1499, True), (2000, True)])
def test_a_vlan_must_lie_in_its_pools_range_first_and_last_included(vm, catalog, sites, vlan, outside):
    found = _errors(_networked(vm, vlan=vlan), catalog, sites)
    assert found == [f"VLAN {vlan} is outside pool ny1-nonprod's range"] * outside, found


def test_a_placement_without_a_network_or_a_pool_without_vlans_has_nothing_to_check(vm, web, catalog, sites):
    assert _errors(_placed(vm, network=None), catalog, sites) == []
    assert _errors(_networked(web, vlan=5000), catalog, sites) == []  # AWS pools hand out no VLANs


@pytest.mark.parametrize("recorded, warned", [(4, False), (3, False), (5, True), (0, False)])
def test_anti_affinity_sized_for_more_hosts_than_the_pool_has_is_warned(vm, catalog, sites, recorded, warned):
    bp = _placed(vm, vsphere=vm.primary.vsphere.model_copy(update={"hosts": recorded}))
    expected = [("stack", False, (f"pool ny1-nonprod has 4 hosts, the stack's anti-affinity rules were sized for "
                                 f"{recorded}; re-stamp with `bp new --force`"))]
    assert _said(check_stack(bp, catalog, sites)) == expected * warned


def test_an_unknown_version_is_the_one_finding(vm, catalog, sites):
    found = check_stack(_with_request(vm, blueprint="vm-app@9.9.9"), catalog, sites)
    assert _said(found) == [("stack", True, "blueprint: 'vm-app' has no version 9.9.9 (known: 1.0.0)")]
    assert check_decisions(_with_request(vm, blueprint="vm-app@9.9.9"), catalog) == []


def test_a_deprecated_version_is_a_warning_a_changed_spec_and_a_target_it_lacks_are_errors(vm, catalog, sites):
    old = resolve(make_request(team="old", blueprint="web-service@1.0.0", target="vsphere"), catalog, sites, [vm],
                  refuse_ended=False)
    assert [(f.error, f.message.split(":")[0]) for f in check_stack(old, catalog, sites)] == [
        (False, "web-service@1.0.0 is deprecated")]
    respec = vm.model_copy(update={"spec": vm.spec.model_copy(update={"imds_hop_limit": vm.spec.imds_hop_limit + 1})})
    assert _errors(respec, catalog, sites) == [
        "spec differs from the catalog's vm-app@1.0.0; re-stamp with `bp new --force`"]
    assert _errors(_with_request(vm, target="aws"), catalog, sites) == ["target aws is not one of vm-app@1.0.0's"]


def test_support_is_judged_on_the_day_given_not_the_clocks(vks, catalog, sites):
    end = sites.support.calendar["eks"]["1.34"].end_of_support
    aws_kube = resolve(make_request(team="eks", blueprint="k8s-cluster@1.1.0", target="aws"), catalog, sites)
    assert _errors(aws_kube, catalog, sites, end) == []
    assert _errors(aws_kube, catalog, sites, end + timedelta(days=1)) == [
        (f"Amazon EKS Kubernetes 1.34 (spec.kubernetes_version): support ended on {end} (source: "
        "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html); upgrade it")]


@pytest.mark.parametrize("label", ["pods", "services"])
def test_a_cluster_network_overlapping_a_fleet_network_is_an_error(vks, catalog, sites, label):
    nets = vks.decisions.cluster_networks.model_copy(update={label: IPv4Network("10.24.0.0/16")})
    bp = vks.model_copy(update={"decisions": vks.decisions.model_copy(update={"cluster_networks": nets})})
    assert _errors(bp, catalog, sites) == [(f"cluster network {label} 10.24.0.0/16 overlaps pool ny1-nonprod supernet "
                                           "10.24.0.0/14; re-stamp with `bp new --force`")]


# -- what bp new decides for the request -------------------------------------------------------------------------


def _hand_edited(bp, catalog) -> list[str]:
    return [f.message for f in check_decisions(bp, catalog)]


def test_a_size_class_swapped_by_hand_or_one_no_class_has_is_named(web, catalog):
    entry = catalog.get(web.blueprint_ref)
    read_back = entry.sizes["L"].model_copy()  # as a stack file holds it: equal to the catalog's, not the same object
    assert _hand_edited(web.model_copy(update={"size": read_back}), catalog) == [
        (f"size: the request asks for M (8 vCPU / 32 GiB), the file holds L ({entry.sizes['L'].vcpu} vCPU / "
        f"{entry.sizes['L'].memory_gib} GiB) of web-service@2.1.0; re-stamp with `bp new --force`")]
    odd = web.size.model_copy(update={"vcpu": 9})
    assert _hand_edited(web.model_copy(update={"size": odd}), catalog)[0].startswith(
        "size: the request asks for M (8 vCPU / 32 GiB), the file holds no size class (9 vCPU / 32 GiB)")


def test_a_data_service_dropped_added_or_resized_by_hand_is_named(web, catalog):
    (postgres, redis) = web.data_services
    assert _hand_edited(web.model_copy(update={"data_services": (postgres,)}), catalog) == [
        ("data_services: the request asks for [('postgres', 'S'), ('redis', 'S')], the file holds [('postgres', 'S')]; "
        "re-stamp with `bp new --force`")]
    added = _with_request(web, data_services=(DataServiceRequest(kind="postgres"),))
    assert _hand_edited(added, catalog) == [(
        "data_services: the request asks for [('postgres', 'S')], the file holds [('postgres', 'S'), ('redis', 'S')]; "
        "re-stamp with `bp new --force`")]
    for field in ("vcpu", "memory_gib", "storage_gib"):
        for step in (1, -1):
            resized = redis.model_copy(update={field: getattr(redis, field) + step})
            found = _hand_edited(web.model_copy(update={"data_services": (postgres, resized)}), catalog)
            assert [m.split(":")[0] for m in found] == ["data_services redis"], (field, step, found)


def test_a_request_that_named_no_data_services_takes_the_catalogs(web, catalog):
    assert _hand_edited(_with_request(web, data_services=None), catalog) == []
    # A size the catalog no longer lists has no terms to compare (its request is refused elsewhere).
    unsized = web.data_services[1].model_copy(update={"size": "XXL", "vcpu": 99})
    asked = (DataServiceRequest(kind="postgres"), DataServiceRequest.model_construct(kind="redis", size="XXL"))
    edited = _with_request(web.model_copy(update={"data_services": (web.data_services[0], unsized)}), data_services=asked)
    assert _hand_edited(edited, catalog) == []


@pytest.mark.parametrize("cidr", ["10.4.0.0/20", "10.4.0.0/22"])
def test_a_network_of_another_size_than_the_catalogs_is_named(web, catalog, cidr):
    assert _hand_edited(_networked(web, cidr=cidr), catalog) == [
        (f"network in pool us-east-1-nonprod: web-service@2.1.0 allocates a /21 on aws, the file holds /{cidr[-2:]} "
        f"({cidr}); a network changes only with `bp new --force --move-network`")]
    assert _hand_edited(_placed(web, network=None), catalog)[0].startswith(
        "network in pool us-east-1-nonprod: web-service@2.1.0 allocates a /21 on aws, the file holds no network;")


def test_a_network_where_the_catalog_allocates_none_is_named(vm, catalog, sites):
    shared = resolve(make_request(team="web", blueprint="web-service@2.1.0", target="vsphere"), catalog, sites, [vm])
    assert shared.primary.network is None and _hand_edited(shared, catalog) == []
    edited = _placed(shared, network=vm.primary.network)
    assert _hand_edited(edited, catalog) == [
        (f"network in pool {shared.primary.pool}: web-service@2.1.0 allocates no network on vsphere, the file holds /26 "
        f"({vm.primary.network.cidr}); a network changes only with `bp new --force --move-network`")]


def test_a_pin_holds_the_version_its_stack_is_on(vm):
    def pin(version: str) -> Pin:
        return Pin(reason="freeze", approver="lead@example.com", expires=date(2027, 1, 1), version=version)

    assert check_pin(vm, None) == [] and check_pin(vm, pin("vm-app@1.0.0")) == []
    for other in ("vm-app@0.9.0", "vm-app@1.1.0"):  # behind or ahead of the stack
        assert _said(check_pin(vm, pin(other))) == [
            ("stack", True, f"pinned at {other} but on vm-app@1.0.0: move it back, or remove the pin with `bp unpin`")]


def _twin(bp):
    """The same stack file under another team: the same network and VLAN."""
    return _with_request(bp, team="twin")


def test_stacks_against_each_other_give_one_finding_per_stack_involved(vm):
    found = check_fleet([vm, _twin(vm)])
    assert sorted((f.rule, f.stacks) for f in found) == [("network-overlap", ("twin-dev",)), ("network-overlap", ("vm-dev",)),
                                                         ("shared-vlan", ("twin-dev",)), ("shared-vlan", ("vm-dev",))]


# -- the invariants over a fleet ----------------------------------------------------------------------------------


def _fleet(catalog, sites, stacks, today: date = SESSION_DAY, **extra) -> StampedFleet:
    return StampedFleet(stacks=list(stacks), catalog=catalog, sites=sites, today=today, **extra)


def _retired(bp):
    return bp.model_copy(update={"retirement": Retirement(since=date(2026, 12, 1), reason="moved to the new platform")})


def test_an_unreadable_file_is_named_and_one_without_an_owner_says_so(catalog, sites):
    unreadable = [("a-dev", BadInput("Pulumi.a-dev.yaml:7: config.cloud-blueprints:stack.request.owner: field required")),
                  ("b-dev", BadInput("Pulumi.b-dev.yaml:3: malformed YAML: mapping values are not allowed here")),
                  ("c-dev", BadInput("Pulumi.c-dev.yaml:4: config.cloud-blueprints:stack.request.team: field required"))]
    found = invariants.unreadable_stacks(_fleet(catalog, sites, [], unreadable=unreadable), Scope([]))
    assert [(f.rule, f.stacks) for f in found] == [("missing-owner", ("a-dev",)), ("unreadable", ("b-dev",)),
                                                   ("missing-owner", ("c-dev",))]
    assert found[1].message == str(unreadable[1][1])


def test_a_retired_stack_keeps_its_errors_and_drops_its_warnings(vm, catalog, sites):
    old = resolve(make_request(team="old", blueprint="web-service@1.0.0", target="vsphere"), catalog, sites, [vm],
                  refuse_ended=False)
    broken = _retired(_with_request(old, compliance_zone="pci"))
    fleet = _fleet(catalog, sites, [old, broken])
    found = invariants.stack_checks(fleet, Scope(fleet.stacks))
    assert [(f.stacks, f.error) for f in found] == [(("old-dev",), False), (("old-dev",), True)], _said(found)


def test_hand_edits_are_their_own_rule(web, catalog, sites):
    entry = catalog.get(web.blueprint_ref)
    swapped = web.model_copy(update={"size": entry.sizes["L"]})
    pin = Pin(reason="freeze", approver="lead@example.com", expires=date(2027, 1, 1), version="web-service@2.0.0")
    fleet = _fleet(catalog, sites, [swapped], pins={"web-dev": pin})
    assert [f.rule for f in invariants.hand_edits(fleet, Scope(fleet.stacks))] == ["hand-edited", "hand-edited"]


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_the_ledger_and_killed_changes_are_judged_only_on_a_repository(repo, vm, web, catalog, sites):
    write_fleet(repo, [vm, web])
    kept = repo / "stacks" / f".Pulumi.vm-dev.yaml.{_dead_pid()}{file_swap.KEPT}"
    kept.write_text("the old text")
    on_disk = _fleet(catalog, sites, [vm, web], repo=repo)
    assert _said(invariants.interrupted_changes(on_disk, Scope([]))) == [(
        "interrupted-change", True, (f"{kept.name}: a change was killed while swapping files in; this is the old text "
        "of Pulumi.vm-dev.yaml: compare with git, keep the right one and remove it"))]
    assert list(invariants.ledger_matches(on_disk, Scope([]))) == []
    moved = _networked(web, cidr="10.4.8.0/21")
    assert [f.stacks for f in invariants.ledger_matches(_fleet(catalog, sites, [vm, moved], repo=repo), Scope([]))] \
        == [("web-dev",)]
    unread = _fleet(catalog, sites, [vm, moved], repo=repo, unreadable=[("x-dev", BadInput("bad"))])
    assert list(invariants.ledger_matches(unread, Scope([]))) == []
    in_memory = _fleet(catalog, sites, [vm, moved])
    assert list(invariants.ledger_matches(in_memory, Scope([]))) == []
    assert list(invariants.interrupted_changes(in_memory, Scope([]))) == []


def _pool_capacity(sites, name: str, vcpu: int, memory_gib: int):
    """The sites map with one pool's capacity set."""
    def pool(p):
        return p.model_copy(update={"capacity": p.capacity.model_copy(update={"vcpu": vcpu, "memory_gib": memory_gib})})

    regions = tuple(r.model_copy(update={"data_centers": tuple(
        dc.model_copy(update={"pools": tuple(pool(p) if p.name == name else p for p in dc.pools)})
        for dc in r.data_centers)}) for r in sites.regions)
    return sites.model_copy(update={"regions": regions})


@pytest.mark.parametrize("spare_vcpu, spare_memory, over", [(0, 0, False), (-1, 0, True), (0, -1, True), (1, 1, False)])
def test_a_pool_exactly_full_holds_and_one_over_in_either_measure_is_overcommitted(vm, catalog, sites,
                                                                                    spare_vcpu, spare_memory, over):
    vcpu, memory = 2 * vm.size.vcpu, 2 * vm.size.memory_gib
    tight = _pool_capacity(sites, "ny1-nonprod", vcpu + spare_vcpu, memory + spare_memory)
    found = list(invariants.pool_capacity(_fleet(catalog, tight, [vm, _twin(vm)]), Scope([])))
    assert _said(found) == [("pool-overcommitted", True,
                             (f"pool ny1-nonprod is over-committed: {vcpu}/{vcpu + spare_vcpu} vCPU, "
                             f"{memory}/{memory + spare_memory} GiB memory, by 2 stacks"))] * over
    if over:
        assert found[0].stacks == ("twin-dev", "vm-dev")


def test_an_expired_pin_fails_unless_its_stack_is_retired(vm, web, catalog, sites):
    pin = Pin(reason="freeze", approver="lead@example.com", expires=date(2026, 12, 4), version="vm-app@1.0.0")
    pins = {"vm-dev": pin, "web-dev": pin.model_copy(update={"version": web.blueprint_ref})}
    fleet = _fleet(catalog, sites, [vm, _retired(web)], pins=pins)
    assert _said(invariants.expired_pins(fleet, Scope(fleet.stacks))) == [(
        "pin-expired", True, ("vm-dev: pin on vm-app@1.0.0 expired on 2026-12-04 (approver lead@example.com, reason: "
        "freeze); upgrade it or renew the pin with `bp pin`"))]
    on_its_day = _fleet(catalog, sites, [vm], today=date(2026, 12, 4), pins=pins)
    assert list(invariants.expired_pins(on_its_day, Scope(on_its_day.stacks))) == []


def test_a_version_fails_the_day_after_its_sunset_not_on_it(vm, catalog, sites):
    old = resolve(make_request(team="old", blueprint="web-service@1.0.0", target="vsphere"), catalog, sites, [vm],
                  refuse_ended=False)
    sunset = catalog.get("web-service@1.0.0").sunset

    def found(today, *stacks):
        return _said(invariants.past_sunset(_fleet(catalog, sites, stacks, today), Scope(list(stacks))))

    assert found(sunset, old, vm) == []
    assert found(sunset + timedelta(days=1), old, vm) == [(
        "version-sunset", True, (f"old-dev: web-service@1.0.0 passed its sunset on {sunset}; run "
        "`bp upgrade old-dev --to web-service@2.1.0`"))]
    assert found(sunset + timedelta(days=1), _retired(old)) == []
    assert found(sunset + timedelta(days=1), _with_request(old, blueprint="web-service@0.1.0")) == []


def _support_rules(fleet) -> list[tuple[str, tuple, bool]]:
    return [(f.rule, f.stacks, f.error) for f in invariants.support_ends(fleet, Scope(fleet.stacks))]


def test_a_support_end_is_warned_on_the_first_day_of_the_window_through_the_last_day(catalog, sites):
    kube = resolve(make_request(team="eks", blueprint="k8s-cluster@1.1.0", target="aws"), catalog, sites)
    end = sites.support.calendar["eks"]["1.34"].end_of_support
    ending = [("support-ending", ("eks-dev",), False)]
    assert _support_rules(_fleet(catalog, sites, [kube], end - timedelta(days=91))) == []
    assert _support_rules(_fleet(catalog, sites, [kube], end - timedelta(days=90))) == ending
    assert _support_rules(_fleet(catalog, sites, [kube], end)) == ending
    assert _support_rules(_fleet(catalog, sites, [kube], end, warn_days=0)) == ending
    assert _support_rules(_fleet(catalog, sites, [kube], end - timedelta(days=1), warn_days=0)) == []
    assert _support_rules(_fleet(catalog, sites, [kube], end + timedelta(days=1))) == []  # an error of stack_checks
    assert _support_rules(_fleet(catalog, sites, [_retired(kube)], end)) == []
    assert _support_rules(_fleet(catalog, sites.model_copy(update={"support": None}), [kube], end)) == []


def test_an_engine_or_cluster_past_its_end_is_a_stack_error_not_a_fleet_warning(web, catalog, sites):
    rds_end = sites.support.calendar["rds-postgresql"]["17"].end_of_support
    after = _fleet(catalog, sites, [web], rds_end + timedelta(days=1))
    assert _support_rules(after) == []
    assert [f.message.split(":")[0] for f in check(after) if f.error] == ["RDS for PostgreSQL 17 (data_services.postgres)"]


def test_the_operator_release_is_warned_then_fails_the_fleet_after_its_end(vm, catalog, sites):
    window = sites.support.calendar["pulumi-kubernetes-operator"]["2.9"].model_copy(update={"end_of_support": date(2027, 1, 1)})
    calendar = {**sites.support.calendar, "pulumi-kubernetes-operator": {"2.9": window}}
    dated = sites.model_copy(update={"support": sites.support.model_copy(update={"calendar": calendar})})
    assert _support_rules(_fleet(catalog, dated, [vm], date(2027, 1, 1))) == [("support-ending", ("vm-dev",), False)]
    found = list(invariants.support_ends(_fleet(catalog, dated, [vm], date(2027, 1, 2)), Scope([vm])))
    assert _said(found) == [("support-ended", True, ("Pulumi Kubernetes Operator 2.9 (1 stacks): support ended on "
                             "2027-01-01 (source: https://github.com/pulumi/pulumi-kubernetes-operator/releases); "
                             "move them before it"))]
    without = dated.model_copy(update={"operator": None})
    assert _support_rules(_fleet(catalog, without, [vm], date(2027, 1, 2))) == []


# -- the entry point ----------------------------------------------------------------------------------------------


def test_check_reports_what_concerns_the_scope_errors_first(vm, catalog, sites):
    old = resolve(make_request(team="old", blueprint="web-service@1.0.0", target="vsphere"), catalog, sites, [vm],
                  refuse_ended=False)
    fleet = _fleet(catalog, sites, [vm, _twin(vm), old])
    assert [(f.rule, f.error) for f in check(fleet)] == [("network-overlap", True), ("shared-vlan", True), ("stack", False)]
    assert check(fleet, Scope([old], frozenset({"old-dev"}))) == [
        f for f in check(fleet) if f.stacks == ("old-dev",)]
    ran = []

    def run(stacks):
        ran.append(stacks)
        return [FleetFinding("program", (stacks[0],), "it failed")]

    assert [f.rule for f in check(fleet, Scope([vm], frozenset({"vm-dev"})), run)] == [
        "network-overlap", "program", "shared-vlan"]
    assert ran == [["vm-dev"]]
    assert check(fleet, invariants=[]) == []
