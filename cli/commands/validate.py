"""`bp validate`: check stamped stacks against the catalog, the sites map, each other, and their program."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape

from cli import completion
from cli.context import EXIT_FINDINGS, console, print_json, state, user_errors
from cli.stacks_arg import load_named


def validate(
    ctx: typer.Context,
    stacks: Annotated[Optional[list[str]], typer.Argument(help="Stack names (team-env) or stack files.", autocompletion=completion.stack_names)] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Every stack in the repository.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Findings as JSON.")] = False,
) -> None:
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
    findings = check(fleet, Scope(chosen, frozenset(names)), run=program_run(st.repo, fleet.sites))
    lines = [(stack, f) for f in findings for stack in f.stacks or ("fleet",)]
    if json:
        print_json({"stacks": sorted(names), "ok": not any(f.error for f in findings), "findings": [
            {"stack": stack, "rule": f.rule, "error": f.error, "message": f.message} for stack, f in lines]})
    else:
        for stack, f in lines:
            console.print(f"{'[red]error[/]' if f.error else '[yellow]warning[/]'} {escape(stack)}: {escape(f.message)}",
                          soft_wrap=True)
        console.print(f"{len(names - {s for s, f in lines if f.error})} of {len(names)} stacks valid")
    if any(f.error for f in findings):
        raise typer.Exit(EXIT_FINDINGS)
