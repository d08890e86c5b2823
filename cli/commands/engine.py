"""`bp engine`: a warm engine process for this repository, so `bp preview` answers without loading the SDKs."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import EXIT_FINDINGS, console, print_json, state, user_errors

app = typer.Typer(help="Start, stop or inspect the warm engine server that answers `bp preview`.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@app.command("start")
def start(ctx: typer.Context, json: JsonOption = False) -> None:
    """Start the engine server in the background (or report the one running) and wait until it answers."""
    from engine import server

    with user_errors():
        info = server.start(state(ctx).repo)
    if json:
        print_json(info)
    else:
        console.print(f"engine server running (pid {info['pid']}); `bp preview` now asks it first")


@app.command("status")
def status(ctx: typer.Context, json: JsonOption = False) -> None:
    """Whether a server runs for this repository, what it has served and whether its code is current. Exit 1 if none."""
    from engine import server

    with user_errors():
        info = server.status(state(ctx).repo)
    if json:
        print_json(info)
    elif info:
        current = "current code" if info["current"] else "older code (it restarts on the next preview)"
        console.print(f"engine server running (pid {info['pid']}), {info['served']} requests served, {current}")
    else:
        console.print("no engine server running for this repository")
    if not info:
        raise typer.Exit(EXIT_FINDINGS)


@app.command("stop")
def stop(ctx: typer.Context) -> None:
    """Stop the engine server of this repository, if one runs."""
    from engine import server

    with user_errors():
        pid = server.stop(state(ctx).repo)
    console.print(f"engine server stopped (pid {pid})" if pid else "no engine server was running")
