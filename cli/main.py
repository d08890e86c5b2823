"""The root `bp` app: global options and the command groups, nothing else."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

# The click typer vendors; its exceptions are what a non-standalone run raises.
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from blueprints.errors import BadInput
from cli import __version__
from cli.commands import (
    audit, backend, catalog, cost, engine, fleet, inventory, new, pin, policy, portal, preflight, preview, retire, schema,
    sites, stacks, upgrade, validate,
)
from cli.context import EXIT_BAD_INPUT, State, fail

EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="bp",
    help="Cloud Blueprints: request, stamp, preview and audit team infrastructure from a versioned catalog.",
    no_args_is_help=True,
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
app.add_typer(audit.app, name="audit")
app.command("retire")(retire.retire)
app.add_typer(backend.app, name="backend")
app.add_typer(engine.app, name="engine")
app.command("inventory")(inventory.inventory)
app.command("preflight")(preflight.preflight)
app.command("upgrade")(upgrade.upgrade)
app.command("pin")(pin.pin)
app.command("unpin")(pin.unpin)
app.command("cost")(cost.cost)
app.add_typer(portal.app, name="portal")


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


def _plain_help(typer_app: typer.Typer) -> None:
    """Help texts as written: `[@VERSION]` is a literal, not rich markup to strip."""
    typer_app.rich_markup_mode = None
    for group in typer_app.registered_groups:
        _plain_help(group.typer_instance)


_plain_help(app)


def _closed_output() -> int:
    # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    fail("output closed before bp finished writing (broken pipe)")
    return EXIT_BAD_INPUT


def _main(args: list[str] | None = None) -> int:
    """Run the app; every failure becomes one line on stderr and an exit code, never a traceback."""
    try:
        code = app(args=args, standalone_mode=False)
        sys.stdout.flush()
        return code or 0
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except NoArgsIsHelpError as exc:
        exc.show()
        return exc.exit_code
    except typer.Abort:
        fail("input ended before every question was answered")
        return EXIT_BAD_INPUT
    except ClickException as exc:
        fail(exc.format_message())
        return exc.exit_code
    except BadInput as exc:
        fail(str(exc))
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return _closed_output()
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}")
        return EXIT_BAD_INPUT


def run() -> None:
    """Console-script entry point."""
    sys.exit(_main())
