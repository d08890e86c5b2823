"""`bp new --explain`: every pool's verdict per placement, printed even when no pool fits."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.table import Table

from cli.context import console, errors


def _table(trace: list, placement: int) -> Table:
    from blueprints.placement.pool_choice import RULE

    table = Table("pool", "site", "region", "verdict", title=f"Placement {placement + 1}: {RULE}", title_justify="left")
    for v in (v for v in trace if v.placement == placement):
        chosen = v.reason.startswith("chosen")
        style = "bold green" if chosen else "" if v.fits else "dim"
        table.add_row(v.pool.name, v.data_center.name, v.region.name, v.reason, style=style)
    return table


@contextmanager
def explained(enabled: bool, machine_output: bool = False) -> Iterator[list | None]:
    """Yield a trace list for `resolve` when enabled; print it on the way out, whether placement succeeded or not.

    With machine output on stdout the explanation goes to stderr.
    """
    if not enabled:
        yield None
        return
    trace: list = []
    try:
        yield trace
    finally:
        show(trace, machine_output)


def show(trace: list | None, machine_output: bool = False) -> None:
    """Print the verdicts collected so far (once: they are taken out of `trace`)."""
    if not trace:
        return
    out: Console = errors if machine_output else console
    for placement in sorted({v.placement for v in trace}):
        out.print(_table(trace, placement))
    trace.clear()
