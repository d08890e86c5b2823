"""Per-mutant test selection (bench/mutation_select.py): it may only change how fast a mutant is killed, never the
verdict, so every doubt (a top-level line, a line no test ran in-process) falls back to the whole test list."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.mutation_select import IMPORT_TIME, changed_lines, pick, record
from tests.conftest import ROOT

SOURCE = ["def f(x):", "    if x > 1:", "        return 1", "    return 0"]


def test_the_lines_a_mutant_changes_are_read_against_the_recorded_source():
    assert changed_lines(SOURCE, [SOURCE[0], "    if x >= 1:", *SOURCE[2:]]) == {2}
    assert changed_lines(SOURCE, [*SOURCE[:3], "    return 0", ""]) == {4}  # cosmic-ray's added last newline
    assert changed_lines(SOURCE, SOURCE[:2] + SOURCE[3:]) == {3}
    assert changed_lines(SOURCE, [*SOURCE[:2], "        pass", *SOURCE[2:]]) == {2}


def test_only_the_tests_that_ran_every_changed_line_are_picked_in_run_order():
    lines = {"2": ["t::b", "t::a"], "3": ["t::a"], "1": [IMPORT_TIME]}
    order = ["t::a", "t::b", "t::c"]
    assert pick(lines, order, {3}) == ["t::a"]
    assert pick(lines, order, {2, 3}) == ["t::a", "t::b"]


def test_a_top_level_line_or_one_no_test_ran_falls_back_to_the_whole_list():
    lines = {"2": ["t::a"], "1": [IMPORT_TIME]}
    assert pick(lines, ["t::a"], {1}) is None
    assert pick(lines, ["t::a"], {4}) is None
    assert pick(lines, ["t::a"], {2, 4}) is None


def test_a_recorded_map_names_the_tests_that_run_each_line(tmp_path):
    (tmp_path / "mod.py").write_text("def f(x):\n    if x > 1:\n        return 1\n    return 0\n")
    (tmp_path / "test_mod.py").write_text("import mod\n\ndef test_big():\n    assert mod.f(2) == 1\n\n"
                                          "def test_small():\n    assert mod.f(0) == 0\n")
    out = tmp_path / "map.json"
    assert record(tmp_path, "mod.py", ["test_mod.py"], out)
    recorded = json.loads(out.read_text())
    assert recorded["order"] == ["test_mod.py::test_big", "test_mod.py::test_small"]
    assert recorded["lines"]["3"] == ["test_mod.py::test_big"]
    assert recorded["lines"]["4"] == ["test_mod.py::test_small"]
    assert recorded["lines"]["1"] == [IMPORT_TIME]


def test_a_mutant_that_survives_its_picked_tests_still_meets_the_whole_list(tmp_path):
    (tmp_path / "mod.py").write_text("def f(x):\n    return x\n")
    (tmp_path / "test_mod.py").write_text("import mod\n\ndef test_f():\n    assert mod.f(2) == 2\n")
    (tmp_path / "test_other.py").write_text(f"import subprocess, sys\n\ndef test_in_a_subprocess():\n"
                                            f"    assert subprocess.run([sys.executable, '-c', 'import mod; "
                                            f"assert mod.f(3) == 3'], cwd={str(tmp_path)!r}).returncode == 0\n")
    out = tmp_path / "map.json"
    assert record(tmp_path, "mod.py", ["test_mod.py", "test_other.py"], out)
    (tmp_path / "mod.py").write_text("def f(x):\n    return 2\n")  # test_f passes; only the subprocess test fails
    command = [sys.executable, "-m", "bench.mutation_select", str(out), "--", "-x", "test_mod.py", "test_other.py"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False,
                         env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert run.returncode == 1
