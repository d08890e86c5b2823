"""`bp validate`: check stamped stacks against the catalog, the sites map, each other, and their program."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import findings, options
from cli.context import state, user_errors, warn
from cli.stacks_arg import load_named

NoRun = Annotated[bool, typer.Option("--no-run", help="The checks alone: do not run the stacks' programs.")]


def validate(ctx: typer.Context, stacks: options.Stacks = None, all_stacks: options.AllStacks = False,
             json: options.FindingsJson = False, no_run: NoRun = False, jobs: options.Jobs = None,
             no_cache: options.NoCache = False) -> None:
    """Validate stacks: schema, catalog entry, pools, network overlaps, and an offline run of the program.

    With --all the programs run on all cores and a stack whose inputs have not changed comes from the cache (as for
    `bp fleet preview`); named stacks run in the engine server (engine/server.py), or here.
    """
    from fleet import program_runs
    from fleet.invariants import Scope, check
    from fleet.stamped import load_fleet
    from store.stack_files import list_stack_files, named_stack_file

    with user_errors():
        st = state(ctx)
        if not stacks and not all_stacks:
            raise typer.BadParameter("name at least one stack, or pass --all")
        fleet = load_fleet(st.repo, st.catalog(), st.sites())
        chosen = fleet.stacks if all_stacks else load_named(st.repo, stacks or [])
        names = {bp.stack for bp in chosen} | ({name for name, _ in fleet.unreadable} if all_stacks else set())
        paths = list_stack_files(st.repo) if all_stacks else [named_stack_file(st.repo, name) for name in stacks or []]
        run = None if no_run else (
            program_runs.on_workers(st.repo, fleet.sites, paths, st.sites_option, warn, jobs, not no_cache) if all_stacks
            else program_runs.one_by_one(st.repo, fleet.sites, paths, st.sites_option, warn))
        found = check(fleet, Scope(chosen, frozenset(names)), run=run)
    findings.by_stack(found, names, json)
