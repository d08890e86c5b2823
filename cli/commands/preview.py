"""`bp preview`: run a stack's program offline and show every resource it would create."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from cli import completion
from cli.context import EXIT_FINDINGS, console, errors, print_json, state, user_errors
from engine.provider_rules import violation_lines

# Inputs worth a glance in the tree, in the order they are shown.
KEY_PROPERTIES = (
    "cidrBlock", "availabilityZone", "engine", "engineVersion", "instanceClass", "nodeType", "instanceType",
    "kafkaVersion", "version", "multiAz", "storageEncrypted", "vlanId", "numCpus", "memory", "kind",
)


def _summary(inputs: dict[str, Any]) -> str:
    shown = [f"{k}={inputs[k]}" for k in KEY_PROPERTIES if isinstance(inputs.get(k), (str, int, float, bool))]
    meta = inputs.get("metadata")
    if isinstance(meta, dict) and meta.get("name"):
        shown.insert(0, f"name={meta.get('namespace') + '/' if meta.get('namespace') else ''}{meta['name']}")
    return escape("  " + " ".join(shown[:4])) if shown else ""


def _tree(capture) -> Tree:
    root = Tree(f"[bold]{escape(capture.stack)}[/]")
    nodes: dict[str | None, Tree] = {}
    for r in capture.resources:
        parent = nodes.get(r.parent, root)
        style = "bold cyan" if not r.custom else ""
        label = f"[{style}]{escape(r.type)}[/] {escape(r.name)}" if style else escape(f"{r.type} {r.name}")
        flags = " [yellow](protected)[/]" if r.protect else ""
        nodes[r.urn] = parent.add(f"{label}{flags}[dim]{_summary(r.inputs)}[/]")
    return root


def preview(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env) or path to a stack file.", autocompletion=completion.stack_names)],
    json: Annotated[bool, typer.Option("--json", help="resources (urn, type, name, parent, inputs, options) and outputs as JSON.")] = False,
) -> None:
    """Preview a stack offline: the resource tree with key properties, counts by type, and outputs.

    Answered by the repository's engine server when one runs (`bp engine start`), else run here.
    """
    from engine import server

    try:
        with user_errors():
            st = state(ctx)
            capture = server.preview(st.repo, stack, st.sites_option)
    except server.ProgramFailed as exc:
        errors.print(f"[bold red]program failed:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_FINDINGS) from None

    if json:
        print_json(capture.to_json(), sort_keys=True)
        _refuse(capture)
        return
    console.print(_tree(capture))
    counts = Counter(r.type for r in capture.resources)
    table = Table("type", "count", title=f"{len(capture.resources)} resources")
    for type_token, n in sorted(counts.items()):
        table.add_row(escape(type_token), str(n))
    console.print(table)
    for read in capture.reads:
        console.print(f"reads existing {escape(read.type)} {escape(read.id)}")
    outputs = Table("output", "value", title="Stack outputs")
    for key, value in capture.stack_outputs.items():
        outputs.add_row(escape(key), escape(str(value)))
    console.print(outputs)
    _refuse(capture)


def _refuse(capture) -> None:
    """One line per provider rule the preview breaks, then exit 1: a real provider would refuse the stack."""
    if not capture.violations:
        return
    for line in violation_lines(capture.stack, capture.violations):
        errors.print(f"[bold red]refused:[/] {escape(line)}", soft_wrap=True, highlight=False)
    raise typer.Exit(EXIT_FINDINGS)
