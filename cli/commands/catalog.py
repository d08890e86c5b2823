"""`bp catalog`: browse the blueprint catalog."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.context import console, print_json, state, user_errors

app = typer.Typer(help="Browse the blueprint catalog.", no_args_is_help=True)


@app.command("list")
def list_entries(ctx: typer.Context, json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List every blueprint version: targets, audience, and whether it is deprecated."""
    with user_errors():
        entries = state(ctx).catalog().entries
    if json:
        print_json([{"name": e.name, "version": e.version, "summary": e.summary, "targets": list(e.targets),
                     "audience": e.audience, "deprecated": e.deprecated} for e in entries])
        return
    table = Table("blueprint", "targets", "audience", "summary", title="Blueprint catalog")
    for e in entries:
        status = " [yellow](deprecated)[/]" if e.deprecated else ""
        table.add_row(f"{e.ref}{status}", ", ".join(e.targets), e.audience, escape(e.summary))
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME[@VERSION]; no version means the newest non-deprecated.")],
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show one blueprint: what it provisions, parameters, sizes, the platform contract and SLOs."""
    with user_errors():
        entry = state(ctx).catalog().get(ref)
    if json:
        print_json(entry.model_dump(mode="json"))
        return
    console.print(f"[bold]{entry.ref}[/] — {escape(entry.summary)}")
    if entry.deprecated:
        console.print(f"[yellow]deprecated:[/] {escape(entry.deprecated)}")
    console.print(escape(entry.description.strip()))
    console.print(f"\n[bold]targets:[/] {', '.join(entry.targets)}   [bold]audience:[/] {entry.audience}")
    console.print("\n[bold]provisions[/]")
    for item in entry.provisions:
        console.print(f"  • {escape(item)}")
    if entry.parameters:
        params = Table("parameter", "type", "default", "description")
        for name, p in entry.parameters.items():
            params.add_row(name, p.type, escape(repr(p.default)), escape(p.description))
        console.print(params)
    sizes = Table("size", "vCPU", "memory GiB", "nodes/VMs", "per node")
    for letter, s in entry.sizes.items():
        sizes.add_row(letter, str(s.vcpu), str(s.memory_gib), str(s.nodes), f"{s.node_vcpu} vCPU / {s.node_memory_gib} GiB")
    console.print(sizes)
    console.print("[bold]the platform runs:[/] " + escape("; ".join(entry.responsibility.platform)))
    console.print("[bold]the team owns:[/] " + escape("; ".join(entry.responsibility.team)))
    slo = f"availability {entry.slo.availability}%"
    if entry.slo.rpo_minutes is not None:
        slo += f", RPO {entry.slo.rpo_minutes} min, RTO {entry.slo.rto_minutes} min"
    console.print(f"[bold]SLO:[/] {slo}")
