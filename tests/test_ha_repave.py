"""An HA stack's replicas (VMs in two data centers) are repaved a data center a wave, never two in one wave."""

from __future__ import annotations

from collections import Counter

from blueprints.placement.resolve import resolve
from blueprints.plan import plan
from lifecycle.patch import plan_patch
from lifecycle.repaves import repaves
from lifecycle.rollout import apply_wave
from store import stack_files
from tests.conftest import make_request
from tests.fleet_support import write_fleet


def _old_template(catalog, sites, team: str, ha: bool):
    bp = resolve(make_request(team=team, blueprint="vm-app", target="vsphere", size="S", region="emea",
                              parameters={"ha": ha}), catalog, sites)
    return bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"vm_template": "rhel-9-cis"})})


def test_a_held_data_center_keeps_its_template_in_the_build(catalog, sites):
    ha = _old_template(catalog, sites, "pay", True)
    first, second = (p.data_center for p in ha.placements)
    held = ha.model_copy(update={"decisions": ha.decisions.model_copy(
        update={"vm_template": "rhel-9-cis-2026.11", "vm_template_held": {second: "rhel-9-cis"}})})
    vms = plan(held).vm_pool
    assert (vms.template_at(first), vms.template_at(second)) == ("rhel-9-cis-2026.11", "rhel-9-cis")
    assert repaves(ha, held) == {first: ha.size.nodes}, "the first step repaves the first data center only"


def test_the_patch_takes_an_ha_stacks_data_centers_in_separate_waves(repo, catalog, sites):
    ha, single = _old_template(catalog, sites, "pay", True), _old_template(catalog, sites, "solo", False)
    write_fleet(repo, [ha, single])
    first, second = (p.data_center for p in ha.placements)
    patch = plan_patch(repo, catalog, sites, canary_percent=0, accept_data_loss=True)
    assert [(w.hop, w.stacks) for w in patch.waves] == [("", ("pay-dev", "solo-dev")), ("2nd data center", ("pay-dev",))]
    expected = Counter({first: ha.size.nodes}) + Counter({single.primary.data_center: single.size.nodes})
    assert patch.wave_repaves(patch.waves[0]) == dict(expected), "the HA stack's first data center only"
    assert patch.wave_repaves(patch.waves[1]) == {second: ha.size.nodes}, "the second step, planned ahead, its own"
    assert [(m.stack, m.hop, m.data_center, m.service) for m in patch.members] == [
        ("pay-dev", "", first, "pay-dev"), ("pay-dev", "2nd data center", second, "pay-dev"),
        ("solo-dev", "", single.primary.data_center, None)], \
        "each step of the HA stack is planned in the data center it repaves, as a replica of its service"
    apply_wave(repo, patch, 1)
    path = stack_files.stack_path(repo, "pay-dev")
    step = stack_files.read_stack(path)
    assert step.decisions.vm_template_held == {second: "rhel-9-cis"}, step.decisions
    solo = stack_files.read_stack(stack_files.stack_path(repo, "solo-dev")).decisions
    assert (solo.vm_template, solo.vm_template_held) == ("rhel-9-cis-2026.11", None), "one data center: no hold"
    again = plan_patch(repo, catalog, sites, canary_percent=0, accept_data_loss=True)
    assert [(w.hop, w.stacks) for w in again.waves] == [(w.hop, w.stacks) for w in patch.waves], "waves hold"
    assert again.applied(again.waves[0]) and again.wave_repaves(again.waves[1]) == {second: ha.size.nodes}
    apply_wave(repo, again, 2)
    done = stack_files.read_stack(path)
    assert done.decisions.vm_template_held is None and done.decisions.vm_template == "rhel-9-cis-2026.11"



def _ha(catalog, sites, **decisions):
    bp = resolve(make_request(team="pay", blueprint="vm-app", target="vsphere", size="S", region="emea",
                              parameters={"ha": True}), catalog, sites)
    return bp.model_copy(update={"decisions": bp.decisions.model_copy(update=decisions)})


def test_a_recalled_template_build_is_rolled_back_a_data_center_a_step_too(repo, catalog, sites):
    """The 2026.11 build withdrawn from the release line: today's template sorts before the recorded one and is
    still a change of template, taken one data center a step."""
    line = sites.releases.lines["rhel-9-cis"]
    lines = {**sites.releases.lines, "rhel-9-cis": line.model_copy(update={"releases": line.releases[:1]})}
    recalled = sites.model_copy(update={"releases": sites.releases.model_copy(update={"lines": lines})})
    write_fleet(repo, [_ha(catalog, sites)])
    patch = plan_patch(repo, catalog, recalled, canary_percent=0, accept_data_loss=True)
    assert [(w.hop, w.stacks) for w in patch.waves] == [("", ("pay-dev",)), ("2nd data center", ("pay-dev",))], patch.held
    second = _ha(catalog, sites).placements[1].data_center
    assert patch.upgrades["pay-dev"].after.decisions.vm_template_held == {second: "rhel-9-cis-2026.11"}


def test_an_ha_stack_whose_template_is_current_moves_in_one_step_with_no_hold(repo, catalog, sites):
    current = _ha(catalog, sites)
    write_fleet(repo, [_ha(catalog, sites, mhz_per_vcpu=current.decisions.mhz_per_vcpu + 100)])
    patch = plan_patch(repo, catalog, sites, canary_percent=0, accept_data_loss=True)
    assert patch.hops == ("",) and [w.stacks for w in patch.waves] == [("pay-dev",)], patch.held
    assert patch.upgrades["pay-dev"].after.decisions.vm_template_held is None


def test_operator_waves_hold_each_stack_once_so_no_stack_waits_on_itself(repo, catalog, sites):
    from fleet.operator import chained

    write_fleet(repo, [_old_template(catalog, sites, "pay", True), _old_template(catalog, sites, "solo", False)])
    patch = plan_patch(repo, catalog, sites, canary_percent=0, accept_data_loss=True)
    assert [w.stacks for w in patch.waves] == [("pay-dev", "solo-dev"), ("pay-dev",)], "pay-dev is in both steps"
    assert patch.once_each() == [("pay-dev", "solo-dev"), ()], "it goes where it moves next"
    stacks = [{"metadata": {"name": n}, "spec": {}} for n in ("pay-dev", "solo-dev")]
    assert all("prerequisites" not in s["spec"] for s in chained(stacks, [w for w in patch.once_each() if w]))
