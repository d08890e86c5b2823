"""Printing the findings of `fleet.invariants.check`: by stack (`bp validate`) or by rule (`bp fleet check`)."""

from __future__ import annotations

import typer
from rich.markup import escape

from cli.context import EXIT_FINDINGS, console, print_json


def _label(error: bool) -> str:
    return "[red]error[/]" if error else "[yellow]warning[/]"


def by_stack(findings: list, names: set[str], json: bool) -> None:
    """A line per stack a finding involves, then how many of `names` are valid; exit 1 on an error."""
    lines = [(stack, f) for f in findings for stack in f.stacks or ("fleet",)]
    if json:
        print_json({"stacks": sorted(names), "ok": not any(f.error for f in findings), "findings": [
            {"stack": stack, "rule": f.rule, "error": f.error, "message": f.message} for stack, f in lines]})
    else:
        for stack, f in lines:
            console.print(f"{_label(f.error)} {escape(stack)}: {escape(f.message)}", soft_wrap=True)
        console.print(f"{len(names - {s for s, f in lines if f.error})} of {len(names)} stacks valid")
    _exit(findings)


def by_rule(findings: list, stacks: int, json: bool) -> None:
    """A line per finding with its rule and stacks, then the counts; exit 1 on an error."""
    if json:
        print_json({"stacks": stacks, "ok": not any(f.error for f in findings), "findings": [f.as_json() for f in findings]})
    else:
        for f in findings:
            console.print(f"{_label(f.error)} [bold]{f.rule}[/] {escape(', '.join(f.stacks))}: {escape(f.message)}",
                          highlight=False)
        errors = sum(f.error for f in findings)
        console.print(f"{stacks} stacks checked: {errors} errors, {len(findings) - errors} warnings")
    _exit(findings)


def _exit(findings: list) -> None:
    if any(f.error for f in findings):
        raise typer.Exit(EXIT_FINDINGS)
