"""`bp fleet`: fleet-wide commands for platform staff. Each subcommand lives in its own module; this only assembles."""

from __future__ import annotations

import typer

from cli.commands import fleet_audit, fleet_check, fleet_operator, fleet_patch, fleet_preview, fleet_report, fleet_upgrade, fleet_versions

app = typer.Typer(help="Fleet-wide checks, reports, runs and rollouts for platform staff.", no_args_is_help=True)
app.command("check")(fleet_check.check)
app.command("report")(fleet_report.report)
app.command("operator-manifests")(fleet_operator.operator_manifests)
app.command("preview")(fleet_preview.preview)
app.command("audit")(fleet_audit.audit)
app.add_typer(fleet_upgrade.app, name="upgrade")
app.add_typer(fleet_patch.app, name="patch")
app.command("versions")(fleet_versions.versions)
