"""`bp new`: validate a request, place it, allocate its network and write the stack file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from blueprints.errors import BadInput, field_path, first_error
from cli import completion
from cli.context import console, errors, print_json, reporting, state, user_errors
from cli.explain import explained, show

# Fields a person may be asked for when they are missing and a terminal is attached.
PROMPTS = {
    "blueprint": "Blueprint (name[@version], see `bp catalog list`)",
    "env": "Environment (dev, test, stage, prod)",
    "owner": "Owner e-mail",
    "cost_center": "Cost center",
    "region": "Region (see `bp sites list`; leave empty to give a site)",
}


def _flag(field: str) -> str:
    name = field.split(".")[0].split("[")[0]
    return "TEAM" if name == "team" else "--" + name.replace("_", "-")


def _field_error(field: str, value: str) -> str | None:
    """What is wrong with one answer on its own, judged by the request model."""
    from pydantic import ValidationError

    from blueprints.models import BlueprintRequest

    sample = {"team": "placeholder", "env": "dev", "blueprint": "x", "owner": "a@b.cd", "cost_center": "CC-0"}
    try:
        BlueprintRequest.model_validate({**sample, field: value})
    except ValidationError as exc:
        loc, msg = first_error(exc)
        return msg if loc and loc[0] == field else None
    return None


def _answer_check(field: str, st) -> Any:
    """A prompt's value_proc: a wrong answer is shown with what is wrong, and the question is asked again."""
    def check(value: str) -> str:
        value = value.strip()
        try:
            if field == "blueprint":
                st.catalog().get(value)
            elif field == "region" and value and value not in {r.name for r in st.sites().regions}:
                raise BadInput(f"unknown region '{value}' (known: {', '.join(r.name for r in st.sites().regions)})")
            elif field == "site" and value not in {dc.name for _, dc in st.sites().data_centers()}:
                raise BadInput(f"unknown site '{value}' (see `bp sites list`)")
        except BadInput as exc:
            raise typer.BadParameter(str(exc).removeprefix("blueprint: ")) from None
        problem = _field_error(field, value) if field not in ("region", "site") else None
        if problem:
            raise typer.BadParameter(problem)
        return value
    return check


def _request_from_file(path: Path) -> dict[str, Any]:
    from pydantic import ValidationError

    from blueprints import yaml_io
    from blueprints.models import BlueprintRequest

    data = yaml_io.load(path)
    # Validate the file on its own first, so an error points at its line.
    if not isinstance(data, dict):
        raise BadInput("expected a mapping of request fields (see `bp schema`)", path, 1)
    try:
        BlueprintRequest.model_validate({"team": "placeholder", "env": "dev", "blueprint": "x", "owner": "a@b.cd",
                                         "cost_center": "CC-0", **data})
    except ValidationError as exc:
        loc, msg = first_error(exc)
        raise BadInput(f"{field_path(loc)}: {msg}", path, yaml_io.line_of(data, loc)) from exc
    return dict(data)


def _data_services(specs: list[str]) -> list[dict[str, str]]:
    out = []
    for spec in specs:
        kind, _, size = spec.partition(":")
        out.append({"kind": kind, **({"size": size} if size else {})})
    return out


def _prompt_missing(fields: dict[str, Any], st) -> None:
    interactive = sys.stdin.isatty()
    for field, question in PROMPTS.items():
        if field == "region" and fields.get("site"):
            continue
        if fields.get(field):
            continue
        if not interactive:
            if field == "region":
                raise BadInput("--region or --site is required (no terminal to prompt on)")
            raise BadInput(f"{_flag(field)} is required (no terminal to prompt on)")
        answer = typer.prompt(question, default="" if field == "region" else None, show_default=False,
                              value_proc=_answer_check(field, st))
        if field == "region" and not answer:
            fields["site"] = typer.prompt("Site (see `bp sites list`)", value_proc=_answer_check("site", st))
        else:
            fields[field] = answer


def new(
    ctx: typer.Context,
    team: Annotated[str, typer.Argument(help="Team name: lower-case letters, digits and '-', starting with a letter; as long as every resource accepts (blueprints/team_budget.json).")],
    blueprint: Annotated[Optional[str], typer.Option("--blueprint", "-b", help="NAME[@VERSION] from `bp catalog list`.", autocompletion=completion.blueprint_refs)] = None,
    env: Annotated[Optional[str], typer.Option("--env", "-e", help="dev, test, stage or prod.", autocompletion=completion.envs)] = None,
    target: Annotated[Optional[str], typer.Option(help="aws or vsphere. Default: the site's, else the blueprint's first.", autocompletion=completion.targets)] = None,
    region: Annotated[Optional[str], typer.Option(help="Region of the sites map (e.g. amer).", autocompletion=completion.regions)] = None,
    site: Annotated[Optional[str], typer.Option(help="Data center of the sites map (e.g. ny1).", autocompletion=completion.site_names)] = None,
    size: Annotated[Optional[str], typer.Option(help="S, M, L or XL. Default: M.", autocompletion=completion.sizes)] = None,
    owner: Annotated[Optional[str], typer.Option(help="Owner's e-mail address.")] = None,
    cost_center: Annotated[Optional[str], typer.Option(help="Cost center to charge.")] = None,
    contact: Annotated[Optional[str], typer.Option(help="On-call contact. Default: the owner.")] = None,
    compliance_zone: Annotated[Optional[str], typer.Option(help="general, pci, sox or hipaa. Default: general.")] = None,
    data_service: Annotated[
        Optional[list[str]], typer.Option("--data-service", "-d", help="KIND[:SIZE], repeatable. Default: the blueprint's.")
    ] = None,
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="NAME=VALUE for a declared parameter, repeatable.")] = None,
    from_file: Annotated[Optional[Path], typer.Option("--from", help="YAML request (fields of `bp schema`); flags override it.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Resolve and print; write nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Change an existing stack; its placement and network are kept.")] = False,
    move_network: Annotated[
        bool, typer.Option("--move-network", help="With --force: re-place the stack and re-allocate its network.")
    ] = False,
    prod_network_move: Annotated[
        bool, typer.Option("--i-understand-prod-network-move", help="Allow --move-network on a prod stack.")
    ] = False,
    unpin: Annotated[
        bool, typer.Option("--unpin", help="With --force: move a pinned stack to another version and remove its pin.")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help="Print the resolved blueprint as JSON.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Say per pool why it was chosen or not.")] = False,
) -> None:
    """Request a blueprint for a team: validate, place, allocate and write stacks/Pulumi.<team>-<env>.yaml."""
    from pydantic import ValidationError

    from blueprints import free_text
    from blueprints.models import BlueprintRequest
    from cost.budget import review
    from cost.estimate import estimate
    from engine.provider_rules.requests import check_request
    from store import stack_files
    from store.stamp import Stamped, StampOptions, stamp

    with user_errors():
        st = state(ctx)
        # A dry run also works outside a repository: there are no stamped stacks to keep clear of.
        repo = st.found_repo() if dry_run else st.repo
        fields: dict[str, Any] = _request_from_file(from_file) if from_file else {}
        flags = {"team": team, "blueprint": blueprint, "env": env, "target": target, "region": region, "site": site,
                 "size": size, "owner": owner, "cost_center": cost_center, "contact": contact,
                 "compliance_zone": compliance_zone}
        fields.update({k: v for k, v in flags.items() if v is not None})
        if data_service:
            fields["data_services"] = _data_services(data_service)
        _prompt_missing(fields, st)

        catalog = st.catalog()
        if param:
            entry = catalog.get(str(fields["blueprint"]))
            params = dict(fields.get("parameters") or {})
            free_text.distinct((item.partition("=")[0] for item in param), "--param")
            for item in param:
                name, sep, text = item.partition("=")
                if not sep:
                    raise BadInput(f"--param: '{item}' is not NAME=VALUE")
                if name not in entry.parameters:
                    known = ", ".join(entry.parameters) or "none"
                    raise BadInput(f"--param {name}: not a parameter of {entry.ref} (declared: {known})")
                declared = entry.parameters[name]
                try:
                    params[name] = declared.check(name, declared.from_text(name, text))
                except BadInput as exc:
                    raise BadInput(str(exc).replace(f"parameters.{name}:", f"--param {name}:", 1)) from None
            fields["parameters"] = params
        try:
            request = BlueprintRequest.model_validate(fields)
        except ValidationError as exc:
            loc, msg = first_error(exc)
            raise BadInput(f"{_flag(field_path(loc))} ({field_path(loc)}): {msg}") from None
        check_request(request, catalog.get(request.blueprint).targets)

        path = stack_files.stack_path(repo or Path.cwd(), request.stack)
        shown = path.relative_to(repo or Path.cwd())
        if path.exists() and not force and not dry_run:
            raise BadInput(f"{path.name} exists; pass --force to replace it", path)
        opts = StampOptions(force=force, dry_run=dry_run, move_network=move_network, prod_network_move=prod_network_move,
                            unpin=unpin)

        def report(done: Stamped) -> None:
            with reporting():
                show(trace, machine_output=json)
                entry = catalog.get(done.resolved.blueprint_ref)
                priced, over = review(done.resolved, entry, st.sites())
                for warning in [*catalog.warnings(entry), *([over] if over else [])]:
                    errors.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
                # A dry run writes nothing: the file on disk is the stack as it is before the change.
                before = (estimate(stack_files.read_stack(done.path), st.sites())
                          if dry_run and priced is not None and done.old_text is not None else None)
                _report(done, request.stack, shown, dry_run=dry_run, json=json, priced=priced, before=before)

        with explained(explain, machine_output=json) as trace:
            done = stamp(repo, request, catalog, st.sites(), opts, trace=trace, confirm=None if dry_run else report)
        if dry_run:
            report(done)


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
