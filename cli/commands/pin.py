"""`bp pin` / `bp unpin`: hold a stack on its blueprint version, with a reason, an approver and an expiry; let go."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cli import completion
from cli.context import console, print_json, reporting, state, user_errors
from cli.stacks_arg import stack_named


def pin(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env).", autocompletion=completion.stack_names)],
    reason: Annotated[str, typer.Option("--reason", help="Why the stack may not move.")],
    approver: Annotated[str, typer.Option("--approver", help="E-mail address of who on the platform team agreed.")],
    expires: Annotated[str, typer.Option("--expires", help="Last day the pin holds (YYYY-MM-DD).")],
    json: Annotated[bool, typer.Option("--json", help="The pin as JSON.")] = False,
) -> None:
    """Pin a stack at its version: rollouts skip it until the pin expires, then `bp fleet check` reports it."""
    from lifecycle.pins import pin_stack

    def report(new_pin) -> None:
        with reporting():
            if json:
                print_json({"stack": stack, **new_pin.model_dump(mode="json")})
            else:
                console.print(f"[green]Pinned[/] {escape(stack)} at {escape(new_pin.version)} until {new_pin.expires} "
                              f"({escape(new_pin.approver)})", soft_wrap=True)

    with user_errors():
        pin_stack(state(ctx).repo, stack_named(stack), reason, approver, expires, confirm=report)


def unpin(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env).", autocompletion=completion.stack_names)],
    json: Annotated[bool, typer.Option("--json", help="The pin removed as JSON (null when there was none).")] = False,
) -> None:
    """Remove a stack's pin, so rollouts move it again."""
    from lifecycle.pins import unpin_stack
    from store.change import pin_words

    def report(old) -> None:
        with reporting():
            if json:
                print_json({"stack": stack, "removed": old.model_dump(mode="json") if old else None})
            elif old is None:
                console.print(f"{escape(stack)} was not pinned; nothing changed", soft_wrap=True)
            else:
                console.print(f"[green]Unpinned[/] {escape(stack)} (was {escape(pin_words(old))})", soft_wrap=True)

    with user_errors():
        unpin_stack(state(ctx).repo, stack_named(stack), confirm=report)

