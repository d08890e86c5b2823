"""`bp fleet audit`: every stack against the policy packs on all cores, cached by content, shardable for CI.

Reports are written as stacks finish, never held whole: a fleet's SARIF or JUnit grows on disk, not in memory.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.commands.fleet_preview import json_line, stream_fleet
from cli.context import EXIT_FINDINGS, console, errors, user_errors
from cli.options import Exemptions, Format, Jobs, NoCache, Output, Packs, PolicyConfig, Shard, StreamJson, formats


def _writer(fmt: Format, out, policies, exemptions, exemptions_file: str):
    from reports.audit import JunitWriter, SarifWriter

    if fmt is Format.sarif:
        return SarifWriter(out, policies, exemptions, exemptions_file)
    return JunitWriter(out, policies)


@contextmanager
def _report_file(fmt: Format, output: Path | None):
    """Where the report goes: nowhere (table), stdout, or a file that appears whole once the run is done."""
    from store.outputs import open_file

    if fmt is Format.table:
        yield None
    elif output is None:
        yield sys.stdout
    else:
        with open_file(output) as fh:
            yield fh


def _print_stack(stack: str, data: dict, findings) -> None:
    """A line for a stack that fails; passing stacks only move the progress bar."""
    if data.get("error"):
        console.print(f"[red]✗[/] {stack}: could not be audited: {escape(data['error'])}", highlight=False, soft_wrap=True)
    elif data.get("blocking"):
        policies = sorted({f.policy for f in findings if f.blocking})
        console.print(f"[red]✗[/] {stack}: {data['blocking']} mandatory violation(s): {', '.join(policies)}",
                      highlight=False, soft_wrap=True)


def _print_totals(summary, totals, sharded: bool) -> None:
    from audit.fleet import KINDS

    rows = totals.rows()
    if rows:
        table = Table("policy", "severity", "level", *KINDS, "stacks", title="Findings by policy")
        for p, counts in rows:
            table.add_row(p.name, p.severity, p.enforcement, *(str(counts[k]) for k in KINDS), str(counts["stacks"]))
        console.print(table)
    where = "in this shard" if sharded else "in the fleet"
    for e in totals.unused():
        console.print(f"[yellow]unused exemption[/] {e.ticket} ({e.policy}, {e.stack}, {escape(e.resource)}) {where}",
                      highlight=False)
    kinds = totals.by_kind()
    console.print(f"{summary.stacks} stacks ({summary.stacks - summary.cached} run, {summary.cached} from the cache) "
                  f"against {len(totals.policies)} policies: {totals.blocking} mandatory violations in "
                  f"{totals.blocked_stacks} stacks, {kinds['advisory']} advisory, {kinds['exempt']} exempt, "
                  f"{kinds['undecided']} undecided; {summary.failed} could not be audited", highlight=False)


def audit(
    ctx: typer.Context,
    jobs: Jobs = None,
    shard: Shard = None,
    json: StreamJson = False,
    no_cache: NoCache = False,
    fmt: Annotated[Format, formats("table", "sarif", "junit", help="Report format, written as stacks finish.")] = Format.table,
    output: Output = None,
    pack: Packs = None,
    config: PolicyConfig = None,
    exemptions: Exemptions = None,
) -> None:
    """Audit every stack against the policy packs on all cores; exit 1 while a mandatory violation remains."""
    from audit.fleet import FleetAudit, FleetTotals
    from audit.run import load_config
    from store.outputs import output_file

    with user_errors():
        output = output_file(output)
        if output is not None and fmt is Format.table:
            raise typer.BadParameter("--output needs a file format: sarif or junit")
        if json and fmt is not Format.table and output is None:
            raise typer.BadParameter(f"--json and --format {fmt.value} both write to stdout; pass --output FILE")
        settings = load_config(config) if config else None
        evaluator, policies, in_force = FleetAudit.prepare(pack, settings, str(config or "--config"), exemptions)
    totals = FleetTotals(policies, in_force)
    human = not json and (fmt is Format.table or output is not None)

    with user_errors(), _report_file(fmt, output) as out:
        writer = _writer(fmt, out, policies, in_force, evaluator.exemptions_file) if out else None

        def on_result(result) -> None:
            findings = totals.add(result.data)
            if writer:
                writer.add(result.stack, result.data.get("source", ""), findings, result.data.get("error"))
            if human:
                _print_stack(result.stack, result.data, findings)

        summary = stream_fleet(ctx, "audit", evaluator, jobs, shard, json, no_cache, evaluator.cache_tag(), on_result)
        if writer:
            writer.close()
    failed = bool(summary.failed or totals.blocking)
    if json:
        json_line({"summary": {**summary.to_json(), **totals.to_json(), "ok": not failed}})
    elif human:
        _print_totals(summary, totals, sharded=shard is not None)
        if output is not None:
            console.print(f"{fmt.value} report: {escape(str(output))}", highlight=False)
    if failed:
        if human:
            unaudited = f", {summary.failed} stack(s) not audited" if summary.failed else ""
            errors.print(f"[red]{totals.blocking} mandatory violation(s){unaudited}[/]")
        raise typer.Exit(EXIT_FINDINGS)
