"""`bp validate`: check stamped stacks against the catalog, the sites map, each other, and their program."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import findings, options
from cli.context import state, user_errors, warn

NoRun = Annotated[bool, typer.Option("--no-run", help="The checks alone: do not run the stacks' programs.")]


def validate(ctx: typer.Context, stacks: options.Stacks = None, all_stacks: options.AllStacks = False,
             json: options.FindingsJson = False, no_run: NoRun = False, jobs: options.Jobs = None,
             no_cache: options.NoCache = False) -> None:
    """Validate stacks: schema, catalog entry, pools, network overlaps, and an offline run of the program.

    With --all the programs run on all cores and a stack whose inputs have not changed comes from the cache (as for
    `bp fleet preview`); named stacks run in the engine server (engine/server.py), or here, and their checks against
    the fleet are kept by a digest of every file they read, so the fleet is read again only when one changed.
    """
    from fleet import program_runs

    with user_errors():
        st = state(ctx)
        if not stacks and not all_stacks:
            raise typer.BadParameter("name at least one stack, or pass --all")
        if not all_stacks:  # the fleet's part from the fleet check's cache when nothing it reads changed
            from fleet.checked import named
            from fleet.stamped import with_runs

            found = named(st.repo, stacks or [], st.sites_option)
            run = None if no_run else program_runs.one_by_one(st.repo, None, found.paths, st.sites_option, warn)
            findings.by_stack(with_runs(found.found, found.stacks, run), set(found.stacks), json)
            return
        from fleet.invariants import Scope, check
        from fleet.stamped import load_fleet
        from store.stack_files import list_stack_files

        fleet = load_fleet(st.repo, st.catalog(), st.sites())
        names = {bp.stack for bp in fleet.stacks} | {name for name, _ in fleet.unreadable}
        run = None if no_run else program_runs.on_workers(st.repo, fleet.sites, list_stack_files(st.repo),
                                                          st.sites_option, warn, jobs, not no_cache)
        found = check(fleet, Scope(fleet.stacks, frozenset(names)), run=run)
    findings.by_stack(found, names, json)
