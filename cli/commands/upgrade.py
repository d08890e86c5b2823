"""`bp upgrade`: move one stack to another version of its blueprint, with the offline diff for review."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import EXIT_FINDINGS, console, errors, print_json, state, user_errors
from cli.stacks_arg import load_named


def upgrade(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env) or path to a stack file.")],
    to: Annotated[str, typer.Option("--to", help="NAME@VERSION (or VERSION) to move to.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the diff; write nothing.")] = False,
    accept_data_loss: Annotated[
        bool, typer.Option("--accept-data-loss", help="Write even though a stateful resource is deleted or replaced.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Allow moving to an older or the same version.")] = False,
    json: Annotated[bool, typer.Option("--json", help="The diff as JSON.")] = False,
) -> None:
    """Render the stack at its version and at --to offline, print what changes per resource, and rewrite its file.

    Placement and network stay as they are. A delete or replace of a stateful resource (database,
    cache, Kafka, cluster, network, bucket, VM, namespace) is refused unless --accept-data-loss.
    """
    from blueprints.stack_files import read_all
    from engine import ProgramError
    from cli import cost_views
    from cost.change import monthly_change
    from lifecycle.upgrade import check_allowed, plan_upgrade, write_upgrades

    with user_errors():
        st = state(ctx)
        repo = st.repo
        (resolved,) = load_named(repo, [stack])
        try:
            result = plan_upgrade(repo, resolved, to, st.catalog(), st.sites(), read_all(repo))
        except ProgramError as exc:
            errors.print(f"[bold red]program failed:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_FINDINGS) from None
        costs = monthly_change([(result.before, result.after)], st.sites())
        if json:
            print_json({**result.to_json(), **({"monthly_cost": cost_views.change_json(*costs)} if costs else {})})
        else:
            from cli.diff_view import print_upgrade

            print_upgrade(result)
            if costs:
                console.print(f"monthly cost: {cost_views.change(*costs)}", soft_wrap=True, markup=False)
        if dry_run:
            return
        check_allowed(result, accept_data_loss=accept_data_loss, force=force)
        (path,) = write_upgrades(repo, [result])
    if not json:
        console.print(f"[green]Wrote[/] {path.relative_to(repo)}: {result.after.blueprint_ref}; "
                      "open a pull request with it and this diff")
