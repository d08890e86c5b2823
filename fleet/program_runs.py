"""Running the programs of the stacks `bp validate` checks, as a `ProgramRun` for `invariants.check`.

Both ways give the findings of `engine.program_check` for each stack, so they report the same things:
- `on_workers`: every stack on the fleet runner's workers (one per core) with the same content-hash cache as
  `bp fleet preview`, so a stack whose inputs (file, catalog entry, sites map, code) did not change is not run again;
- `one_by_one`: each stack through the repository's engine server (started on first use, engine/server.py),
  else in this process: for a few named stacks, where starting workers costs more than the runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blueprints.errors import BadInput
from fleet.stamped import FleetFinding, ProgramRun

if TYPE_CHECKING:  # a stack answered by the engine server needs no model here (fleet/checked.py)
    from blueprints.sites import SitesMap


def _findings(stack: str, data: dict[str, Any]) -> list[FleetFinding]:
    """One stack's result (`engine.program_check.check_stack`) as findings; a stack that is bad input stops the check."""
    if "bad_input" in data:
        raise BadInput(data["bad_input"])
    if "findings" not in data:  # the process running it died (engine/zygote.py): the stack was not judged
        return [FleetFinding("program", (stack,), data.get("error", "the program run gave no result"))]
    return [FleetFinding(rule, (stack,), message) for rule, message in data["findings"]]


def _by_name(paths: list[Path]) -> dict[str, Path]:
    from store.stack_paths import stack_name

    return {stack_name(path): path for path in paths}


FEW = 8
"""At most this many stacks to run go one by one (through the warm server, else here): starting a worker per core, each
importing the SDKs (about a second of CPU), costs more than they take."""


def on_workers(repo: Path, sites: SitesMap, paths: list[Path], sites_file: Path | None = None,
               warn: Callable[[str], None] | None = None, jobs: int | None = None, cached: bool = True,
               few: int = FEW) -> ProgramRun:
    """Each stack's program on the fleet runner, those whose inputs did not change from the cache; `few` or fewer to
    run go one by one. `paths` are the stack files of the stacks it may be asked about."""
    files = _by_name(paths)

    def run(stacks: list[str]) -> list[FleetFinding]:
        from engine.cache import fleet_cache

        cache = fleet_cache(repo, sites, "validate") if cached else None
        found, todo = [], []
        for stack in stacks:
            hit = cache.get(cache.key(files[stack])) if cache else None
            if hit is None:
                todo.append(stack)
            else:
                found += _findings(stack, hit)
        if len(todo) <= few:
            for stack in todo:
                data = _run_one(repo, lambda: sites, files[stack], sites_file, warn)
                if cache:
                    cache.put(cache.key(files[stack]), data)
                found += _findings(stack, data)
            return found
        from engine.fleet import default_jobs, run_fleet  # only now: it imports the SDKs
        from engine.program_check import check_program

        todo_files = [files[stack] for stack in todo]
        return found + [f for result in run_fleet(repo, todo_files, sites, check_program, cache, jobs or default_jobs())
                        for f in _findings(result.stack, result.data)]
    return run


def _run_one(repo: Path, sites: Callable[[], SitesMap], path: Path, sites_file: Path | None,
             warn: Callable[[str], None] | None) -> dict[str, Any]:
    """One stack's result from the engine server (started if allowed), else run here (reading the file and `sites()`
    only then: the server reads them itself)."""
    from engine import server

    served = server.served_check(repo, str(path), sites_file, warn)
    if served is not None:
        return served
    from engine.program_check import check_stack
    from store.stack_files import read_stack

    return check_stack(repo, read_stack(path), sites())


def one_by_one(repo: Path, sites: SitesMap | None, paths: list[Path], sites_file: Path | None,
               warn: Callable[[str], None] | None = None) -> ProgramRun:
    """Each stack's program through the engine server when one answers (or starts), else here.

    `sites_file` is the sites map option as given (the server reads it itself; so does this process, when `sites` is
    None and a program must run here); `warn` hears why a server was not used.
    """
    files = _by_name(paths)

    @functools.cache
    def in_force() -> SitesMap:
        from blueprints.sites import load_sites  # only when a program runs here

        return sites if sites is not None else load_sites(sites_file)

    return lambda stacks: [f for stack in stacks
                           for f in _findings(stack, _run_one(repo, in_force, files[stack], sites_file, warn))]
