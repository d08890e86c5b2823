"""A fleet read again parses only the files whose bytes changed (store/stack_data.py), and reads exactly as before."""

from __future__ import annotations

import os
from datetime import date

import pytest

from blueprints import yaml_io
from fleet.stamped import load_fleet
from store import stack_data, stack_files
from tests.fleet_support import MIX_WITH_OLD, stamp_fleet, write_fleet


def _as_read(repo, catalog, sites):
    fleet = load_fleet(repo, catalog, sites)
    return fleet.stacks, fleet.pins, [(name, str(exc)) for name, exc in fleet.unreadable]


@pytest.fixture
def fleet(repo, catalog, sites):
    stacks = stamp_fleet(catalog, sites, 8, MIX_WITH_OLD)
    write_fleet(repo, stacks)
    return [bp.stack for bp in stacks]


@pytest.fixture
def parsed(monkeypatch):
    """The files `yaml_io.load_data` parses from now on, by name."""
    seen = []

    def counting(path):
        seen.append(path.name)
        return real(path)

    real = yaml_io.load_data
    monkeypatch.setattr(stack_data.yaml_io, "load_data", counting)
    return seen


def test_a_fleet_read_again_is_the_same_and_parses_nothing(repo, catalog, sites, fleet, parsed):
    first = _as_read(repo, catalog, sites)
    assert len(parsed) == len(fleet)
    parsed.clear()
    assert _as_read(repo, catalog, sites) == first
    assert parsed == []
    (repo / stack_data.KEPT).unlink()
    assert _as_read(repo, catalog, sites) == first and len(parsed) == len(fleet)


def test_a_file_changed_under_the_same_date_is_read_again(repo, catalog, sites, fleet, parsed):
    _as_read(repo, catalog, sites)
    path = stack_files.stack_path(repo, fleet[0])
    stat = path.stat()
    path.write_text(path.read_text().replace("owner: team", "owner: other"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    parsed.clear()
    stacks, _, _ = _as_read(repo, catalog, sites)
    assert parsed == [path.name]
    assert stacks[0].request.owner.startswith("other"), stacks[0].request.owner


def test_a_broken_file_says_so_every_time_and_is_never_kept(repo, catalog, sites, fleet, parsed):
    path = stack_files.stack_path(repo, fleet[1])
    path.write_text("config: [not closed\n")
    first = _as_read(repo, catalog, sites)
    assert [name for name, _ in first[2]] == [fleet[1]], first[2]
    parsed.clear()
    assert _as_read(repo, catalog, sites) == first
    assert parsed == [path.name]


def test_another_reader_or_a_damaged_cache_reads_everything(repo, catalog, sites, fleet, parsed, monkeypatch):
    first = _as_read(repo, catalog, sites)
    (repo / stack_data.KEPT).write_text("{not json")
    parsed.clear()
    assert _as_read(repo, catalog, sites) == first and len(parsed) == len(fleet)
    monkeypatch.setattr(stack_data, "_reader", lambda: "another yaml_io")
    parsed.clear()
    assert _as_read(repo, catalog, sites) == first and len(parsed) == len(fleet)


@pytest.mark.parametrize("value, plain", [
    ({"a": [1, 2.5, True, None, "x"]}, True), ({1: "a"}, False), ({"a": (1, 2)}, False),
    ({"a": date(2027, 1, 1)}, False), ({"a": [{"b": {"c": "d"}}]}, True),
])
def test_only_data_json_gives_back_as_it_is_is_kept(value, plain):
    assert stack_data._plain(value) is plain


def test_a_few_edited_files_are_parsed_each_time_until_rewriting_pays(repo, catalog, sites, fleet, parsed, monkeypatch):
    first = _as_read(repo, catalog, sites)
    kept = (repo / stack_data.KEPT).read_text()
    monkeypatch.setattr(stack_data, "REWRITE", 0.25)  # two of eight
    paths = [stack_files.stack_path(repo, name) for name in fleet[:3]]
    for path in paths[:2]:
        path.write_text(path.read_text() + "# reviewed\n")
    for _ in range(2):
        parsed.clear()
        assert _as_read(repo, catalog, sites) == first
        assert sorted(parsed) == sorted(p.name for p in paths[:2]) and (repo / stack_data.KEPT).read_text() == kept
    paths[2].write_text(paths[2].read_text() + "# reviewed\n")
    _as_read(repo, catalog, sites)
    parsed.clear()
    assert _as_read(repo, catalog, sites) == first and parsed == []
