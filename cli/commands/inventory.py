"""`bp inventory`: every resource of an AWS account and region, and which stack owns it."""

from __future__ import annotations

import csv
import dataclasses
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from cli.context import console, print_json, state, user_errors
from cli.options import Format, formats

STYLE = {"managed": "green", "orphaned": "yellow", "unowned": "red"}


def inventory(
    ctx: typer.Context,
    region: Annotated[str, typer.Option(help="AWS region to list.")],
    format: Annotated[Format, formats("table", "json", "csv", help="table for people, json or csv for tools.")] = Format.table,
    repo: Annotated[Optional[Path], typer.Option(help="Repository whose stacks are the fleet. Default: the global --repo, else the nearest one upward.")] = None,
) -> None:
    """List the account's resources in a region with their tags: managed by a stack, orphaned, or unowned.

    Managed: its team and env tags name a stack of the repository. Orphaned: they name a stack that no
    longer exists. Unowned: it has no team or env tag.
    """
    from accounts.inventory import counts, list_resources, reconcile
    from accounts.session import aws_errors, connect
    from store import stack_files

    with user_errors():
        st = state(ctx)
        if repo is not None:
            st = dataclasses.replace(st, repo_option=repo)
        stacks = stack_files.read_all(st.repo)
        with aws_errors():
            rows = reconcile(list_resources(connect(region)), stacks)
    records = [r.row() for r in rows]
    if format is Format.json:
        print_json({"region": region, "counts": counts(rows), "resources": records})
    elif format is Format.csv:
        out = csv.writer(sys.stdout)
        out.writerow(["kind", "id", "ownership", "stack", "team", "env", "missing_tags"])
        for rec in records:
            out.writerow([rec["kind"], rec["id"], rec["ownership"], rec["stack"], rec["team"], rec["env"],
                          " ".join(rec["missing_tags"])])
    else:
        table = Table("kind", "ownership", "stack", "team", "env", "missing tags", title=f"AWS inventory, {region}")
        table.add_column("id", overflow="fold")
        for rec in records:
            style = STYLE[rec["ownership"]]
            # An unowned resource lacks every ownership tag; listing them all says nothing new.
            missing = "" if rec["ownership"] == "unowned" else ", ".join(rec["missing_tags"])
            table.add_row(rec["kind"], f"[{style}]{rec['ownership']}[/]", rec["stack"], escape(rec["team"]),
                          escape(rec["env"]), missing, escape(rec["id"]))
        console.print(table)
        console.print(", ".join(f"{n} {kind}" for kind, n in counts(rows).items()))
