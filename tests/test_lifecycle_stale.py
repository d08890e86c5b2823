"""A version move computed outside the lock and applied under it: what counts as stale, that a stale move is computed
again from the file as it is then, and that it gives up after a bounded number of attempts, writing nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from blueprints.resolved import Retirement
from engine.diff import Diff
from lifecycle import rollout, upgrade
from lifecycle.upgrade import Upgrade, UpgradeOptions, in_service, still_planned, upgrade_stack
from store import stack_files
from store.change import Proposed, StackState, Stale
from store.pins import Pin, pinned_text, read_pin
from tests.conftest import SESSION_DAY, make_request

RETIRED = Retirement(since=date(2026, 12, 1), reason="moved to the new platform")


def _stack(catalog, sites, **overrides):
    return resolve(make_request(**{"blueprint": "web-service@2.0.0", "target": "aws", **overrides}), catalog, sites)


def _at(stack, ref: str):
    return stack.model_copy(update={"request": stack.request.model_copy(update={"blueprint": ref})})


def _retired(stack):
    return stack.model_copy(update={"retirement": RETIRED})


# --- still_planned: the stack as it is now against what the diff was computed from --------------------------------

@pytest.fixture
def planned(catalog, sites):
    before = _stack(catalog, sites)
    return Upgrade(before, _at(before, "web-service@2.1.0"), Diff(()))


def _check(planned, now, moved_to):
    still_planned(StackState(now.stack, Path("Pulumi.payments-dev.yaml"), "text", now), planned, Proposed(moved_to, None))


def test_a_move_from_and_to_what_was_diffed_is_still_planned(planned):
    _check(planned, planned.before, planned.after)


def test_a_stack_changed_since_its_diff_is_stale(planned, catalog, sites):
    changed = _stack(catalog, sites, owner="ops@example.com")
    with pytest.raises(Stale, match="payments-dev changed while its upgrade was computed; nothing was changed"):
        _check(planned, changed, planned.after)


def test_a_move_that_would_now_land_elsewhere_is_stale(planned):
    with pytest.raises(Stale, match="changed while its upgrade was computed"):
        _check(planned, planned.before, _at(planned.before, "web-service@2.0.1"))


def test_a_retirement_mark_alone_does_not_make_a_move_stale(planned):
    assert in_service(_retired(planned.before)) == planned.before
    assert in_service(_retired(planned.before)).retirement is None and in_service(planned.before) is planned.before
    _check(planned, _retired(planned.before), _retired(planned.after))
    _check(Upgrade(_retired(planned.before), planned.after, Diff(())), planned.before, planned.after)


# --- upgrade_stack: computed again when the file changes meanwhile, at most upgrade.ATTEMPTS times ----------------

OWNERS = ("lead@example.com", "ops@example.com")


def _edited_meanwhile(monkeypatch, path, times: int) -> list[str]:
    """render_upgrade as it is, except that the stack's owner changes in its file while the first `times` renders run:
    another change landing between the unlocked diff and the lock."""
    real, renders = upgrade.render_upgrade, []

    def render(repo, before, after, sites):
        out = real(repo, before, after, sites)
        renders.append(before.request.owner)
        if len(renders) <= times:
            old, new = sorted(OWNERS, key=lambda o: o != before.request.owner)
            path.write_text(path.read_text().replace(f"owner: {old}", f"owner: {new}"))
        return out
    monkeypatch.setattr(upgrade, "render_upgrade", render)
    return renders


@pytest.fixture
def stamped(repo, catalog, sites):
    stack = resolve(make_request(blueprint="web-service@2.0.0", target="vsphere", region=None, site="ny1"), catalog,
                    sites)
    stack_files.write_stack(repo, stack)
    return stack_files.stack_path(repo, "payments-dev")


def test_an_upgrade_whose_file_changed_meanwhile_is_computed_again_from_the_new_file(repo, catalog, sites, stamped,
                                                                                      monkeypatch):
    renders = _edited_meanwhile(monkeypatch, stamped, times=upgrade.ATTEMPTS - 1)
    done = upgrade_stack(repo, "payments-dev", "2.1.0", catalog, sites)
    assert renders == ["lead@example.com", "ops@example.com", "lead@example.com"]
    moved = stack_files.read_stack(stamped)
    assert moved.blueprint_ref == "web-service@2.1.0" and done.after.request.owner == moved.request.owner


def test_an_upgrade_whose_file_keeps_changing_gives_up_after_three_attempts_and_writes_nothing(repo, catalog, sites,
                                                                                             stamped, monkeypatch):
    renders = _edited_meanwhile(monkeypatch, stamped, times=99)
    with pytest.raises(BadInput, match=r"payments-dev kept changing while its upgrade was computed \(3 times\); "
                                       "nothing was changed; run it again"):
        upgrade_stack(repo, "payments-dev", "2.1.0", catalog, sites)
    assert len(renders) == 3 == upgrade.ATTEMPTS
    assert stack_files.read_stack(stamped).blueprint_ref == "web-service@2.0.0"


def test_a_dry_run_shows_the_diff_and_writes_nothing(repo, catalog, sites, stamped):
    before, shown = stamped.read_text(), []
    done = upgrade_stack(repo, "payments-dev", "2.1.0", catalog, sites, UpgradeOptions(dry_run=True),
                         show=lambda up, outcome: shown.append((up.after.blueprint_ref, outcome)))
    assert shown == [("web-service@2.1.0", None)] and done.after.blueprint_ref == "web-service@2.1.0"
    assert stamped.read_text() == before


# --- a wave applied under the lock: every stack re-checked against the plan ---------------------------------------

def _fleet_plan(repo, catalog, sites):
    for team in ("alpha", "bravo"):
        stack = resolve(make_request(team=team, blueprint="web-service@2.0.0", target="vsphere", region=None,
                                     site="ny1"), catalog, sites, stack_files.read_all(repo))
        stack_files.write_stack(repo, stack)
    return lambda: rollout.plan_rollout(repo, catalog, sites, blueprint="web-service", to="2.1.0", envs=("dev",),
                                        canary_percent=0)


def _retire(path: Path) -> None:
    stack_files.write_stack(path.parent.parent, _retired(stack_files.read_stack(path)), force=True)


def _pin(path: Path) -> None:
    path.write_text(pinned_text(path, Pin(reason="freeze", approver="lead@example.com", expires=SESSION_DAY,
                                          version="web-service@2.0.0")))


@pytest.mark.parametrize(("mark", "why"), [(_retire, "retired"), (_pin, "pinned")])
def test_a_stack_retired_or_pinned_after_the_plan_stops_the_wave(repo, catalog, sites, mark, why):
    plan = _fleet_plan(repo, catalog, sites)()
    paths = {n: stack_files.stack_path(repo, n) for n in ("alpha-dev", "bravo-dev")}
    mark(paths["bravo-dev"])
    texts = {n: p.read_text() for n, p in paths.items()}
    with pytest.raises(Stale, match=f"bravo-dev was {why} after the plan was made; nothing was changed"):
        rollout.apply_wave(repo, plan, 1)
    assert {n: p.read_text() for n, p in paths.items()} == texts, "a stale wave wrote"


def test_a_wave_whose_stacks_change_meanwhile_is_planned_again_up_to_its_attempts(repo, catalog, sites):
    replan, plans = _fleet_plan(repo, catalog, sites), []
    path = stack_files.stack_path(repo, "bravo-dev")

    def stale_plan():
        plans.append(replan())
        path.write_text(path.read_text().replace(*(("lead@", "ops@") if len(plans) % 2 else ("ops@", "lead@"))))
        return plans[-1]
    with pytest.raises(BadInput, match=r"--wave: stacks of wave 1 kept changing while it was planned \(3 times\)"):
        rollout.apply_wave_planned(repo, stale_plan, 1)
    assert len(plans) == 3 and stack_files.read_stack(path).blueprint_ref == "web-service@2.0.0"

    once = []

    def stale_once():
        once.append(replan())
        if len(once) == 1:
            text = path.read_text()
            path.write_text(text.replace("ops@", "lead@") if "owner: ops@" in text else text.replace("lead@", "ops@"))
        return once[-1]
    plan, written = rollout.apply_wave_planned(repo, stale_once, 1)
    assert len(once) == 2 and plan is once[-1] and sorted(p.name for p in written) == [
        "Pulumi.alpha-dev.yaml", "Pulumi.bravo-dev.yaml"]
    assert all(stack_files.read_stack(p).blueprint_ref == "web-service@2.1.0" for p in written)


@pytest.mark.parametrize(("expires", "holds"), [(SESSION_DAY, True), (SESSION_DAY - timedelta(days=1), False)])
def test_an_upgrade_without_a_day_judges_pins_on_the_clocks_day(repo, catalog, sites, stamped, expires, holds):
    stamped.write_text(pinned_text(stamped, Pin(reason="freeze", approver="lead@example.com", expires=expires,
                                                version="web-service@2.0.0")))
    if holds:
        with pytest.raises(BadInput, match="pass --unpin to move it to web-service@2.1.0"):
            upgrade_stack(repo, "payments-dev", "2.1.0", catalog, sites)
        return
    upgrade_stack(repo, "payments-dev", "2.1.0", catalog, sites)
    assert stack_files.read_stack(stamped).blueprint_ref == "web-service@2.1.0" and read_pin(stamped) is None


# --- which stacks a rollout concerns, holds and counts as applied ---------------------------------------------------

def _vsphere(team: str, ref: str, env: str = "dev"):
    return make_request(team=team, env=env, blueprint=ref, target="vsphere", region=None, site="ny1")


def test_a_rollout_concerns_only_its_blueprint_at_or_below_the_target(repo, catalog, sites):
    for team, ref in (("old", "web-service@1.0.0"), ("cur", "web-service@2.0.0"), ("new", "web-service@2.1.0"),
                      ("vms", "vm-app@1.0.0")):
        stack_files.write_stack(repo, resolve(_vsphere(team, ref), catalog, sites, stack_files.read_all(repo)))
    plan = rollout.plan_rollout(repo, catalog, sites, blueprint="web-service", to="2.0.0", envs=("dev",), canary_percent=0)
    assert plan.done == {"cur-dev"} and {s for w in plan.waves for s in w.stacks} == {"old-dev", "cur-dev"}
    assert set(plan.upgrades) == {"old-dev"} and plan.held == [], "a newer stack is not moved back, another blueprint not at all"


def test_a_retired_stack_and_one_that_cannot_move_are_held_with_the_reason(repo, catalog, sites, monkeypatch):
    replan = _fleet_plan(repo, catalog, sites)
    path = stack_files.stack_path(repo, "alpha-dev")
    _retire(path)
    real = rollout.render_upgrade

    def render(repo_, before, after, sites_):
        if before.stack == "bravo-dev":
            raise BadInput("bravo-dev: no longer fits pool ny1-nonprod")
        return real(repo_, before, after, sites_)
    monkeypatch.setattr(rollout, "render_upgrade", render)
    plan = replan()
    assert [(h.stack, h.version, h.reason) for h in plan.held] == [
        ("alpha-dev", "2.0.0", f"retired since {RETIRED.since} ({RETIRED.reason})"),
        ("bravo-dev", "2.0.0", "cannot move: bravo-dev: no longer fits pool ny1-nonprod")]
    assert plan.waves == [] and plan.upgrades == {}


def test_a_wave_is_applied_only_when_every_stack_in_it_has_moved(repo, catalog, sites):
    replan = _fleet_plan(repo, catalog, sites)
    plan = replan()
    (wave,) = plan.waves
    upgrade_stack(repo, "alpha-dev", "2.1.0", catalog, sites)
    half = replan()
    assert half.done == {"alpha-dev"} and not half.applied(wave) and set(half.upgrades) == {"bravo-dev"}
    assert half.wave_counts(wave) == half.upgrades["bravo-dev"].diff.counts() != dict.fromkeys(half.wave_counts(wave), 0)
    stacks = {s["stack"]: s for s in half.to_json()["waves"][0]["stacks"]}
    assert stacks["alpha-dev"] == {"stack": "alpha-dev", "from": "web-service@2.1.0", "counts": None}
    assert stacks["bravo-dev"]["from"] == "web-service@2.0.0"
    seen = []
    _, written = rollout.apply_wave_planned(repo, replan, 1, confirm=lambda p, out: seen.append((p.done, sorted(out))))
    assert [p.name for p in written] == ["Pulumi.bravo-dev.yaml"] and seen == [({"alpha-dev"}, ["bravo-dev"])]
    assert replan().applied(wave)


def test_the_options_an_upgrade_was_reviewed_with_cannot_be_changed_on_the_way():
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        UpgradeOptions().accept_data_loss = True


# --- the EKS minor-version rule at its edges ------------------------------------------------------------------------

def _eks(stack, cluster: str, version: str | None):
    return stack.model_copy(update={"spec": stack.spec.model_copy(update={"cluster": cluster, "kubernetes_version": version})})


def test_eks_refuses_a_jump_of_two_minors_and_only_between_dedicated_clusters_with_versions(catalog, sites):
    from lifecycle.upgrade import eks_minor_jump

    aws = _stack(catalog, sites)
    assert eks_minor_jump(_eks(aws, "dedicated", "1.31"), _eks(aws, "dedicated", "1.33")) == (
        "EKS updates Kubernetes one minor version at a time (https://docs.aws.amazon.com/eks/latest/userguide/"
        "update-cluster.html): 1.31 -> 1.33 needs 1.32 first, each its own hop (`bp fleet upgrade plan` cuts them into waves)")
    for one_or_none in ("1.32", "1.31", "1.30"):  # one minor up, a patch or a (separately refused) downgrade
        assert eks_minor_jump(_eks(aws, "dedicated", "1.31"), _eks(aws, "dedicated", one_or_none)) is None, one_or_none
    for before, after in [(("dedicated", None), ("dedicated", "1.34")), (("dedicated", "1.31"), ("dedicated", None)),
                          (("shared", "1.31"), ("dedicated", "1.34")), (("dedicated", "1.31"), ("shared", "1.34")),
                          (("dedicated", "1.31"), ("none", "1.34"))]:
        assert eks_minor_jump(_eks(aws, *before), _eks(aws, *after)) is None, (before, after)
    vks = _stack(catalog, sites, target="vsphere", region=None, site="ny1")
    assert eks_minor_jump(_eks(vks, "dedicated", "1.31"), _eks(vks, "dedicated", "1.34")) is None


def test_the_library_rolls_out_with_the_same_defaults_as_the_cli():
    import inspect

    from cli.commands import fleet_upgrade
    from lifecycle.patch import plan_patch

    cli = inspect.signature(fleet_upgrade.plan).parameters
    envs, percent = fleet_upgrade.parse_waves(cli["waves"].default, cli["canary"].default)
    for planner in (rollout.plan_rollout, plan_patch):
        params = inspect.signature(planner).parameters
        assert (params["canary_percent"].default, params["accept_data_loss"].default) == (percent, False), planner
    assert inspect.signature(rollout.plan_rollout).parameters["envs"].default == envs
    named = [p.name for p in inspect.signature(rollout.plan_rollout).parameters.values() if p.kind is p.KEYWORD_ONLY]
    assert named[:3] == ["blueprint", "to", "envs"], "what to roll out, and how far, can only be named"


def test_a_version_move_cannot_be_changed_once_planned(catalog, sites):
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        rollout.VersionMove("web-service@2.1.0", catalog, sites).ref = "web-service@9.9.9"
    with pytest.raises(FrozenInstanceError):
        rollout.Scope(("dev",), False, SESSION_DAY, []).accept_data_loss = True


def test_each_stack_of_a_wave_is_checked_against_the_waves_earlier_moves_and_every_other_stack_once(repo, catalog,
                                                                                                  sites):
    replan = _fleet_plan(repo, catalog, sites)
    for team in ("abel", "charlie"):  # stacks outside the rollout, sorting before its stacks and after them
        stack_files.write_stack(repo, resolve(_vsphere(team, "vm-app@1.0.0"), catalog, sites, stack_files.read_all(repo)))
    plan = replan()
    seen = {}

    class Recording(rollout.VersionMove):
        def proposed(self, current, others, today):
            seen[current.name] = sorted((bp.stack, bp.blueprint_ref) for bp in others)
            return super().proposed(current, others, today)
    plan.move = Recording(plan.move.ref, catalog, sites)
    rollout.apply_wave(repo, plan, 1)
    outside = [("abel-dev", "vm-app@1.0.0")], [("charlie-dev", "vm-app@1.0.0")]
    assert seen == {
        "alpha-dev": [*outside[0], ("alpha-dev", "web-service@2.0.0"), ("bravo-dev", "web-service@2.0.0"), *outside[1]],
        "bravo-dev": [*outside[0], ("alpha-dev", "web-service@2.1.0"), ("bravo-dev", "web-service@2.0.0"), *outside[1]]}


def test_a_plan_is_its_waves_and_stacks_not_the_day_or_the_inputs_it_was_made_with(repo, catalog, sites):
    _fleet_plan(repo, catalog, sites)
    plans = [rollout.plan_rollout(repo, catalog, sites, blueprint="web-service", to="2.1.0", envs=("dev",), today=day)
             for day in (SESSION_DAY, SESSION_DAY + timedelta(days=1))]
    assert plans[0] == plans[1] and plans[0].today != plans[1].today
    shown = repr(plans[0])
    assert "alpha-dev" in shown and not any(word in shown for word in ("SitesMap", "Catalog", "VersionMove", "today",
                                                                       "Member(", "SharedDiffs"))


def test_the_pin_flags_of_a_proposed_upgrade_can_only_be_named(repo, catalog, sites, stamped):
    from lifecycle.upgrade import proposed_upgrade
    from store.change import Snapshot

    snap = Snapshot(repo)
    with pytest.raises(TypeError):
        proposed_upgrade(snap.existing("payments-dev"), "web-service@2.1.0", catalog, sites, snap.stacks(), True,
                         SESSION_DAY)


def test_a_wave_drops_an_expired_pin_and_says_so_but_never_unpins(repo, catalog, sites):
    replan = _fleet_plan(repo, catalog, sites)
    path = stack_files.stack_path(repo, "alpha-dev")
    path.write_text(pinned_text(path, Pin(reason="freeze", approver="lead@example.com",
                                          expires=SESSION_DAY - timedelta(days=1), version="web-service@2.0.0")))
    seen = {}
    rollout.apply_wave(repo, replan(), 1, confirm=lambda out: seen.update({n: o.after.notes for n, o in out.items()}))
    note = f"expired pin removed (was pinned at web-service@2.0.0 until {SESSION_DAY - timedelta(days=1)})"
    assert seen == {"alpha-dev": (note,), "bravo-dev": ()}
    assert read_pin(path) is None
