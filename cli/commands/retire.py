"""`bp retire`: mark a stack retired; its capacity and networks stay taken until its stack file is deleted."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cli.context import console, print_json, state, user_errors


def retire(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env).")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it is retired (shown in reviews and reports).")],
    json: Annotated[bool, typer.Option("--json", help="Print the retirement as JSON.")] = False,
) -> None:
    """Mark a stack retired. It stays deployed and keeps its pool capacity, network and VLAN until its file is removed."""
    from blueprints import free_text
    from blueprints.fleet_retire import retire as mark

    with user_errors():
        reason = free_text.option("--reason", reason, free_text.reason)
        resolved, changed = mark(state(ctx).repo, stack, reason)
    retirement = resolved.retirement
    if json:
        print_json({"stack": stack, "changed": changed, **retirement.model_dump(mode="json")})
        return
    if not changed:
        console.print(f"{stack} was already retired on {retirement.since}: {escape(retirement.reason)}")
        return
    console.print(f"[green]Retired[/] {stack} ({escape(retirement.reason)}). It still holds its capacity and networks.")
    console.print("\nNext steps, once nothing depends on it:")
    console.print(f"  pulumi destroy -s {stack} && pulumi stack rm {stack}")
    console.print(f"  git rm stacks/Pulumi.{stack}.yaml    # frees its capacity, network and VLAN for new teams")
