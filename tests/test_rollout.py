"""Fleet rollouts: waves, canaries spread over data centers, one wave per write, pins and sunsets."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from fleet.invariants import check
from fleet.stamped import load_fleet
from lifecycle.rollout import apply_wave, plan_rollout
from lifecycle.waves import Member, canary, plan_waves
from store import stack_files
from store.pins import Pin, pinned_text, read_pin
from tests.conftest import make_request

ENVS = ("dev", "test", "stage", "prod")


def synthetic(n: int, sites_per_env: int = 5) -> list[Member]:
    rng = random.Random(7)
    return [Member(f"team{i:03d}-{env}", env, f"dc{rng.randrange(sites_per_env)}")
            for i in range(n) for env in ENVS]


def test_waves_are_deterministic_whatever_the_input_order():
    members = synthetic(40)
    shuffled = list(members)
    random.Random(1).shuffle(shuffled)
    assert plan_waves(members, ENVS, 10) == plan_waves(shuffled, ENVS, 10)


def test_waves_follow_env_order_with_a_canary_first():
    waves = plan_waves(synthetic(40), ENVS, 10)
    assert [(w.env, w.kind) for w in waves] == [(e, k) for e in ENVS for k in ("canary", "rest")]
    for w in waves:
        assert all(s.endswith(f"-{w.env}") for s in w.stacks), f"wave {w.number} mixes envs: {w.stacks}"
    assert sum(len(w.stacks) for w in waves) == 160, "every member is in exactly one wave"


@pytest.mark.parametrize("percent", [1, 10, 25, 50, 90])
def test_a_canary_never_takes_a_whole_data_center(percent):
    members = [m for m in synthetic(30, sites_per_env=7) if m.env == "prod"]
    picked = canary(members, percent)
    for dc in {m.data_center for m in members}:
        total = sum(1 for m in members if m.data_center == dc)
        taken = sum(1 for m in picked if m.data_center == dc)
        assert taken < total, f"canary at {percent}% takes all {total} stacks of {dc}"
    assert len(picked) <= max(1, -(-len(members) * percent // 100))


def test_a_canary_is_spread_over_data_centers():
    members = [Member(f"s{i}", "prod", f"dc{i % 4}") for i in range(40)]
    picked = canary(members, 10)
    assert len(picked) == 4 and {m.data_center for m in picked} == {"dc0", "dc1", "dc2", "dc3"}, picked


# A small real fleet: web-service@2.0.0 stacks in several envs and sites, rendered offline.
FLEET = (("alpha", "dev", "ny1"), ("bravo", "dev", "nj2"), ("charlie", "dev", "ny1"),
         ("delta", "prod", "ny1"), ("echo", "prod", "nj2"), ("foxtrot", "prod", "ny1"))


@pytest.fixture
def fleet(repo, catalog, sites):
    stamped = []
    for team, env, site in FLEET:
        resolved = resolve(make_request(team=team, env=env, blueprint="web-service@2.0.0", target="vsphere",
                                        region=None, site=site), catalog, sites, stamped)
        stack_files.write_stack(repo, resolved)
        stamped.append(resolved)
    return repo


def test_apply_touches_only_its_wave_and_refuses_skipping_ahead(fleet, catalog, sites):
    plan = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0", envs=("dev", "prod"), canary_percent=34)
    assert [(w.env, w.kind) for w in plan.waves] == [("dev", "canary"), ("dev", "rest"), ("prod", "canary"), ("prod", "rest")]
    before = {p.name: p.read_text() for p in stack_files.list_stack_files(fleet)}

    with pytest.raises(BadInput, match="wave 1 is not applied yet"):
        apply_wave(fleet, plan, 2)
    assert before == {p.name: p.read_text() for p in stack_files.list_stack_files(fleet)}, "a refused wave wrote"

    written = {p.name for p in apply_wave(fleet, plan, 1)}
    assert written == {f"Pulumi.{s}.yaml" for s in plan.waves[0].stacks}
    for path in stack_files.list_stack_files(fleet):
        ref = stack_files.read_stack(path).blueprint_ref
        if path.name in written:
            assert ref == "web-service@2.1.0", f"{path.name} is in wave 1 but on {ref}"
        else:
            assert path.read_text() == before[path.name], f"{path.name} is not in wave 1 but changed"

    again = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0", envs=("dev", "prod"), canary_percent=34)
    assert again.waves == plan.waves and again.applied(again.waves[0]) and not again.applied(again.waves[1])
    apply_wave(fleet, again, 2)


def test_pinned_stacks_are_held_and_expired_pins_and_sunsets_are_findings(fleet, catalog, sites):
    today = date(2026, 11, 21)
    pinned = stack_files.stack_path(fleet, "echo-prod")
    pinned.write_text(pinned_text(pinned, Pin(reason="quarter-end freeze", approver="platform-lead@example.com",
                                                expires=today + timedelta(days=10), version="web-service@2.0.0")))
    expired = stack_files.stack_path(fleet, "delta-prod")
    expired.write_text(pinned_text(expired, Pin(reason="vendor certification", approver="platform-lead@example.com",
                                                 expires=today - timedelta(days=1), version="web-service@2.0.0")))
    assert read_pin(pinned).reason == "quarter-end freeze" and stack_files.read_stack(pinned).stack == "echo-prod"

    plan = plan_rollout(fleet, catalog, sites, blueprint="web-service", to="2.1.0", envs=ENVS, today=today)
    assert [h.stack for h in plan.held] == ["echo-prod"] and "quarter-end freeze" in plan.held[0].reason
    assert "delta-prod" in {s for w in plan.waves for s in w.stacks}, "an expired pin no longer holds"
    lifecycle_rules = ("pin-expired", "version-sunset")

    def findings(on: date):
        stamped = load_fleet(fleet, catalog, sites)
        stamped.today = on
        return [f for f in check(stamped) if f.rule in lifecycle_rules]

    assert [(f.rule, f.stacks) for f in findings(today)] == [("pin-expired", ("delta-prod",))]

    old = resolve(make_request(team="legacy", blueprint="web-service@1.0.0", target="vsphere", region=None, site="nj2"),
                  catalog, sites, stack_files.read_all(fleet))
    stack_files.write_stack(fleet, old)
    assert [f.stacks for f in findings(date(2027, 3, 31)) if f.rule == "version-sunset"] == []
    (finding,) = [f for f in findings(date(2027, 4, 1)) if f.rule == "version-sunset"]
    assert finding.stacks == ("legacy-dev",) and "web-service@2.1.0" in finding.message and finding.error, finding


def test_cli_pin_and_fleet_commands(fleet, bp):
    result = bp("pin", "alpha-dev", "--reason", "demo week", "--approver", "lead@example.com", "--expires", "2999-01-01")
    assert result.exit_code == 0, result.output
    bad = bp("pin", "alpha-dev", "--reason", "demo week", "--approver", "lead@example.com", "--expires", "soon")
    assert bad.exit_code == 2 and "--expires" in bad.output, bad.output
    past = bp("pin", "alpha-dev", "--reason", "demo week", "--approver", "lead@example.com", "--expires", "2000-01-01")
    assert past.exit_code == 2 and "--expires: 2000-01-01 is in the past" in past.output, past.output

    plan = bp("fleet", "upgrade", "plan", "--blueprint", "web-service", "--to", "2.1.0", "--waves", "dev,prod")
    assert plan.exit_code == 0 and "alpha-dev" in plan.output and "demo week" in plan.output, plan.output
    bad = bp("fleet", "upgrade", "plan", "--blueprint", "web-service", "--to", "2.1.0", "--canary", "150%")
    assert bad.exit_code == 2 and "--canary" in bad.output, bad.output
    ahead = bp("fleet", "upgrade", "apply", "--blueprint", "web-service", "--to", "2.1.0", "--waves", "dev,prod", "--wave", "2")
    assert ahead.exit_code == 2 and "wave 1 is not applied yet" in ahead.output, ahead.output
    first = bp("fleet", "upgrade", "apply", "--blueprint", "web-service", "--to", "2.1.0", "--waves", "dev,prod",
               "--wave", "1", "--json")
    assert first.exit_code == 0 and json.loads(first.output)["written"], first.output

    versions = bp("fleet", "versions", "--json")
    assert versions.exit_code == 0, versions.output
    in_use = {row["version"]: row for row in json.loads(versions.output)}
    moved = len(json.loads(first.output)["written"])
    assert {v: r["stacks"] for v, r in in_use.items()} == {"web-service@2.0.0": 6 - moved, "web-service@2.1.0": moved}
    assert sum(in_use["web-service@2.0.0"]["data_centers"].values()) == 6 - moved, in_use
