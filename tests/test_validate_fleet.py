"""`bp validate --all` on the fleet runner: the findings of running each program one after another, on all cores,
with a content-hash cache (an unchanged stack is not run again), and `--no-run` for the checks alone."""

from __future__ import annotations

import json

import pytest

from blueprints.errors import BadInput
from engine import program_check
from engine.cache import fleet_cache
from fleet import program_runs
from fleet.invariants import Scope, check
from fleet.stamped import load_fleet
from store import stack_files
from tests.conftest import ROOT
from tests.fleet_support import stamp_fleet, write_fleet

BAD_OWNER = ("owner: team", "owner: o'brien")  # a tag value AWS refuses: the program run finds it (rule `program`)


def _findings(repo, catalog, sites, run):
    fleet = load_fleet(repo, catalog, sites)
    return [f.as_json() for f in check(fleet, Scope(fleet.stacks), run=run)]


def _one_after_another(repo, sites):
    """Today's path for a few stacks: each program in this process (the tests start no server)."""
    return program_runs.one_by_one(repo, sites, stack_files.list_stack_files(repo), None)


def _on_workers(repo, sites, **options):
    return program_runs.on_workers(repo, sites, stack_files.list_stack_files(repo), jobs=2, few=0, **options)


@pytest.fixture
def fleet(repo, catalog, sites):
    """Twelve stacks of the fleet's mix; two AWS ones with an owner a provider refuses, one overlapping another."""
    stacks = stamp_fleet(catalog, sites, 12)
    write_fleet(repo, stacks)
    for bp in [bp for bp in stacks if bp.request.target == "aws"][:2]:
        path = stack_files.stack_path(repo, bp.stack)
        path.write_text(path.read_text().replace(*BAD_OWNER))
    networked = [bp for bp in stacks if bp.primary.network]
    a, b = networked[-2:]
    placement = b.placements[0].model_copy(update={"network": a.placements[0].network})
    stack_files.write_stack(repo, b.model_copy(update={"placements": (placement, *b.placements[1:])}), force=True)
    return repo


def test_workers_find_what_one_program_after_another_finds_on_a_generated_fleet(fleet, catalog, sites):
    one = _findings(fleet, catalog, sites, _one_after_another(fleet, sites))
    assert {f["rule"] for f in one} >= {"program", "network-overlap"}, one
    assert len({tuple(f["stacks"]) for f in one if f["rule"] == "program"}) == 2, one
    assert _findings(fleet, catalog, sites, _on_workers(fleet, sites, cached=False)) == one


def test_workers_find_what_one_program_after_another_finds_on_the_repositorys_stacks(catalog, sites):
    one = _findings(ROOT, catalog, sites, _one_after_another(ROOT, sites))
    assert _findings(ROOT, catalog, sites, _on_workers(ROOT, sites, cached=False)) == one


@pytest.fixture
def runs(monkeypatch):
    """The stacks whose program runs in this process."""
    ran: list[str] = []
    real = program_check.check_stack

    def counted(repo, bp, sites):
        ran.append(bp.stack)
        return real(repo, bp, sites)
    monkeypatch.setattr(program_check, "check_stack", counted)
    return ran


def _validate(bp, *args):
    result = bp("validate", "--all", "--json", *args)
    return result.exit_code, sorted((f["stack"], f["rule"], f["message"]) for f in json.loads(result.stdout)["findings"])


def test_an_unchanged_stack_is_not_run_again_and_a_changed_one_is(bp, repo, catalog, sites, runs):
    stacks = stamp_fleet(catalog, sites, 3)
    write_fleet(repo, stacks)
    first = _validate(bp)
    assert sorted(runs) == sorted(s.stack for s in stacks) and first[0] == 0, first
    runs.clear()
    assert _validate(bp) == first and runs == []
    aws = next(s for s in stacks if s.request.target == "aws")
    path = stack_files.stack_path(repo, aws.stack)
    path.write_text(path.read_text().replace(*BAD_OWNER))
    code, found = _validate(bp)
    assert runs == [aws.stack] and code == 1
    assert any(stack == aws.stack and rule == "program" and "o'brien" in message for stack, rule, message in found)
    runs.clear()
    assert _validate(bp, "--no-cache") == (code, found) and sorted(runs) == sorted(s.stack for s in stacks)


def test_no_run_checks_alone(bp, repo, catalog, sites, runs):
    stacks = stamp_fleet(catalog, sites, 2)
    write_fleet(repo, stacks)
    path = stack_files.stack_path(repo, stacks[0].stack)
    path.write_text(path.read_text().replace(*BAD_OWNER))
    code, found = _validate(bp, "--no-run")
    assert runs == [] and not any(rule == "program" for _, rule, _ in found)
    assert bp("validate", stacks[0].stack, "--no-run").exit_code == code


def test_a_stacks_validate_key_covers_its_file_sites_map_and_code(repo, catalog, sites, monkeypatch):
    """(and its catalog entry: the key is `bp fleet preview`'s, tests/test_fleet_preview.py)"""
    write_fleet(repo, stamp_fleet(catalog, sites, 1))
    [path] = stack_files.list_stack_files(repo)
    key = fleet_cache(repo, sites, "validate").key(path)
    assert fleet_cache(repo, sites, "preview").key(path) != key
    moved = sites.model_copy(update={"regions": sites.regions[1:]})
    assert fleet_cache(repo, moved, "validate").key(path) != key
    monkeypatch.setattr("engine.cache.code_fingerprint", lambda repo, sites, name: "other code")
    assert fleet_cache(repo, sites, "validate").key(path) != key
    monkeypatch.undo()
    path.write_text(path.read_text() + "\n")
    assert fleet_cache(repo, sites, "validate").key(path) != key


def test_a_stack_whose_run_died_is_an_error_naming_it_and_a_bad_one_is_bad_input():
    died = {"ok": False, "error": "the process running this stack died; run it alone with bp preview", "transient": True}
    [finding] = program_runs._findings("shop-dev", died)
    assert finding.error and finding.stacks == ("shop-dev",) and "died" in finding.message
    with pytest.raises(BadInput, match="line 3"):
        program_runs._findings("shop-dev", {"ok": False, "error": "x", "bad_input": "Pulumi.shop-dev.yaml:3: line 3"})
