"""`bp preview`: run a stack's program offline and show every resource it would create."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from cli import completion
from cli.context import EXIT_FINDINGS, console, errors, print_json, state, user_errors, warn
from engine.provider_rules import Violation, violation_lines

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


def _tree(document: dict[str, Any]) -> Tree:
    root = Tree(f"[bold]{escape(document['stack'])}[/]")
    nodes: dict[str | None, Tree] = {}
    for r in document["resources"]:
        parent = nodes.get(r["parent"], root)
        style = "bold cyan" if not r["custom"] else ""
        label = f"[{style}]{escape(r['type'])}[/] {escape(r['name'])}" if style else escape(f"{r['type']} {r['name']}")
        flags = " [yellow](protected)[/]" if r["protect"] else ""
        nodes[r["urn"]] = parent.add(f"{label}{flags}[dim]{_summary(r['inputs'])}[/]")
    return root


def preview(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env) or path to a stack file.", autocompletion=completion.stack_names)],
    json: Annotated[bool, typer.Option("--json", help="resources (urn, type, name, parent, inputs, options) and outputs as JSON.")] = False,
) -> None:
    """Preview a stack offline: the resource tree with key properties, counts by type, and outputs.

    Answered by the repository's engine server, which the first such command starts (see `bp engine`), else run here.
    """
    from engine import server

    try:
        with user_errors():
            st = state(ctx)
            document = server.preview(st.repo, stack, st.sites_option, warn=warn)
    except server.ProgramFailed as exc:
        errors.print(f"[bold red]program failed:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_FINDINGS) from None

    if json:
        print_json(document, sort_keys=True)
        _refuse(document)
        return
    console.print(_tree(document))
    counts = Counter(r["type"] for r in document["resources"])
    table = Table("type", "count", title=f"{len(document['resources'])} resources")
    for type_token, n in sorted(counts.items()):
        table.add_row(escape(type_token), str(n))
    console.print(table)
    for read in document["reads"]:
        console.print(f"reads existing {escape(read['type'])} {escape(read['id'])}")
    outputs = Table("output", "value", title="Stack outputs")
    for key, value in document["outputs"].items():
        outputs.add_row(escape(key), escape(str(value)))
    console.print(outputs)
    _refuse(document)


def _refuse(document: dict[str, Any]) -> None:
    """One line per provider rule the preview breaks, then exit 1: a real provider would refuse the stack."""
    found = [Violation(**v) for v in document.get("violations", ())]
    if not found:
        return
    for line in violation_lines(document["stack"], found):
        errors.print(f"[bold red]refused:[/] {escape(line)}", soft_wrap=True, highlight=False)
    raise typer.Exit(EXIT_FINDINGS)
