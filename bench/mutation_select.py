"""Per-mutant test selection: a mutant first meets only the tests that run the line it changes.

A module's tests run once under coverage with one context per test (`record`), giving for each line of the module
the tests that execute it. For each mutant, cosmic-ray's test command (`main`) finds the lines the mutant changed
against the recorded source and runs those tests first. If they fail the mutant is killed; if they pass, or the line
ran at import time, or no test ran it in this process (a pack or CLI the tests start as a subprocess may), the
module's whole test list runs as before. So a verdict is always the whole list's: a selected test that fails fails
in the whole list too, and every survivor has passed the whole list. Only the time to a kill changes.

    python -m bench.mutation_select MAP -- PYTEST_ARGS...   # the test command of one mutant (cwd: the mutated tree)
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

COVER = "BP_MUTATION_COVER"  # module path (relative to the tree) to record, set by `record`
MAP_OUT = "BP_MUTATION_MAP"  # where the plugin writes the line -> tests map
IMPORT_TIME = ""  # coverage's context before the first test starts: the module's top level, run at import
PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]


def changed_lines(original: list[str], mutated: list[str]) -> set[int]:
    """1-based lines of `original` the mutant replaced or removed (an insertion counts the line it follows)."""
    lines: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, original, mutated, autojunk=False).get_opcodes():
        if tag != "equal":
            lines.update(range(i1 + 1, i2 + 1) if i2 > i1 else [max(i1, 1)])
    return lines


def pick(lines_map: dict[str, list[str]], order: list[str], lines: set[int]) -> list[str] | None:
    """The tests that run the changed lines, in the recorded run order; None when the whole list must run."""
    picked: set[str] = set()
    for line in lines:
        tests = lines_map.get(str(line))
        if not tests or IMPORT_TIME in tests:
            return None
        picked.update(tests)
    return [t for t in order if t in picked] or None


def main(argv: list[str]) -> int:
    map_path, full = Path(argv[0]), argv[argv.index("--") + 1:]
    recorded = json.loads(map_path.read_text())
    mutated = Path(recorded["module"]).read_text().splitlines()
    chosen = pick(recorded["lines"], recorded["order"], changed_lines(recorded["source"].splitlines(), mutated))
    if chosen is not None:
        first = subprocess.run([sys.executable, *PYTEST, "-x", *chosen], check=False,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if first.returncode == 1:  # a selected test failed: the whole list would fail on it too
            return 1
    return subprocess.run([sys.executable, *PYTEST, *full], check=False).returncode


def record(tree: Path, module: str, tests: list[str], out: Path) -> bool:
    """Run the module's tests once under coverage in `tree`, writing the map for `main`. False if they fail."""
    plugin_home = Path(__file__).resolve().parent.parent  # the tree's own copy of bench comes first when it has one
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{plugin_home}", COVER: module, MAP_OUT: str(out)}
    run = subprocess.run([sys.executable, *PYTEST, "-p", "bench.mutation_select", *tests], cwd=tree, env=env,
                         capture_output=True, check=False)
    return run.returncode == 0 and out.exists()


# The pytest plugin `record` loads: coverage starts when pytest imports the plugin, before conftest files and
# collection import the module, so its top-level lines land in the import-time context.
if os.environ.get(COVER) and "pytest" in sys.modules:
    import coverage

    _target = str(Path(os.environ[COVER]).resolve())
    _cov = coverage.Coverage(data_file=None, include=[_target], branch=False)
    _cov.start()
    _order: list[str] = []

    def pytest_runtest_setup(item) -> None:
        _order.append(item.nodeid)
        _cov.switch_context(item.nodeid)

    def pytest_unconfigure(config) -> None:
        _cov.stop()
        data = _cov.get_data()
        by_line = data.contexts_by_lineno(_target) if _target in data.measured_files() else {}
        Path(os.environ[MAP_OUT]).write_text(json.dumps({
            "module": os.environ[COVER], "source": Path(_target).read_text(), "order": _order,
            "lines": {str(line): sorted(set(contexts)) for line, contexts in by_line.items()},
        }))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
