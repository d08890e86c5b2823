"""The stack file records decisions: the program builds what they say, and a sites-map change shows up as stale."""

from __future__ import annotations

import shutil

import pytest

from blueprints import yaml_io
from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from blueprints.plan import decide, differences, kubernetes_minor, minor_key, minors_between, plan, stale
from engine.stacks import preview
from store import stack_files
from tests.conftest import ROOT, make_request

NEW_REDIS = "redis:7.4.99@sha256:" + "e" * 64
REPO_STACKS = ("checkout-dev", "ledger-test", "payments-prod", "risk-dev")


def _with_redis(sites, image: str):
    engines = {**sites.fleet.engines, "redis": {"7": sites.fleet.engines["redis"]["7"].model_copy(update={"image": image})}}
    return sites.model_copy(update={"fleet": sites.fleet.model_copy(update={"engines": engines})})


def _redis_stack(catalog, sites):
    request = make_request(blueprint="web-service", target="vsphere", size="S",
                           data_services=[{"kind": "redis", "size": "S"}])
    return resolve(request, catalog, sites)


@pytest.mark.parametrize("target", ["aws", "vsphere"])
def test_a_fresh_stamp_is_current_with_the_sites_map_it_came_from(catalog, sites, target):
    bp = resolve(make_request(blueprint="k8s-cluster", target=target, env="prod"), catalog, sites)
    assert bp.decisions.node_machine and bp.decisions.cluster_networks, bp.stack
    assert stale(bp, sites.fleet, sites.releases) == {}


def test_a_sites_map_release_change_shows_as_stale_and_never_changes_what_is_built(catalog, sites):
    bp = _redis_stack(catalog, sites)
    recorded = bp.decisions.engine("redis", "7").image
    assert stale(bp, _with_redis(sites, NEW_REDIS).fleet) == {"engines.redis.7.image": (recorded, NEW_REDIS)}
    [redis] = [s for s in plan(bp).data_services if s.kind == "redis"]
    assert redis.image == recorded, "the plan builds the recorded image until a reviewed change rewrites it"


def test_the_plan_builds_the_recorded_machine_not_the_sites_maps(catalog, sites):
    bp = resolve(make_request(blueprint="k8s-cluster", target="aws"), catalog, sites)
    moved = bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"node_machine": "m7i.4xlarge"})})
    assert {p.machines for p in plan(moved).cluster.node_pools if p.name != "system"} == {("m7i.4xlarge",)}
    assert stale(moved, sites.fleet, sites.releases) == {"node_machine": ("m7i.4xlarge", bp.decisions.node_machine)}


def _stamped_from(bp, sites):
    """The fleet tables the stack was stamped from: today's, with the engine releases it records."""
    engines = {kind: dict(versions) for kind, versions in sites.fleet.engines.items()}
    for e in bp.decisions.engines:
        engines[e.kind][e.version] = engines[e.kind][e.version].model_copy(update={"image": e.image})
    return sites.fleet.model_copy(update={"engines": engines})


def _legacy(repo, bp, sites) -> str:
    """The stack file as `bp new` wrote it before decisions: the fleet tables it was stamped from copied in."""
    stack_files.write_stack(repo, bp)
    path = stack_files.stack_path(repo, bp.stack)
    data = yaml_io.load_data(path)
    body = data["config"][stack_files.CONFIG_KEY]
    body.pop("decisions")
    body["fleet"] = _stamped_from(bp, sites).model_dump(mode="json", exclude_none=True)
    path.write_text(yaml_io.dump_data(data))
    return bp.stack


def test_a_file_with_fleet_tables_is_refused_with_the_command_that_migrates_it(repo, catalog, sites):
    name = _legacy(repo, _redis_stack(catalog, sites), sites)
    with pytest.raises(BadInput, match=r"fleet: the file copies .* `bp stacks migrate` rewrites it"):
        stack_files.read_stack(stack_files.stack_path(repo, name))


def test_migrate_rewrites_to_decisions_and_changes_no_built_value(repo, catalog, sites, bp):
    stamped = _redis_stack(catalog, sites)
    name = _legacy(repo, stamped, sites)
    result = bp("stacks", "migrate")
    assert result.exit_code == 0 and f"{name}: records decisions" in result.output, result.output
    migrated = stack_files.read_stack(stack_files.stack_path(repo, name))
    assert migrated == stamped
    assert "fleet:" not in stack_files.stack_path(repo, name).read_text()
    again = bp("stacks", "migrate")
    assert "Migrated 0 stack files" in again.output, "a second run finds nothing to migrate"


@pytest.mark.parametrize("name", REPO_STACKS)
def test_migrating_a_repository_stack_changes_no_resource(repo, sites, bp, name):
    """The repository's stacks as they were before decisions (their tables copied in) migrate to the same build."""
    stack = stack_files.read_stack(stack_files.stack_path(ROOT, name))
    shutil.copy(ROOT / "stacks" / "allocations.txt", repo / "stacks" / "allocations.txt")
    _legacy(repo, stack, sites)
    assert bp("stacks", "migrate").exit_code == 0
    migrated = stack_files.read_stack(stack_files.stack_path(repo, name))
    assert [r.to_json() for r in preview(repo, migrated, sites).resources] == \
        [r.to_json() for r in preview(ROOT, stack, sites).resources], name


def test_a_recorded_image_not_pinned_by_digest_is_refused_naming_the_field(repo, catalog, sites):
    stamped = _redis_stack(catalog, sites)
    stack_files.write_stack(repo, stamped)
    path = stack_files.stack_path(repo, stamped.stack)
    path.write_text(path.read_text().replace(stamped.decisions.engine("redis", "7").image, "redis:7.4.9"))
    with pytest.raises(BadInput, match=r"decisions\.engines\[\d\]\.image: String should match pattern"):
        stack_files.read_stack(path)


def test_a_minor_is_read_from_a_patch_version_too_and_hops_go_up_one_minor_each():
    assert minor_key("1.34.2") == minor_key("1.34") == (1, 34)
    assert minor_key("1.9") < minor_key("1.10"), "compared as numbers, not text"
    assert minors_between("1.31", "1.34") == ("1.32", "1.33", "1.34")
    assert minors_between("1.34", "1.34") == () == minors_between("1.34", "1.31"), "never down, never in place"


def test_differences_name_each_changed_leaf_engines_by_kind_and_version_and_other_lists_whole(catalog, sites):
    was = _redis_stack(catalog, sites).decisions
    [redis] = was.engines
    postgres = redis.model_copy(update={"kind": "postgres", "version": "16", "image": "postgres:16"})
    zone = was.zone.model_copy(update={"log_retention_days": 365, "mandatory_policies": ("a", "b")})
    now = was.model_copy(update={"engines": (redis.model_copy(update={"image": NEW_REDIS}), postgres), "zone": zone,
                                 "vm_template": "rhel-9-cis-2026.11"})
    assert differences(was, now) == {
        "engines.postgres.16": (None, postgres.model_dump(mode="json")),
        "engines.redis.7.image": (redis.image, NEW_REDIS),
        "vm_template": (None, "rhel-9-cis-2026.11"),
        "zone.log_retention_days": (90, 365),
        "zone.mandatory_policies": ([], ["a", "b"]),
    }
    assert list(differences(was, now)) == sorted(differences(was, now)), "in the order of their paths"
    assert differences(now, was)["engines.postgres.16"] == (postgres.model_dump(mode="json"), None)
    assert differences(was, was) == {}


EVERY_STACK = {"certificate_issuer", "network", "zone"}
EKS = {"cluster_networks", "kubernetes_version", "eks_addons", "node_image", "node_machine", "system_pool", "quotas"}
VKS = {"cluster_networks", "kubernetes_version", "node_machine", "control_plane_class", "mhz_per_vcpu", "quotas"}


@pytest.mark.parametrize("blueprint, target, spec, recorded", [
    ("web-service", "aws", {}, {"engines", "quotas"}),
    ("web-service", "vsphere", {}, {"engines", "quotas"}),
    ("vm-app", "vsphere", {}, {"mhz_per_vcpu", "vm_template"}),
    ("vm-app", "vsphere", {"namespace": True}, {"mhz_per_vcpu", "vm_template"}),  # no cluster to hold a namespace
    ("k8s-cluster", "aws", {}, EKS),
    ("k8s-cluster", "vsphere", {}, VKS),
    ("data-platform", "aws", {}, EKS | {"engines"}),
    ("network-hub", "aws", {}, set()),
])
def test_a_stack_records_the_decisions_its_kind_builds_with_and_no_others(catalog, sites, blueprint, target, spec,
                                                                          recorded):
    bp = resolve(make_request(team="kinds", blueprint=blueprint, target=target), catalog, sites)
    bp = bp.model_copy(update={"spec": bp.spec.model_copy(update=spec)})
    decided = decide(bp, sites.fleet, sites.releases).model_dump()
    assert {k for k, v in decided.items() if v not in (None, (), [])} == EVERY_STACK | recorded, bp.stack


@pytest.mark.parametrize("recorded, decided", [("1.33", "1.34"), ("1.34", "1.34"), ("1.35", "1.35"), (None, "1.34")])
def test_a_cluster_is_decided_at_its_blueprints_minor_or_the_newer_one_it_has_reached(catalog, sites, recorded, decided):
    """A file recording a minor below its blueprint's (k8s-cluster@1.1.0: 1.34) is stale and moves up; one above it
    is never moved down."""
    bp = resolve(make_request(blueprint="k8s-cluster", target="vsphere"), catalog, sites)
    at = bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"kubernetes_version": recorded})})
    assert kubernetes_minor(at) == decided
    reported = {k: v for k, v in stale(at, sites.fleet, sites.releases).items() if k == "kubernetes_version"}
    assert reported == ({} if recorded == decided else {"kubernetes_version": (recorded, decided)})


def test_a_vm_template_is_the_newest_build_of_its_template_line_and_never_of_a_line_of_another_kind(catalog, sites):
    bp = resolve(make_request(blueprint="vm-app", target="vsphere"), catalog, sites)
    assert decide(bp, sites.fleet, sites.releases).vm_template == sites.releases.lines["rhel-9-cis"].newest().value
    line = sites.releases.lines["rhel-9-cis"].model_copy(update={"kind": "image"})
    mislisted = sites.releases.model_copy(update={"lines": {**sites.releases.lines, "rhel-9-cis": line}})
    assert decide(bp, sites.fleet, mislisted).vm_template == "rhel-9-cis", "an image line names no template build"
    assert decide(bp, sites.fleet).vm_template == "rhel-9-cis", "without releases: the template the request names"
