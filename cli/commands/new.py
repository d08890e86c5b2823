"""`bp new`: validate a request, place it, allocate its network and write the stack file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from cli import options
from cli.context import console, errors, print_json, reporting, state, user_errors
from cli.explain import explained, show

# What a person is asked for a required field missing from the flags and the file (a terminal attached).
PROMPTS = {
    "blueprint": "Blueprint (name[@version], see `bp catalog list`)",
    "env": "Environment (dev, test, stage, prod)",
    "owner": "Owner e-mail",
    "cost_center": "Cost center",
    "region": "Region (see `bp sites list`; leave empty to give a site)",
}


def _prompter(st):
    """The request builder's `ask`: a prompt per missing field, asked again until the answer is right on its own."""
    from blueprints.request_builder import answer_problem

    def checked(field: str):
        def check(value: str) -> str:
            problem = answer_problem(field, value.strip(), st.catalog(), st.sites())
            if problem:
                raise typer.BadParameter(problem)
            return value.strip()
        return check

    def ask(field: str) -> dict[str, Any]:
        answer = typer.prompt(PROMPTS[field], default="" if field == "region" else None, show_default=False,
                              value_proc=checked(field))
        if field == "region" and not answer:
            return {"site": typer.prompt("Site (see `bp sites list`)", value_proc=checked("site"))}
        return {field: answer}
    return ask


def new(
    ctx: typer.Context, team: options.Team, blueprint: options.Blueprint = None, env: options.Env = None,
    target: options.Target = None, region: options.Region = None, site: options.Site = None, size: options.Size = None,
    owner: options.Owner = None, cost_center: options.CostCenter = None, contact: options.Contact = None,
    compliance_zone: options.ComplianceZone = None, data_service: options.DataService = None,
    param: options.Param = None, from_file: options.FromFile = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Resolve and print; write nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Change an existing stack; its placement and network are kept.")] = False,
    move_network: Annotated[bool, typer.Option("--move-network", help="With --force: re-place the stack and re-allocate its network.")] = False,
    prod_network_move: Annotated[bool, typer.Option("--i-understand-prod-network-move", help="Allow --move-network on a prod stack.")] = False,
    unpin: Annotated[bool, typer.Option("--unpin", help="With --force: move a pinned stack to another version and remove its pin.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print the resolved blueprint as JSON.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Say per pool why it was chosen or not.")] = False,
) -> None:
    """Request a blueprint for a team: validate, place, allocate and write stacks/Pulumi.<team>-<env>.yaml."""
    from blueprints.request_builder import RequestInput, build
    from engine.provider_rules.requests import check_request
    from store.stamp import StampOptions, stamp

    flags = {"blueprint": blueprint, "env": env, "target": target, "region": region, "site": site, "size": size,
             "owner": owner, "cost_center": cost_center, "contact": contact, "compliance_zone": compliance_zone}
    with user_errors():
        st = state(ctx)
        repo = st.found_repo() if dry_run else st.repo  # a dry run works outside a repository too
        catalog = st.catalog()
        given = RequestInput(team, flags, data_service or [], param or [], from_file)
        request = build(given, catalog, _prompter(st) if sys.stdin.isatty() else None)
        check_request(request, catalog.get(request.blueprint).targets)
        opts = StampOptions(force=force, dry_run=dry_run, move_network=move_network, prod_network_move=prod_network_move,
                            unpin=unpin)
        sites = st.sites()
        with explained(explain, machine_output=json) as trace:
            report = _reporter(trace, catalog, sites, request.stack, repo, dry_run=dry_run, json=json)
            done = stamp(repo, request, catalog, sites, opts, trace=trace, confirm=None if dry_run else report)
        if dry_run:
            report(done)


def _reporter(trace, catalog, sites, stack: str, repo: Path | None, *, dry_run: bool, json: bool):
    """The report of a stamp, printed before its files are replaced (or, for a dry run, after it)."""
    from cost.budget import review
    from cost.estimate import estimate
    from store import stack_files

    shown = stack_files.stack_path(repo or Path.cwd(), stack).relative_to(repo or Path.cwd())

    def report(done) -> None:
        with reporting():
            show(trace, machine_output=json)
            entry = catalog.get(done.resolved.blueprint_ref)
            priced, over = review(done.resolved, entry, sites)
            for warning in [*catalog.warnings(entry), *([over] if over else [])]:
                errors.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
            # A dry run writes nothing: the file on disk is the stack as it is before the change.
            before = (estimate(stack_files.read_stack(done.path), sites)
                      if dry_run and priced is not None and done.old_text is not None else None)
            _report(done, stack, shown, dry_run=dry_run, json=json, priced=priced, before=before)
    return report


def _report(done, stack: str, shown: Path, *, dry_run: bool, json: bool, priced=None, before=None) -> None:
    """What was stamped (or would be): the resolved blueprint as JSON, a dry run's diff, or placements and next steps;
    a dry run also shows the monthly cost (`priced`, None without prices), or its change on an existing stack."""
    from cli import cost_views

    resolved = done.resolved
    if json:
        print_json(resolved.model_dump(mode="json", exclude_none=True))
        return
    if dry_run and done.old_text is not None:
        diff = done.diff(str(shown))
        sys.stdout.write(diff or f"{shown}: no change\n")
        if before is not None:
            console.print(f"monthly cost: {cost_views.change(before.monthly, priced.monthly)}", soft_wrap=True,
                          markup=False)
        return
    verb = "Would write" if dry_run else "Wrote"
    console.print(f"[green]{verb}[/] {escape(str(shown))}: {resolved.blueprint_ref} for {stack}", soft_wrap=True)
    for note in done.notes:
        console.print(f"  {escape(note)}", soft_wrap=True)
    for placement in resolved.placements:
        net = placement.network
        where = f"{placement.region}/{placement.data_center}/{placement.pool} ({placement.target}, {placement.tier})"
        alloc = f", network {net.cidr}" + (f", VLAN {net.vlan}" if net and net.vlan else "") if net else ""
        console.print(f"  placed in {where}{alloc}", soft_wrap=True)
    if dry_run and priced is not None:
        console.print(cost_views.as_table(priced))
    if not dry_run:
        console.print("\nNext steps:")
        # Next steps are pasted into a shell: one command per line, never wrapped.
        for line in (f"  bp validate {stack}        # check it against the catalog, sites map and other stacks",
                     f"  bp preview {stack}         # see every resource offline",
                     f"  git add {shown} {shown.parent}/allocations.txt"
                     f"   # then open a pull request; infrastructure staff run `pulumi up -s {stack}`"):
            console.print(escape(line), soft_wrap=True)
