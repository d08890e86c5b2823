"""`bp policy`: the auditor's view of the packs: the catalog, the docs with a control matrix, and what-if impact."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from cli.context import console, print_json, state, user_errors
from cli.options import Format, formats

app = typer.Typer(help="The policy packs: list, document, and measure the impact of tightening a policy.", no_args_is_help=True)


class Level(str, Enum):
    advisory = "advisory"
    mandatory = "mandatory"
    disabled = "disabled"


@app.command("list")
def list_policies(json: Annotated[bool, typer.Option("--json", help="Policies as JSON.")] = False) -> None:
    """Every policy with its pack, severity, enforcement, description and controls."""
    from policy_packs.packs import PACKS, rules

    rows = [{"name": r.name, "pack": pack, "severity": r.severity.value, "enforcement": r.enforcement.value,
             "kind": "stack" if r.stack else "resource", "description": r.description, "remediation": r.remediation,
             "controls": {fw: list(ids) for fw, ids in r.controls.items()}, "config": dict(r.config)}
            for pack in PACKS for r in rules(pack)]
    if json:
        print_json(rows)
        return
    table = Table("policy", "pack", "severity", "enforcement", "description", title=f"{len(rows)} policies")
    for r in rows:
        table.add_row(r["name"], r["pack"], r["severity"], r["enforcement"], escape(r["description"]))
    console.print(table)


def _audit_all(ctx: typer.Context, **kwargs):
    from audit.run import run_audit
    from store import stack_files

    st = state(ctx)
    return run_audit(st.repo, stack_files.read_all(st.repo), st.sites(), in_process=True, **kwargs)


def _component_definition() -> str:
    from audit import oscal
    from audit.run import Auditor

    with Auditor(in_process=True) as auditor:
        return oscal.to_json(oscal.component_definition(auditor.policies))


@app.command()
def docs(
    ctx: typer.Context,
    fmt: Annotated[Format, formats("markdown", "html", "oscal", help="Page format.")] = Format.markdown,
    output: Annotated[Optional[Path], typer.Option(help="Write to this file (a regular file) instead of stdout; - is stdout.")] = None,
) -> None:
    """The catalog for auditors: every policy, and each framework control -> policies -> stacks passing.

    `--format oscal` writes the OSCAL component definition instead: each pack a component, each policy a rule with
    the NIST SP 800-53 controls it implements.
    """
    from reports.audit_html import docs_markdown, docs_page
    from store.outputs import output_file, write_file

    with user_errors():
        output = output_file(output)
        if fmt is Format.oscal:
            text = _component_definition()
        else:
            report = _audit_all(ctx)
            text = (docs_page if fmt is Format.html else docs_markdown)(report)
        if output is None:
            typer.echo(text, nl=False)
            return
        write_file(output, text)
    console.print(f"policy docs: {escape(str(output))}", highlight=False)


@app.command()
def impact(
    ctx: typer.Context,
    policy: Annotated[str, typer.Option(help="The policy to tighten.")],
    level: Annotated[Level, typer.Option(help="The enforcement level to try.")] = Level.mandatory,
    json: Annotated[bool, typer.Option("--json", help="Affected stacks and resources as JSON.")] = False,
) -> None:
    """Which stacks and resources would fail if POLICY were enforced at LEVEL, across every stack of the repository."""
    from blueprints.errors import BadInput
    from policy_packs.packs import pack_of

    with user_errors():
        pack = pack_of(policy)
        if pack is None:
            raise BadInput(f"--policy: no policy {policy!r} (bp policy list)")
        report = _audit_all(ctx, packs=[pack], config={policy: level.value})
    hits = [f for f in report.findings if f.policy == policy and f.status == "violation"]
    stacks = sorted({f.stack for f in hits})
    if json:
        print_json({"policy": policy, "level": level.value, "stacks_audited": len(report.results), "stacks_failing": stacks,
                    "findings": [f.to_json() for f in hits]})
        return
    for f in hits:
        console.print(f"{f.stack}: {escape(f.resource_type)} {escape(f.resource_name)}: {escape(f.message)}", highlight=False)
    verb = "would block" if level is Level.mandatory else "would flag"
    console.print(f"{policy} at {level.value} {verb} {len(stacks)} of {len(report.results)} stacks "
                  f"({len(hits)} resources)", highlight=False)
