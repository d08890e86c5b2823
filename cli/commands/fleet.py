"""`bp fleet`: fleet-wide commands for platform staff. Each subcommand lives in its own module; this only assembles."""

from __future__ import annotations

import typer

from cli.commands import fleet_preview

app = typer.Typer(help="Fleet-wide checks, reports, runs and rollouts for platform staff.", no_args_is_help=True)
app.command("preview")(fleet_preview.preview)
