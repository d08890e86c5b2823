"""`bp sites`: the regions, data centers and pools stacks can be placed in."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.context import console, print_json, state, user_errors

app = typer.Typer(help="Inspect the sites map.", no_args_is_help=True)


@app.command("list")
def list_pools(ctx: typer.Context, json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List every capacity pool with its region, data center, target, tier and zones."""
    with user_errors():
        sites = state(ctx).sites()
    rows = [
        {"region": r.name, "site": dc.name, "target": dc.target, "pool": p.name, "tier": p.tier,
         "zones": list(p.compliance_zones), "vcpu": p.capacity.vcpu, "memory_gib": p.capacity.memory_gib}
        for r, dc, p in sites.pools()
    ]
    if json:
        print_json(rows)
        return
    table = Table("region", "site", "target", "pool", "tier", "zones", "vCPU", "memory GiB", title="Sites map")
    for row in rows:
        table.add_row(row["region"], row["site"], row["target"], row["pool"], row["tier"], ", ".join(row["zones"]),
                      str(row["vcpu"]), str(row["memory_gib"]))
    console.print(table)
    regions = {row["region"] for row in rows}
    console.print(f"{len(regions)} regions, {len({row['site'] for row in rows})} data centers, {len(rows)} pools")
