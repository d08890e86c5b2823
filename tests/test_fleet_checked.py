"""`bp validate STACK` from the fleet check's cache (fleet/checked.py): exactly what `check` gives the named stacks,
read the way it always was, whatever changed around them between two runs; and nothing read again when nothing did."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from blueprints.errors import BadInput
from blueprints.sites import load_sites
from fleet import checked
from fleet.invariants import Scope, check
from fleet.stamped import load_fleet
from store import stack_files
from store.file_swap import KEPT
from tests.fleet_support import MIX_WITH_OLD, scaled_sites, stamp_fleet, write_fleet


def _as_read(repo, catalog, sites, names):
    """What `bp validate NAMES` found before the cache: the whole fleet read, the named stacks read, then `check`."""
    chosen = stack_files.read_named(repo, names)
    scope = Scope(chosen, frozenset(bp.stack for bp in chosen))
    return [f.as_json() for f in check(load_fleet(repo, catalog, sites), scope)]


def _cached(repo, names, sites_file=None):
    return [f.as_json() for f in checked.named(repo, names, sites_file).found]


def _same(repo, catalog, sites, names, sites_file=None):
    """The cached answer, once asserted equal to the answer of reading everything."""
    found = _cached(repo, names, sites_file)
    assert found == _as_read(repo, catalog, sites, names), names
    return found


@pytest.fixture
def fleet(repo, catalog, sites):
    """Twelve stacks of the fleet's mix, some on a deprecated version; the last two share a network."""
    stacks = stamp_fleet(catalog, sites, 12, MIX_WITH_OLD)
    a, b = [bp for bp in stacks if bp.primary.network][-2:]
    placement = b.placements[0].model_copy(update={"network": a.placements[0].network})
    write_fleet(repo, stacks)
    stack_files.write_stack(repo, b.model_copy(update={"placements": (placement, *b.placements[1:])}), force=True)
    return [bp.stack for bp in stacks], a.stack, b.stack


@pytest.fixture
def unread(monkeypatch):
    """Fail the test if the fleet is read again (the cache was not used)."""
    def refuse(*args):
        raise AssertionError("the fleet was read again")

    return lambda: monkeypatch.setattr(checked, "_read_fleet", refuse)


def test_every_stack_gets_what_check_gives_it_and_the_second_ask_reads_nothing(repo, catalog, sites, fleet, unread):
    names, a, b = fleet
    first = {name: _same(repo, catalog, sites, [name]) for name in names}
    assert {f["rule"] for found in first.values() for f in found} >= {"network-overlap", "stack", "hand-edited"}
    unread()
    assert {name: _cached(repo, [name]) for name in names} == first
    assert _same(repo, catalog, sites, [b, a]) == _as_read(repo, catalog, sites, [a, b])


def test_a_neighbour_changed_between_two_runs_is_seen(repo, catalog, sites, fleet):
    names, a, b = fleet
    assert any(f["rule"] == "network-overlap" for f in _same(repo, catalog, sites, [a]))
    apart = stack_files.read_stack(stack_files.stack_path(repo, names[0]))
    moved = stack_files.read_stack(stack_files.stack_path(repo, b))
    placement = moved.placements[0].model_copy(update={"network": apart.placements[0].network})
    stack_files.write_stack(repo, moved.model_copy(update={"placements": (placement, *moved.placements[1:])}), force=True)
    found = _same(repo, catalog, sites, [a])
    assert not any(f["rule"] == "network-overlap" for f in found), found
    assert any(f["rule"] == "network-overlap" for f in _same(repo, catalog, sites, [names[0]]))


def test_a_corrupt_neighbour_and_a_deleted_one(repo, catalog, sites, fleet):
    names, a, b = fleet
    ledger = stack_files.stacks_dir(repo) / "allocations.txt"
    ledger.write_text("".join(line for line in ledger.read_text().splitlines(True) if f" {a}" not in line))
    assert any(f["rule"] == "ledger" for f in _same(repo, catalog, sites, [a]))
    stack_files.stack_path(repo, names[0]).write_text("config: [not closed\n")
    found = _same(repo, catalog, sites, [a])
    assert not any(f["rule"] == "ledger" for f in found), found  # judged only when every file reads
    stack_files.stack_path(repo, names[0]).unlink()
    stack_files.stack_path(repo, b).unlink()
    found = _same(repo, catalog, sites, [a])
    assert not any(f["rule"] == "network-overlap" for f in found), found


def test_a_named_file_that_does_not_read_says_so_every_time(repo, catalog, sites, fleet):
    names, a, _ = fleet
    path = stack_files.stack_path(repo, a)
    path.write_text(path.read_text().replace("owner: team", "owner: [not an address"))
    with pytest.raises(BadInput) as before:
        stack_files.read_named(repo, [a])
    for _ in range(2):
        with pytest.raises(BadInput) as now:
            checked.named(repo, [names[0], a], None)
        assert str(now.value) == str(before.value)
    with pytest.raises(BadInput, match="STACKS"):
        checked.named(repo, [names[0], names[0]], None)
    with pytest.raises(BadInput, match="no stack 'nobody-dev'"):
        checked.named(repo, ["nobody-dev"], None)


def test_the_day_the_sites_map_and_a_killed_change_are_inputs(repo, catalog, sites, fleet, monkeypatch, tmp_path):
    names, a, _ = fleet
    today = _same(repo, catalog, sites, [names[3]])  # a data platform on RDS, past its support some day
    monkeypatch.setenv("BP_TODAY", "2031-01-01")
    later = _same(repo, catalog, sites, [names[3]])
    assert later != today, today
    monkeypatch.setenv("BP_TODAY", "2026-12-05")
    small = scaled_sites(tmp_path / "small.yaml", 6000)  # a vCPU or two a pool
    found = _same(repo, catalog, load_sites(small), [a], small)
    assert any(f["rule"] == "pool-overcommitted" for f in found), found
    kept = stack_files.stacks_dir(repo) / f".Pulumi.{a}.yaml.{_dead_pid()}{KEPT}"
    shutil.copy(stack_files.stack_path(repo, a), kept)
    found = _same(repo, catalog, sites, [a])
    assert any(f["rule"] == "interrupted-change" for f in found), found


def test_a_change_killed_after_the_last_run_is_seen(repo, catalog, sites, fleet):
    _, a, _ = fleet
    writer = subprocess.Popen(["sleep", "60"])  # a change still swapping files in: its kept old text is no finding
    kept = stack_files.stacks_dir(repo) / f".Pulumi.{a}.yaml.{writer.pid}{KEPT}"
    shutil.copy(stack_files.stack_path(repo, a), kept)
    assert not any(f["rule"] == "interrupted-change" for f in _same(repo, catalog, sites, [a]))
    writer.kill()
    writer.wait()
    assert any(f["rule"] == "interrupted-change" for f in _same(repo, catalog, sites, [a]))


def _dead_pid() -> int:
    pid = 2**22 - 1
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


def test_a_stack_file_outside_the_repository_is_read_as_before(repo, catalog, sites, fleet, tmp_path):
    _, a, _ = fleet
    outside = tmp_path / "elsewhere" / f"Pulumi.{a}.yaml"
    outside.parent.mkdir()
    shutil.copy(stack_files.stack_path(repo, a), outside)
    stack_files.stack_path(repo, a).unlink()
    _same(repo, catalog, sites, [str(outside)])
    assert not (repo / checked.KEPT).exists()  # nothing kept for a fleet the cache does not describe


def test_only_the_cache_folder_is_written(repo, catalog, sites, fleet):
    _, a, _ = fleet
    before = sorted(str(p.relative_to(repo)) for p in repo.rglob("*"))
    _same(repo, catalog, sites, [a])
    after = sorted(str(p.relative_to(repo)) for p in repo.rglob("*"))
    new = set(after) - set(before)
    assert {p.split("/")[0] for p in new} == {".bp-cache"} and str(checked.KEPT) in new, new
    assert json.loads((repo / checked.KEPT).read_text())["digest"] == checked.inputs_digest(repo, None, _day())


def _day():
    from blueprints import clock

    return clock.today()


def test_a_kept_file_that_is_not_what_was_written_is_checked_again(repo, catalog, sites, fleet):
    _, a, _ = fleet
    kept = repo / checked.KEPT
    for text in ("{not json", json.dumps({"digest": checked.inputs_digest(repo, None, _day()), "found": 3})):
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(text)
        assert any(f["rule"] == "network-overlap" for f in _same(repo, catalog, sites, [a]))


def test_what_cannot_be_read_is_said_as_before(repo, catalog, sites, fleet, monkeypatch, tmp_path):
    _, a, _ = fleet
    (stack_files.stacks_dir(repo) / "Pulumi.folder-dev.yaml").mkdir()  # listed as a stack file; reads as none
    _same(repo, catalog, sites, [a])
    with pytest.raises(BadInput) as before:
        stack_files.read_named(repo, ["folder-dev"])
    with pytest.raises(BadInput) as now:
        checked.named(repo, ["folder-dev"], None)
    assert str(now.value) == str(before.value)
    monkeypatch.setenv("BP_SITES", str(tmp_path / "missing.yaml"))
    with pytest.raises(BadInput) as before:
        load_sites()
    with pytest.raises(BadInput) as now:
        checked.named(repo, [a], None)
    assert str(now.value) == str(before.value)


def test_a_repository_copied_with_its_cache_is_checked_again(repo, fleet, tmp_path_factory):
    """A finding may name its file; a byte-for-byte copy elsewhere must not be told the original's paths."""
    copy = tmp_path_factory.mktemp("elsewhere") / "repo"
    shutil.copytree(repo, copy)
    assert checked.inputs_digest(copy, None, _day()) != checked.inputs_digest(repo, None, _day())
