"""`bp pin`: hold a stack on its blueprint version, with a reason, an approver and an expiry."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from cli.context import console, print_json, state, user_errors
from cli.stacks_arg import load_named


def pin(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env) or path to a stack file.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the stack may not move.")],
    approver: Annotated[str, typer.Option("--approver", help="Who on the platform team agreed.")],
    expires: Annotated[str, typer.Option("--expires", help="Last day the pin holds (YYYY-MM-DD).")],
    json: Annotated[bool, typer.Option("--json", help="The pin as JSON.")] = False,
) -> None:
    """Pin a stack at its version: rollouts skip it until the pin expires, then `bp fleet check` reports it."""
    from pydantic import ValidationError

    from blueprints.errors import BadInput, field_path, first_error
    from blueprints.repo_lock import repo_lock
    from blueprints.stack_files import stack_path
    from blueprints.yaml_io import write_atomic
    from blueprints.pins import Pin, pinned_text

    with user_errors():
        repo = state(ctx).repo
        (resolved,) = load_named(repo, [stack])
        try:
            new_pin = Pin(reason=reason, approver=approver, expires=expires, version=resolved.blueprint_ref)
        except ValidationError as exc:
            loc, msg = first_error(exc)
            raise BadInput(f"--{field_path(loc)}: {msg}") from None
        if new_pin.expires < date.today():
            raise BadInput(f"--expires: {new_pin.expires} is in the past")
        path = stack_path(repo, resolved.stack)
        with repo_lock(repo):
            write_atomic(path, pinned_text(path, new_pin))
    if json:
        print_json({"stack": resolved.stack, **new_pin.model_dump(mode="json")})
        return
    console.print(f"[green]Pinned[/] {resolved.stack} at {new_pin.version} until {new_pin.expires} ({new_pin.approver})")
