"""Every lifecycle guard under the flag combinations that must still refuse: --force never waives data loss, a rollout
never puts a data-losing stack in a wave without --accept-data-loss, a small env still gets a canary, a pin holds
through its last day, a wave cannot be skipped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from engine.diff import Change, Diff
from lifecycle import rollout
from lifecycle.rollout import _pin_reason, apply_wave, plan_rollout
from lifecycle.upgrade import Upgrade, check_allowed
from lifecycle.waves import Member, canary, plan_waves
from store import stack_files
from store.pins import Pin, pinned_text
from tests.conftest import make_request
from tests.test_rollout import fleet  # noqa: F401  (the fixture: six web-service@2.0.0 stacks)

DB = "aws:rds/instance:Instance"


def _at(stack, ref: str):
    return stack.model_copy(update={"request": stack.request.model_copy(update={"blueprint": ref})})


def _upgrade(catalog, sites, before: str, after: str, *changes: Change) -> Upgrade:
    stack = resolve(make_request(blueprint="web-service@2.0.0", target="aws"), catalog, sites)
    return Upgrade(_at(stack, before), _at(stack, after), Diff(tuple(changes)))


LOSES = Change("urn:pulumi:payments-dev::cloud-blueprints::aws:rds/instance:Instance::db", DB, "replace", stateful=True)
DELETES = Change("urn:pulumi:payments-dev::cloud-blueprints::aws:rds/instance:Instance::db", DB, "delete", stateful=True)
KEEPS = Change("urn:pulumi:payments-dev::cloud-blueprints::aws:rds/instance:Instance::db", DB, "update", stateful=True)
STATELESS = Change("urn:pulumi:payments-dev::cloud-blueprints::aws:ec2/securityGroup:SecurityGroup::sg",
                   "aws:ec2/securityGroup:SecurityGroup", "replace")


# --- bp upgrade: check_allowed ----------------------------------------------------------------------------------

@pytest.mark.parametrize("change", [LOSES, DELETES], ids=["replace", "delete"])
def test_force_never_waives_the_data_loss_refusal(catalog, sites, change):
    up = _upgrade(catalog, sites, "web-service@2.0.0", "web-service@2.1.0", change)
    for force in (False, True):
        with pytest.raises(BadInput, match=r"payments-dev: web-service@2.0.0 -> web-service@2.1.0 loses data "
                                           rf"\({change.action} urn:.*::db\); review it and pass --accept-data-loss"):
            check_allowed(up, accept_data_loss=False, force=force)
    check_allowed(up, accept_data_loss=True, force=False)


def test_a_forced_downgrade_that_loses_data_is_still_refused(catalog, sites):
    up = _upgrade(catalog, sites, "web-service@2.1.0", "web-service@2.0.0", LOSES)
    with pytest.raises(BadInput, match="loses data"):
        check_allowed(up, accept_data_loss=False, force=True)
    with pytest.raises(BadInput, match=r"not an upgrade \(pass --force\)"):
        check_allowed(up, accept_data_loss=True, force=False)
    check_allowed(up, accept_data_loss=True, force=True)


def test_the_two_flags_can_only_be_named_so_they_cannot_be_swapped(catalog, sites):
    from dataclasses import FrozenInstanceError

    up = _upgrade(catalog, sites, "web-service@2.0.0", "web-service@2.1.0", LOSES)
    with pytest.raises(TypeError):
        check_allowed(up, True, False)  # which of the two would True be?
    with pytest.raises(FrozenInstanceError):
        up.diff = Diff(())  # what was reviewed is what is written


def test_bp_upgrade_waives_nothing_unless_asked():
    from lifecycle.upgrade import UpgradeOptions

    opts = UpgradeOptions()
    assert (opts.accept_data_loss, opts.force, opts.unpin, opts.dry_run) == (False, False, False, False)


@pytest.mark.parametrize(("before", "after"), [("2.1.0", "2.0.0"), ("2.1.0", "2.1.0"), ("2.10.0", "2.9.0")])
def test_a_downgrade_or_the_same_version_needs_force(catalog, sites, before, after):
    up = _upgrade(catalog, sites, f"web-service@{before}", f"web-service@{after}", KEEPS)
    with pytest.raises(BadInput, match=rf"--to: payments-dev is on web-service@{before}; moving to web-service@{after} "
                                       r"is not an upgrade \(pass --force\)"):
        check_allowed(up, accept_data_loss=True, force=False)
    check_allowed(up, accept_data_loss=False, force=True)


def test_an_upgrade_by_one_patch_or_across_ten_minors_needs_no_flag(catalog, sites):
    for before, after in [("2.0.0", "2.0.1"), ("2.9.0", "2.10.0")]:
        up = _upgrade(catalog, sites, f"web-service@{before}", f"web-service@{after}", KEEPS, STATELESS)
        assert not up.data_losing, "an in-place update and a stateless replace lose nothing"
        check_allowed(up, accept_data_loss=False, force=False)


# --- fleet rollout: data-losing stacks stay out of the waves unless acknowledged ----------------------------------

@pytest.fixture(autouse=True)
def _a_diff_per_stack(monkeypatch):
    """These tests give stacks of one shape different diffs, so each stack is its own class of move."""
    from lifecycle import diff_classes

    monkeypatch.setattr(diff_classes, "diff_class", lambda before, after: before.stack)


def _losing_for(names: set[str]):
    """render_upgrade as the engine would answer it, with a data-losing diff for the stacks in `names`."""
    def render_upgrade(repo, before, after, sites):
        return Upgrade(before, after, Diff((LOSES if before.stack in names else KEEPS,)))
    return render_upgrade


def test_a_rollout_holds_data_losing_stacks_without_accept_data_loss(fleet, catalog, sites, monkeypatch):  # noqa: F811
    monkeypatch.setattr(rollout, "render_upgrade", _losing_for({"delta-prod", "alpha-dev"}))
    plan = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0")
    in_waves = {s for w in plan.waves for s in w.stacks}
    assert {"delta-prod", "alpha-dev"}.isdisjoint(in_waves), plan.waves
    assert {h.stack: h.reason for h in plan.held} == {
        "alpha-dev": f"data-losing (replace {DB}); acknowledge with --accept-data-loss",
        "delta-prod": f"data-losing (replace {DB}); acknowledge with --accept-data-loss"}
    assert in_waves == {"bravo-dev", "charlie-dev", "echo-prod", "foxtrot-prod"}
    accepted = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0", accept_data_loss=True)
    assert {s for w in accepted.waves for s in w.stacks} == in_waves | {"delta-prod", "alpha-dev"}
    assert accepted.held == []


def test_a_pinned_stack_is_held_even_with_accept_data_loss(fleet, catalog, sites, monkeypatch):  # noqa: F811
    monkeypatch.setattr(rollout, "render_upgrade", _losing_for(set()))
    today = date(2026, 12, 5)
    path = stack_files.stack_path(fleet, "echo-prod")
    path.write_text(pinned_text(path, Pin(reason="quarter-end freeze", approver="lead@example.com", expires=today,
                                          version="web-service@2.0.0")))
    plan = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0", accept_data_loss=True, today=today)
    assert [h.stack for h in plan.held] == ["echo-prod"], "a pin holds on its last day"
    later = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0", today=today + timedelta(days=1))
    assert later.held == [] and "echo-prod" in {s for w in later.waves for s in w.stacks}


def test_an_env_outside_the_wave_list_is_held_not_dropped(fleet, catalog, sites, monkeypatch):  # noqa: F811
    monkeypatch.setattr(rollout, "render_upgrade", _losing_for(set()))
    plan = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0", envs=("dev",))
    assert {h.stack: h.reason for h in plan.held} == {
        s: "env prod is not in the wave list" for s in ("delta-prod", "echo-prod", "foxtrot-prod")}
    assert all(w.env == "dev" for w in plan.waves)


def test_a_wave_outside_the_plan_is_refused_and_the_last_one_is_accepted(fleet, catalog, sites, monkeypatch):  # noqa: F811
    plan = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0", envs=("dev",), canary_percent=0)
    assert len(plan.waves) == 1
    for number in (0, 2):
        with pytest.raises(BadInput, match=rf"--wave: {number} is not a wave of this plan \(it has 1\)"):
            apply_wave(fleet, plan, number)
    assert len(apply_wave(fleet, plan, 1)) == 3


def test_a_pin_holds_through_its_last_day():
    today = date(2026, 12, 5)
    pin = Pin(reason="freeze", approver="lead@example.com", expires=today, version="web-service@2.0.0")
    assert pin.holds(today) and _pin_reason(pin, today) == f"pinned until {today} by lead@example.com: freeze"
    assert not pin.holds(today + timedelta(days=1)) and _pin_reason(pin, today + timedelta(days=1)) is None
    assert _pin_reason(None, today) is None


# --- waves: a canary for every env that can spare one -------------------------------------------------------------

def _members(n: int, dcs: int = 1, env: str = "prod") -> list[Member]:
    return [Member(f"team{i:03d}-{env}", env, f"dc{i % dcs}") for i in range(n)]


def test_a_small_env_still_gets_a_canary():
    two = _members(2)
    assert len(canary(two, 10)) == 1, "two stacks in one data center: one goes first"
    waves = plan_waves(two, ("prod",), 10)
    assert [(w.kind, len(w.stacks)) for w in waves] == [("canary", 1), ("rest", 1)]


def test_the_canary_share_rounds_up_and_never_takes_a_whole_data_center():
    assert len(canary(_members(11), 10)) == 2, "10% of 11 rounds up to 2"
    assert len(canary(_members(10), 10)) == 1
    assert len(canary(_members(20, dcs=4), 10)) == 2
    assert len(canary(_members(3), 100)) == 2, "a canary leaves one stack of the data center for the rest"
    assert canary(_members(1), 100) == [], "a lone stack cannot be its own canary"
    assert canary(_members(5), 0) == [] and canary([], 50) == []


def test_a_canary_spreads_over_data_centers_before_taking_a_second_from_one():
    picked = canary(_members(12, dcs=3), 25)
    assert len(picked) == 3 and len({m.data_center for m in picked}) == 3, picked


def test_each_env_gets_its_own_canary_and_waves_are_numbered_in_order():
    members = _members(4, dcs=2, env="dev") + _members(4, dcs=2, env="prod")
    waves = plan_waves(members, ("dev", "prod"), 25)
    assert [(w.number, w.env, w.kind) for w in waves] == [
        (1, "dev", "canary"), (2, "dev", "rest"), (3, "prod", "canary"), (4, "prod", "rest")]
    assert sum(len(w.stacks) for w in waves) == 8 and len({s for w in waves for s in w.stacks}) == 8


def test_the_canary_share_is_a_percentage_rounded_up_at_its_edge():
    # 1% of 101 is 1.01: two stacks go first, not one.
    assert len(canary(_members(101, dcs=3), 1)) == 2
    assert len(canary(_members(100, dcs=3), 1)) == 1
    # A fleet-sized env: the quota holds past small numbers too.
    assert len(canary(_members(3000, dcs=30), 10)) == 300


def test_a_member_and_a_wave_cannot_be_changed():
    from dataclasses import FrozenInstanceError

    member = _members(1)[0]
    with pytest.raises(FrozenInstanceError):
        member.env = "dev"
    wave = plan_waves(_members(2), ("prod",), 50)[0]
    with pytest.raises(FrozenInstanceError):
        wave.kind = "rest"


# --- the rollout plan's shape: its target, its counts, its JSON ---------------------------------------------------

@pytest.mark.parametrize(("to", "match"), [
    ("9.9.9", "'web-service' has no version 9.9.9"), ("web-service@9.9.9", "'web-service' has no version 9.9.9"),
    ("vm-app@1.0.0", "--to: 'vm-app@1.0.0' is not a version of web-service"),
    ("zeta-app@1.0.0", "--to: 'zeta-app@1.0.0' is not a version of web-service"),  # a name sorting after it too
    ("web-service@", "--to: 'web-service@' is not a version of web-service"),
    ("not a version", "--to: 'not a version' is not a version of web-service"),
])
def test_a_rollout_target_that_is_not_a_version_of_the_blueprint_is_refused(fleet, catalog, sites, to, match):  # noqa: F811
    with pytest.raises(BadInput, match=match):
        plan_rollout(fleet, catalog, sites, blueprint="web-service", to=to)


def test_a_rollout_counts_each_waves_changes_and_says_so_in_json(fleet, catalog, sites, monkeypatch):  # noqa: F811
    monkeypatch.setattr(rollout, "render_upgrade", _losing_for({"alpha-dev"}))
    plan = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="web-service@2.1.0", envs=("dev",),
                        canary_percent=0, accept_data_loss=True)
    assert plan.target_ref == "web-service@2.1.0" and plan.to == "2.1.0"
    (wave,) = plan.waves
    assert plan.wave_counts(wave) == {"create": 0, "update": 2, "replace": 1, "delete": 0}
    out = plan.to_json()
    assert out["blueprint"] == "web-service" and out["to"] == "2.1.0"
    assert [h["stack"] for h in out["held"]] == ["delta-prod", "echo-prod", "foxtrot-prod"]
    (w,) = out["waves"]
    assert (w["wave"], w["env"], w["kind"], w["applied"]) == (1, "dev", "rest", False)
    assert {s["stack"]: (s["from"], s["counts"]["replace"]) for s in w["stacks"]} == {
        "alpha-dev": ("web-service@2.0.0", 1), "bravo-dev": ("web-service@2.0.0", 0), "charlie-dev": ("web-service@2.0.0", 0)}


def test_a_stack_already_on_the_target_counts_as_applied_and_is_not_rewritten(fleet, catalog, sites):  # noqa: F811
    plan = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0", envs=("dev",), canary_percent=0)
    apply_wave(fleet, plan, 1)
    again = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0", envs=("dev",), canary_percent=0)
    assert again.done == {"alpha-dev", "bravo-dev", "charlie-dev"} and again.upgrades.keys() == set()
    assert again.applied(again.waves[0]) and again.wave_counts(again.waves[0]) == dict.fromkeys(
        ("create", "update", "replace", "delete"), 0)
    assert {s["from"] for s in again.to_json()["waves"][0]["stacks"]} == {"web-service@2.1.0"}
    assert apply_wave(fleet, again, 1) == []


# --- bp upgrade: the target, the JSON, all files or none -----------------------------------------------------------

def test_a_bare_upgrade_target_is_a_version_of_the_stacks_own_blueprint(catalog, sites):
    from lifecycle.upgrade import target_version

    stack = resolve(make_request(blueprint="web-service@2.0.0", target="aws"), catalog, sites)
    assert target_version(stack, "2.1.0") == "web-service@2.1.0"
    assert target_version(stack, "k8s-cluster@1.1.0") == "k8s-cluster@1.1.0"


def test_an_upgrade_says_what_it_does_in_json(catalog, sites):
    up = _upgrade(catalog, sites, "web-service@2.0.0", "web-service@2.1.0", LOSES, STATELESS)
    out = up.to_json()
    assert (up.stack, out["stack"], out["from"], out["to"]) == ("payments-dev", "payments-dev", "web-service@2.0.0",
                                                                "web-service@2.1.0")
    assert out["data_losing"] is True and out["counts"]["replace"] == 2
    assert [c["data_losing"] for c in out["changes"]] == [True, False]
