"""`bp fleet check`: fleet-wide invariants over every stack of the repository."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli import findings, options
from cli.context import state, user_errors


def check(
    ctx: typer.Context,
    json: options.FindingsJson = False,
    warn_days: Annotated[Optional[int], typer.Option(
        "--warn-days", min=0, help="Warn this many days before a support end. Default: the sites map's support.warn_days (90).")] = None,
) -> None:
    """Check fleet invariants: overlapping networks, VLANs shared on a switch, over-committed pools, versions, support ends, owners."""
    from fleet.invariants import check as run_checks
    from fleet.stamped import load_fleet

    with user_errors():
        st = state(ctx)
        fleet = load_fleet(st.repo, st.catalog(), st.sites())
        fleet.warn_days = warn_days
    findings.by_rule(run_checks(fleet), len(fleet.stacks) + len(fleet.unreadable), json)
