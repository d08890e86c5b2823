"""`bp upgrade`: move one stack to another version of its blueprint, with the offline diff for review."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from cli.context import EXIT_FINDINGS, console, errors, print_json, reporting, state, user_errors
from cli.stacks_arg import stack_named


def upgrade(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env) or path to a stack file.")],
    to: Annotated[str, typer.Option("--to", help="NAME@VERSION (or VERSION) to move to.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the diff; write nothing.")] = False,
    accept_data_loss: Annotated[
        bool, typer.Option("--accept-data-loss", help="Write even though a stateful resource is deleted or replaced.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Allow moving to an older or the same version.")] = False,
    unpin: Annotated[bool, typer.Option("--unpin", help="Move a pinned stack off its pin, and remove the pin.")] = False,
    json: Annotated[bool, typer.Option("--json", help="The diff as JSON.")] = False,
) -> None:
    """Render the stack at its version and at --to offline, print what changes per resource, and rewrite its file.

    Placement and network stay as they are; a retired stack stays retired. A pinned stack moves only with --unpin.
    A delete or replace of a stateful resource (database, cache, Kafka, cluster, network, bucket, VM, namespace) is
    refused unless --accept-data-loss.
    """
    from cli import cost_views
    from cost.change import monthly_change
    from lifecycle.upgrade import UpgradeOptions, upgrade_stack

    def show(result, outcome) -> None:
        costs = monthly_change([(result.before, result.after)], state(ctx).sites())
        with reporting():
            if json:
                print_json({**result.to_json(), **({"notes": list(outcome.after.notes)} if outcome else {}),
                            **({"monthly_cost": cost_views.change_json(*costs)} if costs else {})})
            else:
                from cli.diff_view import print_upgrade

                print_upgrade(result)
                if costs:
                    console.print(f"monthly cost: {cost_views.change(*costs)}", soft_wrap=True, markup=False)
                if outcome is not None:
                    console.print(f"[green]Wrote[/] stacks/{escape(outcome.before.path.name)}: {result.after.blueprint_ref}; "
                                  "open a pull request with it and this diff", soft_wrap=True)
                    for note in outcome.after.notes:
                        console.print(f"  {escape(note)}", soft_wrap=True)

    name = stack_named(stack)
    opts = UpgradeOptions(accept_data_loss=accept_data_loss, force=force, unpin=unpin, dry_run=dry_run)
    with user_errors():
        st = state(ctx)
        try:
            upgrade_stack(st.repo, name, to, st.catalog(), st.sites(), opts, show)
        except Exception as exc:
            if not _program_failed(exc):
                raise
            errors.print(f"[bold red]program failed:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_FINDINGS) from None


def _program_failed(exc: Exception) -> bool:
    """Whether `exc` is the engine's ProgramError, asked without importing the runner and the SDKs (a served diff
    needs neither): a program that failed here was run by the runner, so it is loaded then."""
    runner = sys.modules.get("engine.runner")
    return runner is not None and isinstance(exc, runner.ProgramError)
