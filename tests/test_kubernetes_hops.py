"""Kubernetes moves one minor at a time: a recorded decision, hop waves in the one rollout engine, add-ons per minor."""

from __future__ import annotations

import shutil

import pytest

from blueprints.catalog import CATALOG_DIR, Catalog
from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve, restamp
from blueprints.plan import decide, hop, kubernetes_minor, plan
from lifecycle.rollout import VersionMove, apply_wave, plan_rollout
from lifecycle.waves import Member, plan_waves
from store import stack_files
from tests.conftest import make_request
from tests.fleet_support import write_fleet


def _old_eks(catalog, sites, team: str, env: str):
    return resolve(make_request(team=team, env=env, blueprint="k8s-cluster@1.0.0", target="aws"), catalog, sites,
                   refuse_ended=False)


def test_an_eks_stamp_records_its_minor_with_that_minors_add_ons_and_newest_node_image(catalog, sites):
    bp = resolve(make_request(blueprint="k8s-cluster", target="aws"), catalog, sites)
    eks = sites.releases.eks["1.34"]
    assert (bp.decisions.kubernetes_version, bp.decisions.eks_addons) == ("1.34", eks.addons), bp.stack
    assert bp.decisions.node_image == sites.releases.lines[eks.node_image].newest().value
    cluster = plan(bp).cluster
    assert dict(cluster.addon_versions) == eks.addons and cluster.node_image == bp.decisions.node_image


def test_a_vks_stamp_records_its_minor_and_no_eks_release(catalog, sites):
    bp = resolve(make_request(blueprint="k8s-cluster", target="vsphere"), catalog, sites)
    assert (bp.decisions.kubernetes_version, bp.decisions.eks_addons, bp.decisions.node_image) == ("1.34", None, None)


def test_a_cluster_part_way_keeps_its_minor_and_is_never_decided_down(catalog, sites):
    old = _old_eks(catalog, sites, "alpha", "dev")
    moved = hop(old, "1.32", sites.releases)
    assert kubernetes_minor(moved) == "1.32" and kubernetes_minor(old) == "1.31"
    assert decide(moved, sites.fleet, sites.releases) == moved.decisions, "a hop is what today's sites map decides"
    assert plan(moved).cluster.kubernetes_version == "1.32", "the program builds the recorded minor, not the spec's"


def test_hop_waves_come_env_by_env_each_hop_after_the_last():
    members = [Member(f"s{i}-{env}", env, "ny1", hop=h) for i in range(3) for env in ("dev", "prod")
               for h in ("1.32", "1.33")]
    waves = plan_waves(members, ("dev", "prod"), 0, hops=("1.32", "1.33"))
    assert [(w.env, w.hop) for w in waves] == [("dev", "1.32"), ("dev", "1.33"), ("prod", "1.32"), ("prod", "1.33")]


def test_an_eks_upgrade_goes_hop_by_hop_with_stable_waves_and_no_hop_skipped(repo, catalog, sites):
    write_fleet(repo, [_old_eks(catalog, sites, "alpha", "dev"), _old_eks(catalog, sites, "gamma", "prod")])

    def replan():
        return plan_rollout(repo, catalog, sites, blueprint="k8s-cluster", to="1.1.0", canary_percent=0)

    first = replan()
    assert first.hops == ("1.32", "1.33", "1.34") and not first.held, first.held
    assert [(w.env, w.hop, w.stacks) for w in first.waves] == [
        ("dev", h, ("alpha-dev",)) for h in first.hops] + [("prod", h, ("gamma-prod",)) for h in first.hops]
    assert first.pending(first.waves[1]) == [], "the 1.33 hop waits for the 1.32 hop"
    assert [first.waiting(w) for w in first.waves] == [False, True, True] * 2, "each env's first hop can move"
    assert first.once_each() == [("alpha-dev",), (), (), ("gamma-prod",), (), ()], "each in the wave it moves in next"
    assert [w["kubernetes"] for w in first.to_json()["waves"]] == list(first.hops) * 2
    assert all(first.wave_repaves(w) for w in first.waves), "every hop rolls the cluster's nodes, and its wave says so"
    assert [first.wave_repaves(w) for w in first.waves[1:3]] == [first.wave_repaves(first.waves[0])] * 2, \
        "a hop's wave counts the nodes of that hop only, not again those of the hops before it"
    with pytest.raises(BadInput, match=r"^--wave: wave 1 is not applied yet"):
        apply_wave(repo, first, 2)
    path = stack_files.stack_path(repo, "alpha-dev")
    notes = {}
    for number, minor in ((1, "1.32"), (2, "1.33"), (3, "1.34")):
        now = replan()
        assert [(w.env, w.hop, w.stacks) for w in now.waves] == [(w.env, w.hop, w.stacks) for w in first.waves]
        apply_wave(repo, now, number, lambda out, n=number: notes.update({n: " / ".join(out["alpha-dev"].after.notes)}))
        after = stack_files.read_stack(path)
        assert after.decisions.kubernetes_version == minor, number
        assert after.decisions.eks_addons == sites.releases.eks[minor].addons, number
    assert after.blueprint_ref == "k8s-cluster@1.1.0", "the last hop is the move to the new version"
    assert replan().once_each()[:3] == [(), (), ("alpha-dev",)], "a stack moved is listed once, in its last wave"
    assert notes[1] == ("Kubernetes 1.31 -> 1.32: hop 1 of 3 toward k8s-cluster@1.1.0, with that minor's add-ons "
                        "and node image"), notes
    assert notes[2].startswith("Kubernetes 1.32 -> 1.33: hop 2 of 3 toward k8s-cluster@1.1.0")
    assert stack_files.read_stack(stack_files.stack_path(repo, "gamma-prod")).decisions.kubernetes_version == "1.31"


def test_a_rollout_without_a_minor_jump_has_no_hops(repo, catalog, sites):
    write_fleet(repo, [resolve(make_request(blueprint="web-service@2.0.0", target="aws"), catalog, sites)])
    rollout = plan_rollout(repo, catalog, sites, blueprint="web-service", to="2.1.0", canary_percent=0)
    assert rollout.hops == ("",) and [w.hop for w in rollout.waves] == [""]


def test_a_vks_cluster_builds_the_supervisor_release_of_its_recorded_minor(catalog, sites):
    bp = resolve(make_request(blueprint="k8s-cluster", target="vsphere"), catalog, sites)
    releases = bp.primary.vsphere.supervisor.kubernetes_releases
    assert plan(bp).cluster.kubernetes_version == releases["1.34"]
    moved = bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"kubernetes_version": "1.33"})})
    assert plan(moved).cluster.kubernetes_version == releases["1.33"], "the recorded minor is built, not the spec's"


@pytest.mark.parametrize("reached, step", [("1.32", 1), ("1.33", 2), ("1.34", 2)])
def test_a_cluster_part_way_moves_next_in_the_hop_after_its_minor_and_never_back(repo, catalog, sites, reached, step):
    """A cluster hopped part of the way (by an earlier rollout) joins the hop after the minor it has reached; one
    already at the target's minor moves in the last hop, the version move itself."""
    part_way = hop(_old_eks(catalog, sites, "alpha", "dev"), reached, sites.releases)
    write_fleet(repo, [part_way])
    rollout = plan_rollout(repo, catalog, sites, blueprint="k8s-cluster", to="1.1.0", canary_percent=0)
    assert rollout.hops == ("1.32", "1.33", "1.34") and rollout.next_hop == {"alpha-dev": step}
    assert [w.hop for w in rollout.waves if rollout.pending(w)] == [rollout.hops[step]]
    assert [w.hop for w in rollout.waves if rollout.applied(w)] == list(rollout.hops[:step])
    assert [rollout.wave_repaves(w) for w in rollout.waves[:step]] == [{}] * step, "the hops taken replace nothing again"
    assert reached == "1.34" or rollout.wave_repaves(rollout.waves[step]), "the next hop rolls the nodes"


@pytest.mark.parametrize("minor, hops", [("1.32", ()), ("1.33", ("1.32", "1.33")), ("1.34", ("1.32", "1.33", "1.34")),
                                         (None, ())])
def test_a_version_move_is_cut_into_hops_only_when_it_raises_the_minor_by_more_than_one(tmp_path, sites, minor, hops):
    """From 1.31 (k8s-cluster@1.0.0): one minor up is a plain version move; two or more, a hop per minor; a version
    that names no minor (no cluster of its own to move), none."""
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, folder)
    entry = folder / "k8s-cluster" / "1.1.0.yaml"
    line = f'kubernetes_version: "{minor}"' if minor else ""
    entry.write_text(entry.read_text().replace('kubernetes_version: "1.34"', line))
    assert VersionMove("k8s-cluster@1.1.0", Catalog(folder), sites).hops() == hops
    assert VersionMove("k8s-cluster@1.0.0", Catalog(folder), sites).hops() == (), "no move, no hop"


def test_hops_start_from_the_oldest_minor_up_to_the_target_not_from_a_later_version(tmp_path, sites):
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, folder)
    later = (folder / "k8s-cluster" / "1.1.0.yaml").read_text().replace("version: 1.1.0", "version: 1.2.0", 1)
    (folder / "k8s-cluster" / "1.2.0.yaml").write_text(later.replace('kubernetes_version: "1.34"', 'kubernetes_version: "1.30"'))
    assert VersionMove("k8s-cluster@1.1.0", Catalog(folder), sites).hops() == ("1.32", "1.33", "1.34")


def test_a_cluster_part_way_through_four_hops_takes_the_next_one(tmp_path, catalog, sites):
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, folder)
    first = folder / "k8s-cluster" / "1.0.0.yaml"
    first.write_text(first.read_text().replace('kubernetes_version: "1.31"', 'kubernetes_version: "1.30"'))
    move = VersionMove("k8s-cluster@1.1.0", Catalog(folder), sites)
    assert move.hops() == ("1.31", "1.32", "1.33", "1.34")
    at_132 = hop(_old_eks(catalog, sites, "alpha", "dev"), "1.32", sites.releases)
    assert move.next_hop(at_132) == 2, "1.33 next, no hop skipped"
    moved = restamp(_old_eks(catalog, sites, "alpha", "dev"), "k8s-cluster@1.1.0", catalog, sites)
    assert move.next_hop(moved) == 3, "a stack already moved is at the last hop"
    shared = resolve(make_request(blueprint="web-service", target="aws"), catalog, sites)
    assert move.next_hop(shared) == 3, "a stack without a cluster minor of its own has only the last step to take"


def test_a_stack_on_an_older_version_that_sorts_after_the_target_as_text_still_moves(repo, tmp_path, sites):
    """2.9.0 is older than 2.10.0, though it sorts after it as text: the stack is moved, not taken for done."""
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, folder)
    newest = (folder / "web-service" / "2.1.0.yaml").read_text()
    for version in ("2.9.0", "2.10.0"):
        (folder / "web-service" / f"{version}.yaml").write_text(newest.replace("version: 2.1.0", f"version: {version}", 1))
    catalog = Catalog(folder)
    write_fleet(repo, [resolve(make_request(blueprint="web-service@2.9.0", target="aws"), catalog, sites)])
    rollout = plan_rollout(repo, catalog, sites, blueprint="web-service", to="2.10.0", canary_percent=0)
    assert (list(rollout.upgrades), rollout.done) == (["payments-dev"], set())
    assert "kubernetes" not in rollout.to_json()["waves"][0], "a rollout without hops names no minor"


def test_a_waves_repaves_are_counted_for_envs_as_the_cli_parses_them(repo, catalog, sites):
    from cli.commands.fleet_upgrade import parse_waves

    write_fleet(repo, [_old_eks(catalog, sites, "alpha", "dev")])
    envs, _ = parse_waves("dev,prod", "0%")  # equal strings, not the very objects the stack files' envs are
    given = plan_rollout(repo, catalog, sites, blueprint="k8s-cluster", to="1.1.0", envs=envs, canary_percent=0)
    default = plan_rollout(repo, catalog, sites, blueprint="k8s-cluster", to="1.1.0", canary_percent=0)
    assert given.wave_repaves(given.waves[0]) == default.wave_repaves(default.waves[0]) != {}


def test_a_rollout_concerns_only_its_own_blueprints_stacks_however_their_names_sort(repo, catalog, sites):
    """vm-app sorts after k8s-cluster and data-platform before it, both at versions no newer than 1.1.0: neither is
    moved, held or counted as done by k8s-cluster's rollout."""
    write_fleet(repo, [_old_eks(catalog, sites, "alpha", "dev"),
                       resolve(make_request(team="beta", blueprint="vm-app@1.0.0", target="vsphere"), catalog, sites),
                       resolve(make_request(team="delta", blueprint="data-platform@1.0.0", target="aws"), catalog, sites,
                               refuse_ended=False)])
    rollout = plan_rollout(repo, catalog, sites, blueprint="k8s-cluster", to="1.1.0", canary_percent=0)
    named = {s for w in rollout.waves for s in w.stacks} | {h.stack for h in rollout.held} | rollout.done
    assert (named, set(rollout.upgrades)) == ({"alpha-dev"}, {"alpha-dev"}), rollout.held
