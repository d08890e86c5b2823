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
    from engine import ProgramError
    from engine.flow_check import dropped_flows
    from engine.stacks import preview
    from fleet.checks import Finding, check_fleet, check_hand_edits, check_ledger, check_stack
    from store import stack_files
    from store.ledger import LEDGER_NAME

    with user_errors():
        st = state(ctx)
        repo = st.repo
        if not stacks and not all_stacks:
            raise typer.BadParameter("name at least one stack, or pass --all")
        everyone, broken = stack_files.read_each(repo)
        chosen = everyone if all_stacks else load_named(repo, stacks or [])
        catalog, sites = st.catalog(), st.sites()

    names = {bp.stack for bp in chosen} | (set(broken) if all_stacks else set())
    findings = [Finding(name, str(exc)) for name, exc in broken.items() if name in names]
    for bp in chosen:
        own = check_stack(bp, catalog, sites)
        findings += own
        if not any(f.error for f in own):
            try:
                capture = preview(repo, bp, sites)
            except ProgramError as exc:
                findings.append(Finding(bp.stack, f"program failed: {exc}"))
            else:
                findings += [Finding(bp.stack, v.describe()) for v in capture.violations]
                findings += [Finding(bp.stack, message) for message in dropped_flows(bp, capture)]
    findings += check_hand_edits(repo, chosen, catalog)
    findings += [f for f in check_fleet(everyone) if f.stack in names]
    if not broken:
        findings += [f for f in check_ledger(stack_files.stacks_dir(repo), everyone)
                     if f.stack in names or f.stack == LEDGER_NAME]

    failed = any(f.error for f in findings)
    if json:
        print_json({"stacks": sorted(names), "ok": not failed,
                    "findings": [{"stack": f.stack, "error": f.error, "message": f.message} for f in findings]})
    else:
        for f in findings:
            label = "[red]error[/]" if f.error else "[yellow]warning[/]"
            console.print(f"{label} {escape(f.stack)}: {escape(f.message)}", soft_wrap=True)
        bad = {f.stack for f in findings if f.error}
        console.print(f"{len(names) - len(bad)} of {len(names)} stacks valid")
    if failed:
        raise typer.Exit(EXIT_FINDINGS)
