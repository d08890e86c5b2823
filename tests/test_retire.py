"""`bp retire`: marks the stack file; capacity and networks are freed only when the file is gone."""

from __future__ import annotations

import json
from datetime import date

import pytest

from blueprints import clock
from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from fleet.invariants import check
from fleet.stamped import load_fleet
from lifecycle.retire import retire
from store import stack_files
from tests.conftest import make_request
from tests.fleet_support import write_fleet

NEW = ("-b", "vm-app", "-e", "prod", "--site", "ldn1", "--owner", "a@b.cd", "--cost-center", "CC-1")


def _placement(bp, team):
    result = bp("new", team, *NEW, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["placements"][0]


def test_retire_marks_the_stack_file_once(bp, repo):
    _placement(bp, "old")
    result = bp("retire", "old-prod", "--reason", "moved to new-prod", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changed"] is True
    marked = stack_files.read_stack(stack_files.stack_path(repo, "old-prod"))
    assert marked.retired and marked.retirement.reason == "moved to new-prod"
    again = bp("retire", "old-prod", "--reason", "other", "--json")
    assert json.loads(again.stdout)["changed"] is False
    assert stack_files.read_stack(stack_files.stack_path(repo, "old-prod")).retirement == marked.retirement


def test_re_stamping_a_retired_stack_keeps_it_retired(bp, repo):
    _placement(bp, "old")
    bp("retire", "old-prod", "--reason", "moved to new-prod")
    marked = stack_files.read_stack(stack_files.stack_path(repo, "old-prod")).retirement
    result = bp("new", "old", *NEW, "--force", "--cost-center", "CC-2")
    assert result.exit_code == 0, result.output
    restamped = stack_files.read_stack(stack_files.stack_path(repo, "old-prod"))
    assert restamped.retirement == marked and restamped.request.cost_center == "CC-2"


def test_a_retired_stack_keeps_its_network_and_vlan_until_its_file_is_deleted(bp, repo):
    old = _placement(bp, "old")
    bp("retire", "old-prod", "--reason", "decommissioned")
    while_deployed = _placement(bp, "next")
    assert while_deployed["network"]["cidr"] != old["network"]["cidr"]
    assert while_deployed["network"]["vlan"] != old["network"]["vlan"]

    stack_files.stack_path(repo, "old-prod").unlink()
    after = _placement(bp, "later")
    assert after["network"] == old["network"], "once the file is gone its network and VLAN are free again"


def test_a_retired_stack_still_counts_against_its_pool(bp, repo, catalog, sites):
    _placement(bp, "old")
    bp("retire", "old-prod", "--reason", "decommissioned")
    fleet = load_fleet(repo, catalog, sites)
    from fleet.report import build

    pool = next(p for p in build(fleet).pools if p.name == "ldn1-prod")
    assert pool.stacks == 1 and pool.vcpu == catalog.get("vm-app").sizes["M"].vcpu


def test_fleet_check_drops_a_retired_stacks_deprecation_warning_but_not_its_errors(bp, repo, catalog, sites):
    args = ("-b", "web-service@1.0.0", "-e", "dev", "--region", "amer", "--owner", "a@b.cd", "--cost-center", "CC-1")
    assert bp("new", "legacy", *args).exit_code == 0
    assert any("deprecated" in f.message for f in check(load_fleet(repo, catalog, sites)))
    bp("retire", "legacy-dev", "--reason", "moving to web-service 2")
    assert check(load_fleet(repo, catalog, sites)) == []

    path = stack_files.stack_path(repo, "legacy-dev")
    path.write_text(path.read_text().replace("web-service@1.0.0", "web-service@9.9.9"))
    found = check(load_fleet(repo, catalog, sites))
    assert [f.stacks for f in found if f.error] == [("legacy-dev",)], found


def test_retiring_an_unknown_stack_is_bad_input(bp):
    result = bp("retire", "ghost-dev", "--reason", "x")
    assert result.exit_code == 2 and "no stack 'ghost-dev'" in result.output


def test_the_library_refuses_a_blank_reason_and_keeps_the_reason_trimmed_and_the_day(repo, catalog, sites):
    write_fleet(repo, [resolve(make_request(team="old", env="prod"), catalog, sites)])
    path = stack_files.stack_path(repo, "old-prod")
    before = path.read_text()
    with pytest.raises(BadInput, match=r"^--reason: say why the stack is retired$"):
        retire(repo, "old-prod", " \t ")
    assert path.read_text() == before, "nothing written"
    seen = []
    marked, changed = retire(repo, "old-prod", "  moved to new-prod ", date(2026, 3, 1),
                             confirm=lambda stack, new: seen.append((stack.retirement, new, path.read_text() == before)))
    assert (marked.retirement.since, marked.retirement.reason, changed) == (date(2026, 3, 1), "moved to new-prod", True)
    assert seen == [(marked.retirement, True, True)], "confirm sees the mark before the file changes"
    assert stack_files.read_stack(path).retirement == marked.retirement


def test_a_retirement_without_a_day_is_dated_by_the_clock(repo, catalog, sites):
    write_fleet(repo, [resolve(make_request(team="old", env="prod"), catalog, sites)])
    assert retire(repo, "old-prod", "gone")[0].retirement.since == clock.today()
