"""`bp fleet patch plan|apply`: move stale decisions (images, templates, machines) to today's sites map, a day per wave."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from cli.commands.fleet_upgrade import AcceptLoss, Canary, Waves, parse_waves, print_notes, status
from cli.context import console, print_json, reporting, state, user_errors

app = typer.Typer(help="Roll today's releases out to stacks whose decisions are stale, in daily waves on a budget.",
                  no_args_is_help=True)

Budget = Annotated[Optional[int], typer.Option(
    "--budget", min=1, help="Machines (VMs, nodes) replaced per data center per day. Default: 20 (~300 a day over 16).")]


def _plan(ctx: typer.Context, waves: str, canary: str, budget: int | None, accept_data_loss: bool):
    from lifecycle.patch import DEFAULT_BUDGET, plan_patch

    envs, percent = parse_waves(waves, canary)
    st = state(ctx)
    return plan_patch(st.repo, st.catalog(), st.sites(), envs=envs, canary_percent=percent,
                      budget=budget or DEFAULT_BUDGET, accept_data_loss=accept_data_loss)


@app.command("plan")
def plan(
    ctx: typer.Context, waves: Waves = "dev,test,stage,prod", canary: Canary = "10%", budget: Budget = None,
    accept_data_loss: AcceptLoss = False,
    json: Annotated[bool, typer.Option("--json", help="The plan as JSON.")] = False,
) -> None:
    """Plan the patch: a wave a day by env, canaries first over data centers, machines replaced within the budget."""
    from cli.diff_view import counts_line
    from lifecycle.patch import changes, patch_json

    with user_errors():
        result = _plan(ctx, waves, canary, budget, accept_data_loss)
    if json:
        print_json(patch_json(result))
        return
    table = Table("day", "wave", "env", "kind", "stacks", "machines replaced", "changes", "status", title="Patch")
    for wave, row in zip(result.waves, patch_json(result)["waves"]):
        repaved = ", ".join(f"{dc} {n}" for dc, n in sorted(row["repaves"].items())) or "-"
        table.add_row(str(wave.day), str(wave.number), wave.env, wave.kind, str(len(wave.stacks)), repaved,
                      "-" if result.waiting(wave) else counts_line(result.wave_counts(wave)), status(result, wave))
    console.print(table)
    for upgrade in result.upgrades.values():
        for path, (old, new) in changes(upgrade).items():
            console.print(f"{upgrade.stack}: {path}: {escape(str(old))} -> {escape(str(new))}", soft_wrap=True)
    print_notes(result)
    for held in result.held:
        console.print(f"[yellow]held[/] {held.stack}: {escape(held.reason)}")
    console.print("\nApply one wave per pull request: bp fleet patch apply --wave 1")


@app.command("apply")
def apply(
    ctx: typer.Context,
    wave: Annotated[int, typer.Option("--wave", help="Wave number from `bp fleet patch plan`.")],
    waves: Waves = "dev,test,stage,prod", canary: Canary = "10%", budget: Budget = None,
    accept_data_loss: AcceptLoss = False,
    json: Annotated[bool, typer.Option("--json", help="The files written as JSON.")] = False,
) -> None:
    """Rewrite the decisions of one wave's stack files, and nothing else; refused while an earlier wave is pending.

    Pass the same --waves, --canary, --budget and --accept-data-loss as the plan, so the waves are the same.
    """
    from lifecycle.rollout import apply_wave_planned

    def report(result, outcomes) -> None:
        with reporting():
            written = [o.before.path.name for o in outcomes.values()]
            if json:
                print_json({"wave": wave, "written": written})
                return
            for outcome in outcomes.values():
                console.print(f"[green]Wrote[/] {escape(outcome.before.path.name)}", soft_wrap=True)
                for note in outcome.after.notes:
                    console.print(f"  {escape(note)}", soft_wrap=True)
            console.print(f"Wave {wave}: {len(written)} stack file(s); open one pull request with them.")

    with user_errors():
        apply_wave_planned(state(ctx).repo, lambda: _plan(ctx, waves, canary, budget, accept_data_loss), wave, report)
