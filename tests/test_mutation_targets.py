"""`make mutate`'s inputs stay true to the tree: every module and test file it names exists (a folder move that
forgets bench/mutation_targets.toml fails here, not hours into a mutation run), and it reads cosmic-ray's diffs."""

from __future__ import annotations

import tomllib

from bench import mutation
from tests.conftest import ROOT


def test_every_module_and_test_file_of_the_targets_exists():
    settings, modules = mutation.targets()
    assert settings["budget_seconds"] > 0 and settings["timeout_seconds"] > 0
    missing = [m for m in modules if not (ROOT / m).is_file()]
    missing += [t for spec in modules.values() for t in spec["tests"] if not (ROOT / t).is_file()]
    assert missing == [], missing


def test_every_equivalent_mutant_names_a_target_module_and_a_reason():
    _, modules = mutation.targets()
    entries = tomllib.loads(mutation.EQUIVALENT.read_text())["equivalent"]
    assert [e for e in entries if e["module"] not in modules or len(e["reason"]) < 20 or not e["mutant"].strip()] == []
    assert len(mutation.equivalents()) == len(entries), "two entries for one mutant"


def test_the_mutated_line_is_read_from_cosmic_rays_diff():
    diff = ("--- mutation diff ---\n--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n def f(x):\n"
            "-    return x < 1\n+    return x <= 1\n")
    assert mutation.mutated_line(diff) == "return x <= 1"
    assert mutation.mutated_line("--- a/m.py\n+++ b/m.py\n-@property\n") == "without @property"
    assert mutation.mutated_line("--- a/m.py\n+++ b/m.py\n-\n-@rule(\n-    'a',\n-)\n def f():\n") == "without @rule( / 'a', / )"
    assert mutation.mutated_line(None) == ""
    last_line = "--- a/m.py\n+++ b/m.py\n-return x < 1\n\\ No newline at end of file\n+return x <= 1\n+\n"
    assert mutation.mutated_line(last_line) == "return x <= 1"


def test_a_module_slug_is_a_file_name():
    assert mutation.slug("blueprints/placement/place.py") == "blueprints__placement__place"


def test_a_module_measured_elsewhere_keeps_its_row_and_survivors_from_the_earlier_report():
    text = ("Written by `x` on 2026-12-05 05:02 UTC (cosmic-ray ...\n\n| module | mutants |\n|---|---:|\n"
            "| `store/lock.py` | 32 | 28 | 4 | 2 | 2 | 0 | 0 | 93% |\n"
            "| `lifecycle/waves.py` | 61 | 57 | 0 | 0 | 4 | 0 | 0 | 100% | 2026-12-05 04:10 |\n\n"
            "- `store/lock.py:22` core/NumberReplacer → `TIMEOUT_SECONDS = 61.0` (survived)\n"
            "- `lifecycle/waves.py:51` core/X → `y` (equivalent: because)\n")
    kept = mutation.earlier(text)
    assert kept["store/lock.py"] == ("| `store/lock.py` | 32 | 28 | 4 | 2 | 2 | 0 | 0 | 93% | 2026-12-05 05:02 |",
                                     ["- `store/lock.py:22` core/NumberReplacer → `TIMEOUT_SECONDS = 61.0` (survived)"])
    assert kept["lifecycle/waves.py"][0].endswith("| 100% | 2026-12-05 04:10 |")
    assert mutation.earlier("no report here") == {}
