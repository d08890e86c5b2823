"""`bp fleet report`: capacity committed per pool, data center and region; teams and owners; versions in use."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from cli.context import console, print_json, state, user_errors
from cli.options import Format, formats


def report(
    ctx: typer.Context,
    format: Annotated[Format, formats("table", "json", "markdown", "html", help="table, json, markdown or html.", short=True)] = Format.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to FILE (a regular file) instead of stdout; - is stdout.")] = None,
) -> None:
    """Report the fleet: utilisation per pool, data center and region with charts, teams and owners, versions, and
    showback (monthly cost per cost center, team, data center and blueprint) when the sites map has prices."""
    import json as jsonlib

    from cost import showback
    from fleet.report import build
    from fleet.stamped import load_fleet
    from reports import fleet as fleet_views
    from store.outputs import output_file, write_file

    if format is Format.table and output:
        raise typer.BadParameter("--output needs --format json, markdown or html")
    with user_errors():
        output = output_file(output)
        st = state(ctx)
        sites = st.sites()
        fleet = load_fleet(st.repo, st.catalog(), sites)
        data = build(fleet)
        show = showback.build(fleet.stacks, sites) if sites.prices else None
        machine = {**data.as_json(), **({"showback": show.as_json()} if show else {})}
        if format is Format.table:
            console.print(fleet_views.as_table(data, show))
            return
        if format is Format.json and not output:
            print_json(machine)
            return
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        text = {
            Format.json: lambda: jsonlib.dumps(machine, indent=2) + "\n",
            Format.markdown: lambda: fleet_views.as_markdown(data, show),
            Format.html: lambda: fleet_views.as_html(data, f"{st.repo.name} · generated {stamp}", show),
        }[format]()
        if output is None:
            typer.echo(text, nl=False)
            return
        write_file(output, text)
    console.print(f"Wrote {escape(str(output))}")
