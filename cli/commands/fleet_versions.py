"""`bp fleet versions`: which blueprint versions the fleet runs, where, and how long deprecated ones have left."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.context import console, print_json, state, user_errors


def versions(ctx: typer.Context, json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List every blueprint version in use: stacks, data centers, and days until a deprecated version's sunset."""
    from blueprints import clock
    from lifecycle.versions import versions_in_use
    from store.stack_files import read_all

    with user_errors():
        st = state(ctx)
        rows = versions_in_use(read_all(st.repo), st.catalog())
    today = clock.today()
    if json:
        print_json([r.to_json(today) for r in rows])
        return
    table = Table("version", "stacks", "data centers", "sunset", title="Blueprint versions in use")
    for r in rows:
        days = r.days_left(today)
        sunset = "-" if days is None else (f"{r.sunset} ({days} days, move to {r.successor})" if days >= 0
                                           else f"[red]{r.sunset} (passed {-days} days ago)[/]")
        table.add_row(r.ref, str(r.stacks), ", ".join(f"{dc} ({n})" for dc, n in r.data_centers.items()), sunset)
    console.print(table)
