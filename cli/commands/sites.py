"""`bp sites`: the regions, data centers and pools stacks can be placed in."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.context import console, print_json, state, user_errors

app = typer.Typer(help="Inspect the sites map.", no_args_is_help=True)


@app.command("list")
def list_pools(ctx: typer.Context, json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List every capacity pool: region, data center, target, tier, zones, and free and total capacity."""
    from blueprints.placement.capacity import pool_use
    from store import stack_files

    with user_errors():
        st = state(ctx)
        sites = st.sites()
        repo = st.found_repo()
        use = pool_use((p for _, _, p in sites.pools()), stack_files.read_all(repo) if repo else [])
    rows = [
        {"region": r.name, "site": dc.name, "target": dc.target, "pool": p.name, "tier": p.tier,
         "zones": list(p.compliance_zones), "vcpu": p.capacity.vcpu, "memory_gib": p.capacity.memory_gib,
         "free_vcpu": use[p.name].free_vcpu, "free_memory_gib": use[p.name].free_memory_gib, "stacks": use[p.name].stacks}
        for r, dc, p in sites.pools()
    ]
    if json:
        print_json(rows)
        return
    table = Table("region", "site", "target", "pool", "tier", "zones", "vCPU free/total", "memory GiB free/total",
                  "stacks", title="Sites map")
    for row in rows:
        cells = (row["region"], row["site"], row["target"], row["pool"], row["tier"], ", ".join(row["zones"]),
                 f"{row['free_vcpu']}/{row['vcpu']}", f"{row['free_memory_gib']}/{row['memory_gib']}", str(row["stacks"]))
        table.add_row(*(escape(c) for c in cells))
    console.print(table)
    regions = {row["region"] for row in rows}
    console.print(f"{len(regions)} regions, {len({row['site'] for row in rows})} data centers, {len(rows)} pools")
