"""`bp retire`: mark a stack retired; its capacity and networks stay taken until its stack file is deleted."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cli.context import console, print_json, reporting, state, user_errors


def retire(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env).")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it is retired (shown in reviews and reports).")],
    json: Annotated[bool, typer.Option("--json", help="Print the retirement as JSON.")] = False,
) -> None:
    """Mark a stack retired. It stays deployed and keeps its pool capacity, network and VLAN until its file is removed."""
    from blueprints import free_text
    from lifecycle.retire import retire as mark

    def report(resolved, changed: bool) -> None:
        with reporting():
            _report(stack, resolved.retirement, changed, json)

    with user_errors():
        reason = free_text.option("--reason", reason, free_text.reason)
        mark(state(ctx).repo, stack, reason, confirm=report)


def _report(stack: str, retirement, changed: bool, json: bool) -> None:
    if json:
        print_json({"stack": stack, "changed": changed, **retirement.model_dump(mode="json")})
        return
    name, why = escape(stack), escape(retirement.reason)
    if not changed:
        console.print(f"{name} was already retired on {retirement.since}: {why}", soft_wrap=True)
        return
    console.print(f"[green]Retired[/] {name} ({why}). It still holds its capacity and networks.", soft_wrap=True)
    console.print("\nNext steps, once nothing depends on it:")
    console.print(f"  pulumi destroy -s {name} && pulumi stack rm {name}", soft_wrap=True)
    console.print(f"  git rm stacks/Pulumi.{name}.yaml    # frees its capacity, network and VLAN for new teams", soft_wrap=True)
