"""`bp validate`: check stamped stacks against the catalog, the sites map, each other, and their program."""

from __future__ import annotations

import typer

from cli import findings, options
from cli.context import state, user_errors
from cli.stacks_arg import load_named


def validate(ctx: typer.Context, stacks: options.Stacks = None, all_stacks: options.AllStacks = False,
             json: options.FindingsJson = False) -> None:
    """Validate stacks: schema, catalog entry, pools, network overlaps, and an offline run of the program."""
    from fleet.invariants import Scope, check, program_run
    from fleet.stamped import load_fleet

    with user_errors():
        st = state(ctx)
        if not stacks and not all_stacks:
            raise typer.BadParameter("name at least one stack, or pass --all")
        fleet = load_fleet(st.repo, st.catalog(), st.sites())
        chosen = fleet.stacks if all_stacks else load_named(st.repo, stacks or [])
    names = {bp.stack for bp in chosen} | ({name for name, _ in fleet.unreadable} if all_stacks else set())
    found = check(fleet, Scope(chosen, frozenset(names)), run=program_run(st.repo, fleet.sites))
    findings.by_stack(found, names, json)
