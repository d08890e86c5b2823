"""`bp stacks`: the stamped stacks of the repository and their allocation ledger."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.context import console, print_json, state, user_errors

app = typer.Typer(help="List stamped stacks; rewrite the allocation ledger.", no_args_is_help=True)


def _row(bp) -> dict:
    return {
        "stack": bp.stack, "owner": bp.request.owner, "blueprint": bp.blueprint_ref, "size": bp.request.size,
        "placements": [{"region": p.region, "site": p.data_center, "pool": p.pool, "target": p.target,
                        "network": str(p.network.cidr) if p.network else None,
                        "vlan": p.network.vlan if p.network else None} for p in bp.placements],
    }


@app.command("list")
def list_stacks(ctx: typer.Context, json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List every stamped stack: owner, blueprint, placement and network."""
    from store import stack_files

    with user_errors():
        rows = [_row(bp) for bp in stack_files.read_all(state(ctx).repo)]
    if json:
        print_json(rows)
        return
    table = Table("stack", "owner", "blueprint", "size", "placement", "network", "VLAN", title="Stacks")
    for row in rows:
        for i, p in enumerate(row["placements"]):
            first = i == 0
            table.add_row(row["stack"] if first else "", row["owner"] if first else "", row["blueprint"] if first else "",
                          row["size"] if first else "", f"{p['region']}/{p['site']}/{p['pool']}", p["network"] or "-",
                          "-" if p["vlan"] is None else str(p["vlan"]))
    console.print(table)
    console.print(f"{len(rows)} stacks")


@app.command("ledger")
def write_ledger(ctx: typer.Context, accept_moves: bool = typer.Option(
        False, "--accept-moves", help="Also record allocations a stack file holds where the ledger recorded "
        "another (a network moved by hand); check each file first.")) -> None:
    """Rewrite stacks/allocations.txt from the stack files (after resolving a merge conflict in it).

    Refuses (exit 2, nothing written) when a stack file holds an allocation the ledger recorded otherwise.
    """
    from store import ledger, stack_files
    from store.lock import repo_lock

    with user_errors():
        repo = state(ctx).repo
        with repo_lock(repo):
            stacks = stack_files.read_all(repo)
            path = ledger.write(stack_files.stacks_folder(repo), stacks, accept_moves)
    console.print(f"Wrote {path.relative_to(repo)}: {sum(len(bp.placements) for bp in stacks)} allocations")


@app.command("migrate")
def migrate_stacks(ctx: typer.Context) -> None:
    """Rewrite stack files that copy the sites map's fleet tables to the decisions they record (no built value changes)."""
    from store.migrate import migrate

    with user_errors():
        repo = state(ctx).repo
        outcomes = migrate(repo)
    for name, outcome in outcomes.items():
        console.print(f"{name}: {', '.join(outcome.after.notes)}")
    console.print(f"Migrated {len(outcomes)} stack files")
