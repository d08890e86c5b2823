"""`bp cost`: what a stamped stack costs a month, by component and resource."""

from __future__ import annotations

import json as jsonlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli import completion
from cli.context import console, errors, print_json, state, user_errors
from cli.options import Format, formats


def cost(
    ctx: typer.Context,
    stack: Annotated[Optional[str], typer.Argument(help="Stack name (team-env) or path to a stack file.", autocompletion=completion.stack_names)] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Every stamped stack: a summary table, or every stack in the JSON.")] = False,
    format: Annotated[Format, formats("table", "json", "infracost", help="table, json or infracost (Infracost's JSON).", short=True)] = Format.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to FILE (a regular file) instead of stdout; - is stdout.")] = None,
) -> None:
    """Show a stack's monthly cost by component and resource: AWS list prices per region, on-prem chargeback rates.

    Prices come from the sites map (`prices:`), each with its date and source. With --all, every stamped stack:
    Infracost's JSON then holds one project per stack, as `infracost breakdown` does for several projects.
    """
    from cli import cost_views
    from cost import infracost
    from cost.estimate import estimate
    from store import stack_files
    from store.outputs import output_file, write_file

    if format is Format.table and output:
        raise typer.BadParameter("--output needs --format json or infracost")
    if (stack is None) == (not all_stacks):
        raise typer.BadParameter("name one STACK, or pass --all")
    with user_errors():
        output = output_file(output)
        st = state(ctx)
        paths = (stack_files.list_stack_files(st.repo) if all_stacks
                 else [stack_files.named_stack_file(st.repo, stack)])
        stacks = [(path, stack_files.read_stack(path)) for path in paths]
        sites = st.sites()
        ests = [estimate(resolved, sites) for _, resolved in stacks]
    if format is Format.table:
        console.print(cost_views.summary(ests) if all_stacks else cost_views.as_table(ests[0]))
        for est in ests:
            if note := cost_views.unpriced_note(est):
                errors.print(f"[yellow]warning:[/] {note}", soft_wrap=True, markup=False)
        return
    if format is Format.json:
        data = cost_views.as_json(ests[0]) if not all_stacks else cost_views.many_json(ests)
    else:
        projects = [infracost.project(est, str(path.relative_to(st.repo)) if path.is_relative_to(st.repo) else str(path),
                                      resolved.tags()) for (path, resolved), est in zip(stacks, ests)]
        data = infracost.document(projects, ests, datetime.now(timezone.utc))
    if output is None:
        print_json(data)
        return
    with user_errors():
        write_file(output, jsonlib.dumps(data, indent=2) + "\n")
    console.print(f"Wrote {output}", markup=False)
