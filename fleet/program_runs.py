"""Running the programs of the stacks `bp validate` checks, as a `ProgramRun` for `invariants.check`.

Both ways give the findings of `engine.program_check` for each stack, so they report the same things:
- `on_workers`: every stack on the fleet runner's workers (one per core) with the same content-hash cache as
  `bp fleet preview`, so a stack whose inputs (file, catalog entry, sites map, code) did not change is not run again;
- `one_by_one`: each stack through the repository's engine server (started on first use, engine/server.py),
  else in this process: for a few named stacks, where starting workers costs more than the runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from blueprints.errors import BadInput
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from fleet.invariants import ProgramRun
from fleet.stamped import FleetFinding


def _findings(stack: str, data: dict[str, Any]) -> list[FleetFinding]:
    """One stack's result (`engine.program_check.check_stack`) as findings; a stack that is bad input stops the check."""
    if "bad_input" in data:
        raise BadInput(data["bad_input"])
    if "findings" not in data:  # the process running it died (engine/zygote.py): the stack was not judged
        return [FleetFinding("program", (stack,), data.get("error", "the program run gave no result"))]
    return [FleetFinding(rule, (stack,), message) for rule, message in data["findings"]]


def _by_name(paths: list[Path]) -> dict[str, Path]:
    from store.stack_files import stack_name

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

    def run(stacks: list[ResolvedBlueprint]) -> list[FleetFinding]:
        from engine.cache import fleet_cache

        cache = fleet_cache(repo, sites, "validate") if cached else None
        found, todo = [], []
        for bp in stacks:
            hit = cache.get(cache.key(files[bp.stack])) if cache else None
            if hit is None:
                todo.append(bp)
            else:
                found += _findings(bp.stack, hit)
        if len(todo) <= few:
            for bp in todo:
                data = _run_one(repo, sites, bp, files[bp.stack], sites_file, warn)
                if cache:
                    cache.put(cache.key(files[bp.stack]), data)
                found += _findings(bp.stack, data)
            return found
        from engine.fleet import default_jobs, run_fleet  # only now: it imports the SDKs
        from engine.program_check import check_program

        todo_files = [files[bp.stack] for bp in todo]
        return found + [f for result in run_fleet(repo, todo_files, sites, check_program, cache, jobs or default_jobs())
                        for f in _findings(result.stack, result.data)]
    return run


def _run_one(repo: Path, sites: SitesMap, bp: ResolvedBlueprint, path: Path, sites_file: Path | None,
             warn: Callable[[str], None] | None) -> dict[str, Any]:
    """One stack's result from the engine server (started if allowed), else run here."""
    from engine import server
    from engine.program_check import check_stack

    served = server.served_check(repo, str(path), sites_file, warn)
    return served if served is not None else check_stack(repo, bp, sites)


def one_by_one(repo: Path, sites: SitesMap, paths: list[Path], sites_file: Path | None,
               warn: Callable[[str], None] | None = None) -> ProgramRun:
    """Each stack's program through the engine server when one answers (or starts), else here.

    `sites_file` is the sites map option as given (the server reads it itself); `warn` hears why a server was not used.
    """
    files = _by_name(paths)
    return lambda stacks: [f for bp in stacks
                           for f in _findings(bp.stack, _run_one(repo, sites, bp, files[bp.stack], sites_file, warn))]
