"""`bp engine`: the warm engine process of this repository, so `bp preview`, `bp validate STACK` and `bp upgrade`
answer without loading the SDKs. The first of them starts it by itself (unless BP_ENGINE_AUTOSTART=0, or in CI)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cli.context import EXIT_FINDINGS, console, print_json, state, user_errors

app = typer.Typer(help="Start, stop or inspect the warm engine server that answers `bp preview`, `bp validate STACK` "
                       "and `bp upgrade`; the first of them starts it by itself (not with BP_ENGINE_AUTOSTART=0, "
                       "nor in CI unless BP_ENGINE_AUTOSTART=1).", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
IdleOption = Annotated[str | None, typer.Option(
    "--idle-timeout", envvar="BP_ENGINE_IDLE_TIMEOUT", metavar="DURATION",
    help="Exit after this long without a request: 90s, 30m, 2h or seconds. Default: 30m.")]


def _describe(info: dict) -> str:
    current = "current code" if info["current"] else "older code (it restarts on the next preview)"
    return (f"engine server running (pid {info['pid']}) on {escape(info['socket'])}, {info['served']} requests "
            f"served, {current}, exits when idle at {info['idle_deadline']}")


@app.command("start")
def start(ctx: typer.Context, idle_timeout: IdleOption = None, json: JsonOption = False) -> None:
    """Start the engine server in the background (or report the one running) and wait until it answers."""
    from engine import server

    with user_errors():
        info = server.start(state(ctx).repo, server.idle_timeout(idle_timeout))
    if json:
        print_json(info)
    else:
        console.print(f"{_describe(info)}; `bp preview`, `bp validate STACK` and `bp upgrade` now ask it first")


@app.command("status")
def status(ctx: typer.Context, json: JsonOption = False) -> None:
    """Whether a server runs for this repository: its socket, pid, requests served, idle deadline. Exit 1 if none."""
    from engine import server

    with user_errors():
        info = server.status(state(ctx).repo)
    if json:
        print_json(info)
    elif info:
        console.print(_describe(info))
    else:
        console.print("no engine server running for this repository")
    if not info:
        raise typer.Exit(EXIT_FINDINGS)


@app.command("stop")
def stop(ctx: typer.Context) -> None:
    """Stop every engine server of this repository, even one whose folder was deleted."""
    from engine import server

    with user_errors():
        pids = server.stop(state(ctx).repo)
    if pids:
        console.print(f"engine server stopped (pid {', '.join(map(str, pids))})")
    else:
        console.print("no engine server was running")
