"""`bp fleet`: fleet-wide commands for platform staff. Each subcommand lives in its own module; this only assembles."""

from __future__ import annotations

import typer

app = typer.Typer(help="Fleet-wide checks, reports, runs and rollouts for platform staff.", no_args_is_help=True)

from cli.commands import fleet_upgrade, fleet_versions  # noqa: E402

app.add_typer(fleet_upgrade.app, name="upgrade")
app.command("versions")(fleet_versions.versions)
