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
    versions: Annotated[bool, typer.Option("--versions", help="Every version with its changelog, sunset and moves.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show one blueprint: what it provisions, parameters, sizes, the platform contract and SLOs."""
    with user_errors():
        catalog = state(ctx).catalog()
        entry = catalog.get(ref)
    if versions:
        _versions(catalog.versions(entry.name), json)
        return
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


def _versions(entries, json: bool) -> None:
    """Each version's changelog, deprecation, sunset, successor and resource moves, oldest first."""
    if json:
        print_json([{"version": e.version, "changelog": e.changelog.model_dump(), "deprecated": e.deprecated,
                     "sunset": e.sunset.isoformat() if e.sunset else None, "successor": e.successor,
                     "moves": [m.model_dump(by_alias=True) for m in e.moves]} for e in entries])
        return
    table = Table("version", "changes", "status", title=f"Versions of {entries[0].name}")
    for e in entries:
        changes = e.changelog.summary + "".join(f"\n • {c}" for c in e.changelog.changes)
        changes += "".join(f"\n moves {m.from_name} -> {m.to_name} ({m.type}), with an alias" for m in e.moves)
        status = "[red]breaking[/]" if e.changelog.breaking else "compatible"
        if e.deprecated:
            status += f"\n[yellow]deprecated[/], sunset {e.sunset}, move to {e.successor}"
        table.add_row(e.version, escape(changes), status)
    console.print(table)
