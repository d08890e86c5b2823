"""`bp fleet patch`: daily waves within the repave budget, one replica of an HA service a wave, one wave applied."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from lifecycle.patch import plan_patch, repaves
from lifecycle.waves import Member, days, plan_waves
from store import stack_files
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
