"""`bp fleet check`: fleet-wide invariants over every stack of the repository."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape

from cli.context import EXIT_FINDINGS, console, print_json, state, user_errors


def check(
    ctx: typer.Context,
    json: Annotated[bool, typer.Option("--json", help="Findings as JSON.")] = False,
    warn_days: Annotated[Optional[int], typer.Option(
        "--warn-days", min=0, help="Warn this many days before a support end. Default: the sites map's support.warn_days (90).")] = None,
) -> None:
    """Check fleet invariants: overlapping networks, VLANs shared on a switch, over-committed pools, versions, support ends, owners."""
    from fleet.invariants import check as run_checks
    from fleet.stamped import load_fleet

    with user_errors():
        st = state(ctx)
        fleet = load_fleet(st.repo, st.catalog(), st.sites())
        fleet.warn_days = warn_days
    findings = run_checks(fleet)
    failed = any(f.error for f in findings)
    stacks = len(fleet.stacks) + len(fleet.unreadable)
    if json:
        print_json({"stacks": stacks, "ok": not failed, "findings": [f.as_json() for f in findings]})
    else:
        for f in findings:
            label = "[red]error[/]" if f.error else "[yellow]warning[/]"
            console.print(f"{label} [bold]{f.rule}[/] {escape(', '.join(f.stacks))}: {escape(f.message)}", highlight=False)
        errors = sum(f.error for f in findings)
        console.print(f"{stacks} stacks checked: {errors} errors, {len(findings) - errors} warnings")
    if failed:
        raise typer.Exit(EXIT_FINDINGS)
