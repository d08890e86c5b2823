"""`bp cost`: what a stamped stack costs a month, by component and resource."""

from __future__ import annotations

import json as jsonlib
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli import completion
from cli.context import console, errors, print_json, state, user_errors


class Format(str, Enum):
    """Output formats."""

    table = "table"
    json = "json"
    infracost = "infracost"


def cost(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env) or path to a stack file.", autocompletion=completion.stack_names)],
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or infracost (Infracost's JSON).")] = Format.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to FILE (a regular file) instead of stdout; - is stdout.")] = None,
) -> None:
    """Show a stack's monthly cost by component and resource: AWS list prices per region, on-prem chargeback rates.

    Prices come from the sites map (`prices:`), each with its date and source.
    """
    from blueprints import stack_files
    from blueprints.output_files import output_file, write_file
    from cli import cost_views
    from cost import infracost
    from cost.estimate import estimate

    if format is Format.table and output:
        raise typer.BadParameter("--output needs --format json or infracost")
    with user_errors():
        output = output_file(output)
        st = state(ctx)
        path = stack_files.named_stack_file(st.repo, stack)
        resolved = stack_files.read_stack(path)
        est = estimate(resolved, st.sites())
    if format is Format.table:
        console.print(cost_views.as_table(est))
        if note := cost_views.unpriced_note(est):
            errors.print(f"[yellow]warning:[/] {note}", soft_wrap=True, markup=False)
        return
    if format is Format.json:
        data = cost_views.as_json(est)
    else:
        rel = str(path.relative_to(st.repo)) if path.is_relative_to(st.repo) else str(path)
        data = infracost.document([infracost.project(est, rel, resolved.tags())], [est], datetime.now(timezone.utc))
    if output is None:
        print_json(data)
        return
    with user_errors():
        write_file(output, jsonlib.dumps(data, indent=2) + "\n")
    console.print(f"Wrote {output}", markup=False)
