"""`bp pin`: hold a stack on its blueprint version, with a reason, an approver and an expiry."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cli.context import console, print_json, state, user_errors
from cli.stacks_arg import load_named


def pin(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env) or path to a stack file.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the stack may not move.")],
    approver: Annotated[str, typer.Option("--approver", help="E-mail address of who on the platform team agreed.")],
    expires: Annotated[str, typer.Option("--expires", help="Last day the pin holds (YYYY-MM-DD).")],
    json: Annotated[bool, typer.Option("--json", help="The pin as JSON.")] = False,
) -> None:
    """Pin a stack at its version: rollouts skip it until the pin expires, then `bp fleet check` reports it."""
    from blueprints.pins import pin_stack

    with user_errors():
        repo = state(ctx).repo
        (resolved,) = load_named(repo, [stack])
        new_pin = pin_stack(repo, resolved, reason, approver, expires)
    if json:
        print_json({"stack": resolved.stack, **new_pin.model_dump(mode="json")})
        return
    console.print(f"[green]Pinned[/] {resolved.stack} at {new_pin.version} until {new_pin.expires} ({escape(new_pin.approver)})")
