"""`bp fleet patch`: daily waves within the repave budget, one replica of an HA service a wave, one wave applied."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from lifecycle.patch import PatchMove, patch_json, plan_patch, repaves
from lifecycle.waves import Member, days, plan_waves
from store import stack_files
from store.pins import Pin, pinned_text
from tests.conftest import make_request
from tests.fleet_support import write_fleet

DCS = ("ny1", "ldn1", "fra1", "sg1")
OLD_REDIS = "redis:7.4.6@sha256:a9cc41d6d01da2aa26c219e4f99ecbeead955a7b656c1c499cce8922311b2514"

members = st.lists(st.builds(
    lambda i, env, dc, other, n, service: Member(
        f"s{i}", env, dc, tuple(sorted({dc: n, other: n}.items())) if n else (), service),
    st.integers(0, 10_000), st.sampled_from(("dev", "prod")), st.sampled_from(DCS), st.sampled_from(DCS),
    st.integers(0, 6), st.one_of(st.none(), st.sampled_from(("pay", "ledger", "risk")))),
    max_size=60, unique_by=lambda m: m.stack)


@settings(max_examples=150, deadline=None)
@given(members, st.integers(6, 30), st.integers(0, 50))
def test_no_day_exceeds_the_budget_of_any_data_center_nor_takes_two_replicas(group, budget, canary):
    waves = plan_waves(group, ("dev", "prod"), canary, budget)
    by_stack = {m.stack: m for m in group}
    assert sorted(s for w in waves for s in w.stacks) == sorted(by_stack), "every member is in exactly one wave"
    for wave in waves:
        use = Counter()
        for s in wave.stacks:
            use.update(dict(by_stack[s].repaves))
        assert max(use.values(), default=0) <= budget, (wave, use)
        services = [by_stack[s].service for s in wave.stacks if by_stack[s].service]
        assert len(services) == len(set(services)), wave
    assert [w.day for w in waves] == list(range(1, len(waves) + 1)), "a wave a day, in order"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(DCS), max_size=80), st.integers(1, 12))
def test_single_machine_moves_take_the_fewest_days_the_budget_allows(dcs, budget):
    group = [Member(f"s{i}", "dev", dc, ((dc, 1),)) for i, dc in enumerate(dcs)]
    fewest = max((math.ceil(n / budget) for n in Counter(dcs).values()), default=0)
    assert len(days(group, budget)) == fewest


def test_a_move_larger_than_the_budget_is_refused_naming_the_stack():
    with pytest.raises(BadInput, match=r"^--budget: big replaces 9 machines in ny1, more than the budget of 8"):
        days([Member("big", "dev", "ny1", (("ny1", 9),))], 8)


def test_no_budget_keeps_one_wave_per_env_and_kind():
    group = [Member(f"s{i}", "dev", DCS[i % 4], (("ny1", 50),)) for i in range(8)]
    assert [(w.kind, len(w.stacks), w.day) for w in plan_waves(group, ("dev",), 25)] == [("canary", 2, 0), ("rest", 6, 0)]


def _old_redis(catalog, sites, team: str, env: str = "dev"):
    bp = resolve(make_request(team=team, env=env, blueprint="web-service", target="vsphere", size="S",
                              data_services=[{"kind": "redis", "size": "S"}]), catalog, sites)
    engines = tuple(e.model_copy(update={"image": OLD_REDIS}) if e.kind == "redis" else e for e in bp.decisions.engines)
    return bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"engines": engines})})


def test_a_template_change_replaces_the_pools_vms_in_each_data_center(catalog, sites):
    bp = resolve(make_request(team="vms", blueprint="vm-app", target="vsphere", size="M"), catalog, sites)
    old = bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"vm_template": "rhel-9-cis"})})
    assert repaves(old, bp) == {bp.primary.data_center: bp.size.nodes}
    assert repaves(bp, bp) == {}



def _cluster(catalog, sites, **decisions):
    bp = resolve(make_request(team="k8s", blueprint="k8s-cluster", target="aws", size="M"), catalog, sites)
    return bp.model_copy(update={"decisions": bp.decisions.model_copy(update=decisions)})


@pytest.mark.parametrize("decision", ["node_machine", "control_plane_class", "node_image", "kubernetes_version"])
def test_a_new_node_machine_image_or_minor_rolls_every_node_of_a_dedicated_cluster(catalog, sites, decision):
    bp = _cluster(catalog, sites)
    assert repaves(bp, _cluster(catalog, sites, **{decision: "changed"})) == {bp.primary.data_center: 2 + bp.size.nodes}, \
        "the system pool's fixed 2 nodes and the general pool's of the size"


def test_a_cluster_rolls_nothing_for_new_add_ons_or_for_recording_the_minor_it_already_runs(catalog, sites):
    bp = _cluster(catalog, sites)
    assert repaves(bp, _cluster(catalog, sites, eks_addons={"vpc-cni": "v9.9.9-eksbuild.1"})) == {}
    assert repaves(_cluster(catalog, sites, kubernetes_version=None), bp) == {}, "the spec's minor, now written down"
    assert repaves(bp, bp) == {}



def test_a_cluster_read_back_from_its_file_with_current_decisions_rolls_nothing(repo, catalog, sites):
    bp = _cluster(catalog, sites)
    write_fleet(repo, [bp])
    back = stack_files.read_stack(stack_files.stack_path(repo, bp.stack))
    assert back.decisions == bp.decisions and back.decisions.node_machine is not bp.decisions.node_machine
    assert back.decisions.kubernetes_version is not bp.decisions.kubernetes_version, "equal values, read anew"
    assert repaves(back, bp) == {}


def test_minors_and_templates_are_compared_for_change_not_order(catalog, sites):
    """1.9 -> 1.10 is a new minor though it sorts before as text; a recalled template build replaced by the one
    before it is a new template too."""
    bp = _cluster(catalog, sites, kubernetes_version="1.9")
    assert repaves(bp, _cluster(catalog, sites, kubernetes_version="1.10")) == {bp.primary.data_center: 2 + bp.size.nodes}
    vms = _old_vms(catalog, sites, "alpha")

    def on(template: str):
        return vms.model_copy(update={"decisions": vms.decisions.model_copy(update={"vm_template": template})})

    assert repaves(on("rhel-9-cis-2026.12"), on("rhel-9-cis-2026.11")) == {"ny1": 2}


def test_a_move_that_gives_a_stack_a_cluster_of_its_own_creates_its_nodes_and_replaces_none(catalog, sites):
    shared = resolve(make_request(team="web", blueprint="web-service", target="aws"), catalog, sites)
    own = _cluster(catalog, sites).decisions
    assert repaves(shared, shared.model_copy(update={"decisions": own})) == {}


def test_apply_wave_one_rewrites_exactly_that_waves_files(repo, catalog, sites, bp):
    stacks = [_old_redis(catalog, sites, team) for team in ("alpha", "beta", "gamma", "delta")]
    stacks.append(_old_redis(catalog, sites, "omega", env="prod"))
    write_fleet(repo, stacks)
    before = {s.stack: stack_files.stack_path(repo, s.stack).read_text() for s in stacks}
    plan = plan_patch(repo, catalog, sites, canary_percent=25)
    first = plan.waves[0]
    assert (first.env, first.kind, len(first.stacks)) == ("dev", "canary", 1)
    assert all(u.diff.counts()["update"] >= 1 and not u.data_losing for u in plan.upgrades.values())
    result = bp("fleet", "patch", "apply", "--wave", "1", "--canary", "25%")
    assert result.exit_code == 0, result.output
    assert "engines.redis.7.image: redis:7.4.6@" in result.output
    changed = {name for name, text in before.items() if stack_files.stack_path(repo, name).read_text() != text}
    assert changed == set(first.stacks)
    [name] = first.stacks
    patched = stack_files.read_stack(stack_files.stack_path(repo, name))
    assert patched.decisions.engine("redis", "7").image == sites.fleet.engines["redis"]["7"].image
    ahead = bp("fleet", "patch", "apply", "--wave", "3", "--canary", "25%")
    assert ahead.exit_code == 2 and "wave 2 is not applied yet" in ahead.output, ahead.output


def test_a_pinned_or_retired_stack_is_held(repo, catalog, sites, bp):
    from blueprints.resolved import Retirement

    old = _old_redis(catalog, sites, "alpha")
    retired = old.model_copy(update={"retirement": Retirement(since="2026-11-01", reason="moved to beta")})
    write_fleet(repo, [retired])
    plan = plan_patch(repo, catalog, sites)
    assert [h.stack for h in plan.held] == ["alpha-dev"] and "retired" in plan.held[0].reason and not plan.upgrades


def _old_vms(catalog, sites, team: str):
    """A single-data-center VM pool on last month's template: the patch repaves its two VMs in ny1."""
    bp = resolve(make_request(team=team, blueprint="vm-app", target="vsphere", size="S", region=None, site="ny1"),
                 catalog, sites)
    return bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"vm_template": "rhel-9-cis"})})


@pytest.mark.parametrize("budget, per_day", [(6, [3]), (4, [2, 1]), (3, [1, 1, 1]), (2, [1, 1, 1])])
def test_a_patch_day_may_fill_the_repave_budget_exactly_and_never_go_over(repo, catalog, sites, budget, per_day):
    write_fleet(repo, [_old_vms(catalog, sites, team) for team in ("alpha", "beta", "gamma")])
    patch = plan_patch(repo, catalog, sites, canary_percent=0, budget=budget, accept_data_loss=True)
    assert [len(w.stacks) for w in patch.waves] == per_day, patch.held
    assert [w.day for w in patch.waves] == list(range(1, len(per_day) + 1)), "a wave a day"
    assert [sum(patch.wave_repaves(w).values()) for w in patch.waves] == [2 * n for n in per_day]


def test_a_patch_with_a_stack_over_the_budget_is_refused_naming_it(repo, catalog, sites):
    write_fleet(repo, [_old_vms(catalog, sites, "alpha")])
    with pytest.raises(BadInput, match=r"^--budget: alpha-dev replaces 2 machines in ny1, more than the budget of 1 "):
        plan_patch(repo, catalog, sites, budget=1, accept_data_loss=True)


def test_a_patch_that_replaces_vms_waits_for_accept_data_loss(repo, catalog, sites):
    write_fleet(repo, [_old_vms(catalog, sites, "alpha")])
    refused = plan_patch(repo, catalog, sites, canary_percent=0)
    assert refused.waves == [] and [h.stack for h in refused.held] == ["alpha-dev"]
    assert refused.held[0].reason.startswith("data-losing (replace vsphere:index/virtualMachine:VirtualMachine")
    accepted = plan_patch(repo, catalog, sites, canary_percent=0, accept_data_loss=True)
    assert accepted.held == [] and [w.stacks for w in accepted.waves] == [("alpha-dev",)]


def test_a_pinned_stack_is_held_by_a_patch_through_its_last_day(repo, catalog, sites):
    today = date(2026, 12, 5)
    write_fleet(repo, [_old_redis(catalog, sites, "alpha"), _old_redis(catalog, sites, "beta")])
    path = stack_files.stack_path(repo, "alpha-dev")
    path.write_text(pinned_text(path, Pin(reason="quarter-end freeze", approver="lead@example.com", expires=today,
                                          version="web-service@2.1.0")))
    held = plan_patch(repo, catalog, sites, canary_percent=0, today=today)
    assert [h.stack for h in held.held] == ["alpha-dev"] and "pinned until 2026-12-05" in held.held[0].reason
    assert [w.stacks for w in held.waves] == [("beta-dev",)]
    later = plan_patch(repo, catalog, sites, canary_percent=0, today=today + timedelta(days=1))
    assert later.held == [] and [w.stacks for w in later.waves] == [("alpha-dev", "beta-dev")]


def test_a_patch_plan_as_json_says_each_waves_day_repaves_and_each_stacks_changes(repo, catalog, sites):
    from blueprints.resolved import Retirement

    retired = _old_vms(catalog, sites, "omega").model_copy(
        update={"retirement": Retirement(since="2026-11-01", reason="moved to alpha")})
    write_fleet(repo, [_old_vms(catalog, sites, "alpha"), _old_redis(catalog, sites, "beta"), retired])
    plan = plan_patch(repo, catalog, sites, canary_percent=0, budget=2, accept_data_loss=True)
    found = patch_json(plan)
    assert found["held"] == [{"stack": "omega-dev", "reason": "retired since 2026-11-01 (moved to alpha)"}]
    assert [(w["wave"], w["day"], w["env"], w["kind"], w["applied"]) for w in found["waves"]] == [
        (1, 1, "dev", "rest", False)], "the redis image moves no machine: it shares the VMs' day"
    [wave] = found["waves"]
    assert wave["repaves"] == {"ny1": 2} and wave["counts"] == plan.wave_counts(plan.waves[0])
    by_stack = {s["stack"]: s for s in wave["stacks"]}
    assert by_stack["alpha-dev"]["changes"] == {"vm_template": ["rhel-9-cis", "rhel-9-cis-2026.11"]}
    assert by_stack["beta-dev"]["changes"] == {
        "engines.redis.7.image": [OLD_REDIS, sites.fleet.engines["redis"]["7"].image]}
    assert by_stack["beta-dev"]["counts"] == plan.upgrades["beta-dev"].diff.counts() and by_stack["beta-dev"]["counts"]["update"]
    assert by_stack["beta-dev"]["notes"] == list(plan.upgrades["beta-dev"].diff.notes())


def test_what_a_patch_covers_and_its_limits_can_only_be_named(repo, catalog, sites):
    with pytest.raises(TypeError, match=r"takes 3 positional arguments but 4 were given"):
        plan_patch(repo, catalog, sites, ("dev",))


def test_the_cli_states_the_budget_the_library_patches_with_by_default(bp):
    from lifecycle.patch import DEFAULT_BUDGET

    text = " ".join(bp("fleet", "patch", "plan", "--help").output.split())
    assert f"Default: {DEFAULT_BUDGET} (~300 a day over 16)" in text, text


def test_a_patch_move_cannot_be_changed_once_planned(sites):
    """A wave is applied with the plan's move under the lock: its sites map is the one the plan was reviewed with."""
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        PatchMove(sites).sites = sites.model_copy()
