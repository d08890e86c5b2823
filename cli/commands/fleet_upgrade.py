"""`bp fleet upgrade plan|apply`: move every stack of a blueprint to a new version, one wave (one PR) at a time."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.context import console, print_json, reporting, state, user_errors

app = typer.Typer(help="Staged rollouts of a blueprint version across the fleet.", no_args_is_help=True)

Blueprint = Annotated[str, typer.Option("--blueprint", "-b", help="Blueprint name.")]
To = Annotated[str, typer.Option("--to", help="Target VERSION (or NAME@VERSION).")]
Waves = Annotated[str, typer.Option("--waves", help="Envs in rollout order, comma-separated.")]
Canary = Annotated[str, typer.Option("--canary", help="Share of each env that goes first, e.g. 10%; 0 for none.")]
AcceptLoss = Annotated[bool, typer.Option("--accept-data-loss", help="Include stacks whose diff loses data.")]


def parse_waves(waves: str, canary: str) -> tuple[tuple[str, ...], int]:
    """--waves and --canary as the rollout engine takes them; BadInput names the option."""
    from blueprints.errors import BadInput
    from blueprints.free_text import distinct_items
    from lifecycle.rollout import ENVS

    envs = distinct_items(waves, "--waves")
    unknown = [e for e in envs if e not in ENVS]
    if unknown or not envs:
        raise BadInput(f"--waves: '{waves}' must list envs from {', '.join(ENVS)}")
    text = canary.strip().removesuffix("%")
    if not text.isdigit() or int(text) > 100:
        raise BadInput(f"--canary: '{canary}' is not a percentage from 0% to 100%")
    return tuple(envs), int(text)


def status(result, wave) -> str:
    """applied, pending, or waiting for an earlier step (a Kubernetes hop, an HA stack's first data center)."""
    if result.applied(wave):
        return "[green]applied[/]"
    return "after an earlier step" if result.waiting(wave) else "pending"


def print_notes(result) -> None:
    """What a reviewer must know beyond each pending stack's counts (a major engine upgrade), once per stack."""
    for wave in result.waves:
        for stack in result.pending(wave):
            for note in result.upgrades[stack].diff.notes():
                console.print(f"[yellow]note[/] {stack} (wave {wave.number}): {escape(note)}", soft_wrap=True)


def _plan(ctx: typer.Context, blueprint: str, to: str, waves: str, canary: str, accept_data_loss: bool):
    from lifecycle.rollout import plan_rollout

    envs, percent = parse_waves(waves, canary)
    st = state(ctx)
    return plan_rollout(st.repo, st.catalog(), st.sites(), blueprint=blueprint, to=to, envs=envs,
                        canary_percent=percent, accept_data_loss=accept_data_loss)


@app.command("plan")
def plan(
    ctx: typer.Context, blueprint: Blueprint, to: To, waves: Waves = "dev,test,stage,prod", canary: Canary = "10%",
    accept_data_loss: AcceptLoss = False,
    json: Annotated[bool, typer.Option("--json", help="The plan as JSON.")] = False,
) -> None:
    """Plan the rollout: waves by env, a canary share of each env spread over data centers, pinned and refused stacks."""
    from cli import cost_views
    from cli.diff_view import counts_line
    from cost.change import monthly_change

    with user_errors():
        result = _plan(ctx, blueprint, to, waves, canary, accept_data_loss)
        sites = state(ctx).sites()
        costs = {w.number: monthly_change([(result.upgrades[s].before, result.upgrades[s].after)
                                           for s in result.pending(w)], sites) for w in result.waves}
    if json:
        print_json({**result.to_json(), **({"monthly_cost": {str(n): cost_views.change_json(*c) for n, c in costs.items()}}
                                            if sites.prices else {})})
        return
    table = Table("wave", "env", "kind", "Kubernetes", "stacks", "data centers", "machines replaced", "changes",
                  "monthly cost", "status", title=f"Rollout of {result.target_ref}")
    for wave in result.waves:
        dcs = sorted({result.upgrades[s].before.primary.data_center for s in wave.stacks if s in result.upgrades})
        cost = costs[wave.number]
        repaved = ", ".join(f"{dc} {n}" for dc, n in sorted(result.wave_repaves(wave).items())) or "-"
        table.add_row(str(wave.number), wave.env, wave.kind, wave.hop or "-", str(len(wave.stacks)),
                      ", ".join(dcs) or "-", repaved,
                      "-" if result.waiting(wave) else counts_line(result.wave_counts(wave)),
                      escape(cost_views.change(*cost)) if cost and result.pending(wave) else "-", status(result, wave))
    console.print(table)
    for wave in result.waves:
        hop = f", Kubernetes {wave.hop}" if wave.hop else ""
        console.print(f"[bold]wave {wave.number}[/] ({wave.env} {wave.kind}{hop}): " + escape(", ".join(wave.stacks)))
    print_notes(result)
    for held in result.held:
        console.print(f"[yellow]held[/] {held.stack} ({held.version}): {escape(held.reason)}")
    console.print(f"\nApply one wave per pull request: bp fleet upgrade apply --blueprint {blueprint} --to {result.to} --wave 1")


@app.command("apply")
def apply(
    ctx: typer.Context, blueprint: Blueprint, to: To,
    wave: Annotated[int, typer.Option("--wave", help="Wave number from `bp fleet upgrade plan`.")],
    waves: Waves = "dev,test,stage,prod", canary: Canary = "10%", accept_data_loss: AcceptLoss = False,
    json: Annotated[bool, typer.Option("--json", help="The files written as JSON.")] = False,
) -> None:
    """Rewrite the stack files of one wave, and nothing else; refused while an earlier wave is not applied.

    Pass the same --waves, --canary and --accept-data-loss as the plan, so the waves are the same.
    """
    from lifecycle.rollout import apply_wave_planned

    def report(result, outcomes) -> None:
        with reporting():
            written = [o.before.path for o in outcomes.values()]
            if json:
                print_json({"wave": wave, "to": result.target_ref, "written": [p.name for p in written]})
            else:
                for outcome in outcomes.values():
                    console.print(f"[green]Wrote[/] {escape(outcome.before.path.name)}: {result.target_ref}",
                                  soft_wrap=True)
                    for note in outcome.after.notes:
                        console.print(f"  {escape(note)}", soft_wrap=True)
                console.print(f"Wave {wave}: {len(written)} stack file(s); open one pull request with them.")

    with user_errors():
        apply_wave_planned(state(ctx).repo, lambda: _plan(ctx, blueprint, to, waves, canary, accept_data_loss), wave,
                           report)
