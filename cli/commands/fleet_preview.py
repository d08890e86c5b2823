"""`bp fleet preview`: every stack's program offline, on all cores, cached by content, shardable for CI.

`stream_fleet` is what every per-stack fleet evaluation shares (options, progress, --json lines, the cache).
"""

from __future__ import annotations

import json as jsonlib
import sys
from typing import Any, Callable

import typer
from rich.markup import escape

from cli.context import EXIT_FINDINGS, console, errors, state, user_errors
from cli.options import Jobs, NoCache, Shard, StreamJson



def json_line(data: dict[str, Any]) -> None:
    """One line of machine output on stdout."""
    sys.stdout.write(jsonlib.dumps(data, sort_keys=True) + "\n")


def stream_fleet(ctx: typer.Context, name: str, evaluator, jobs: int | None, shard: str | None, json: bool,
                 no_cache: bool, cache_tag: str = "", on_result: Callable | None = None):
    """Evaluate every stack (or one shard) with `evaluator` under a progress bar; returns the `FleetSummary`.

    Each result goes to a --json line and to `on_result` as it arrives, and is then dropped. `cache_tag` names what
    the evaluator's results depend on besides the code and the stack's own inputs.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from engine.cache import fleet_cache
    from engine.fleet import FleetSummary, default_jobs, parse_shard, run_fleet
    from engine.fleet import shard as shard_of
    from store.stack_files import list_stack_files

    with user_errors():
        st = state(ctx)
        repo, sites = st.repo, st.sites()
        files = list_stack_files(repo)
        if shard:
            files = shard_of(files, *parse_shard(shard))
        cache = None if no_cache else fleet_cache(repo, sites, name, cache_tag)

    summary = FleetSummary()
    bar = Progress(TextColumn(f"{name}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=errors, disable=json or not errors.is_terminal, transient=True)
    with bar:
        task = bar.add_task(name, total=len(files))
        for result in run_fleet(repo, files, sites, evaluator, cache, jobs or default_jobs()):
            summary.add(result)
            bar.advance(task)
            if json:
                json_line({"stack": result.stack, "cached": result.cached, **result.data})
            if on_result:
                on_result(result)
    return summary


def preview(ctx: typer.Context, jobs: Jobs = None, shard: Shard = None, json: StreamJson = False,
            no_cache: NoCache = False) -> None:
    """Preview every stack offline on all cores; a stack whose inputs have not changed comes from the cache."""
    from engine.fleet import preview_stack

    refused: dict[str, list[str]] = {}
    summary = stream_fleet(ctx, "preview", preview_stack, jobs, shard, json, no_cache,
                           on_result=lambda result: refused.update({result.stack: result.data["violations"]})
                           if result.data.get("violations") else None)
    totals = summary.to_json()
    if json:
        json_line({"summary": totals})
    else:
        for stack, error in totals["failures"].items():
            console.print(f"[red]failed[/] {stack}: {escape(error)}", highlight=False, soft_wrap=True)
            for line in refused.get(stack, ()):
                console.print(f"[red]refused[/] {stack}: {escape(line)}", highlight=False, soft_wrap=True)
        console.print(f"{totals['stacks']} stacks: {totals['ran']} run, {totals['cached']} unchanged (from the cache); "
                      f"{totals['resources']} resources; {totals['failed']} failed", highlight=False)
    if summary.failed:
        raise typer.Exit(EXIT_FINDINGS)
