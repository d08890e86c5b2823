"""The root `bp` app: global options and the command groups, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cli import __version__
from cli.commands import (
    audit, backend, catalog, fleet, inventory, new, pin, policy, preflight, preview, schema, sites, stacks, upgrade,
    validate,
)
from cli.context import State

app = typer.Typer(
    name="bp",
    help="Cloud Blueprints: request, stamp, preview and audit team infrastructure from a versioned catalog.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(catalog.app, name="catalog")
app.add_typer(sites.app, name="sites")
app.add_typer(fleet.app, name="fleet")
app.add_typer(policy.app, name="policy")
app.add_typer(stacks.app, name="stacks")
app.command("new")(new.new)
app.command("validate")(validate.validate)
app.command("preview")(preview.preview)
app.command("schema")(schema.schema)
app.command("audit")(audit.audit)
app.add_typer(backend.app, name="backend")
app.command("inventory")(inventory.inventory)
app.command("preflight")(preflight.preflight)
app.command("upgrade")(upgrade.upgrade)
app.command("pin")(pin.pin)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bp {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    repo: Annotated[Optional[Path], typer.Option(help="Repository holding Pulumi.yaml. Default: the nearest one upward.")] = None,
    sites_file: Annotated[
        Optional[Path],
        typer.Option("--sites", envvar="BP_SITES", help="Sites map file. Default: the demo fleet shipped with bp."),
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """Cloud Blueprints: request, stamp, preview and audit team infrastructure from a versioned catalog."""
    ctx.obj = State(repo_option=repo, sites_option=sites_file)


def run() -> None:
    """Console-script entry point."""
    app()
