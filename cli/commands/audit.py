"""`bp audit`: run stacks offline and evaluate the policy packs over the Analyzer protocol, as the real engine does."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from cli.context import EXIT_FINDINGS, console, errors, state, user_errors
from cli.options import Exemptions, Format, Output, Packs, PolicyConfig, formats


_STYLE = {"violation": "red", "exempt": "dim", "undecided": "yellow"}


def render(report, fmt: Format) -> str:
    """The report as text in a file format."""
    from reports import audit as reports
    from reports import audit_html as report_html

    return {Format.json: reports.to_json, Format.sarif: reports.to_sarif, Format.markdown: reports.to_markdown,
            Format.junit: reports.to_junit, Format.html: report_html.audit_page}[fmt](report)


def _print_stack(result) -> None:
    if result.error:
        console.print(f"[red]✗[/] {result.stack}: could not be audited: {escape(result.error)}", highlight=False)
        return
    mark = "[red]✗[/]" if result.blocking else "[green]✓[/]"
    console.print(f"{mark} {result.stack}: {result.resources} resources, {len(result.blocking)} blocking, "
                  f"{len(result.findings)} findings", highlight=False)


def _print_table(report) -> None:
    if report.findings:
        table = Table("stack", "status", "level", "severity", "policy", "resource", "message", title="Findings")
        for f in report.findings:
            table.add_row(f.stack, f"[{_STYLE[f.status]}]{f.status}[/]", f.enforcement, f.severity, f.policy,
                          escape(f"{f.resource_type} {f.resource_name}"), escape(f.message))
        console.print(table)
    for e in report.unused:
        console.print(f"[yellow]unused exemption[/] {e.ticket} ({e.policy}, {e.stack}, {escape(e.resource)}) "
                      f"at {report.exemptions_file}:{e.line}", highlight=False)
    counts = Counter("advisory" if f.status == "violation" and not f.blocking else f.status for f in report.findings)
    console.print(f"{len(report.results)} stacks against {len(report.policies)} policies: "
                  f"{sum(f.blocking for f in report.findings)} mandatory violations, {counts['advisory']} advisory, "
                  f"{counts['exempt']} exempt, {counts['undecided']} undecided", highlight=False)


def load_stacks(ctx: typer.Context, stacks: list[str] | None, all_stacks: bool):
    """The repository, the chosen stacks and the sites map (BadInput when none is named)."""
    from cli.stacks_arg import load_named
    from store import stack_files

    st = state(ctx)
    repo = st.repo
    if not stacks and not all_stacks:
        raise typer.BadParameter("name at least one stack, or pass --all")
    chosen = stack_files.read_all(repo) if all_stacks else load_named(repo, stacks or [])
    return repo, chosen, st.sites()


def audit(
    ctx: typer.Context,
    stacks: Annotated[Optional[list[str]], typer.Argument(help="Stack names (team-env) or stack files.")] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Every stack in the repository.")] = False,
    fmt: Annotated[Format, formats("table", "json", "sarif", "markdown", "html", "junit", help="Report format.")] = Format.table,
    output: Output = None,
    pack: Packs = None,
    config: PolicyConfig = None,
    exemptions: Exemptions = None,
) -> None:
    """Audit stacks against the policy packs; exit 1 while a mandatory violation remains."""
    from audit.run import load_config, run_audit
    from engine.analyzer import PackError
    from store.outputs import output_file, write_file

    with user_errors():
        repo, chosen, sites = load_stacks(ctx, stacks, all_stacks)
        output = output_file(output)
        if output is not None and fmt is Format.table:
            raise typer.BadParameter("--output needs a file format: json, sarif, markdown, html or junit")
        settings = load_config(config) if config else None
        progress = _print_stack if fmt is Format.table or output is not None else None
        try:
            report = run_audit(repo, chosen, sites, packs=pack, config=settings, config_source=str(config or "--config"),
                               exemptions_file=exemptions, on_result=progress)
        except PackError as exc:
            errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_FINDINGS) from None
    if fmt is Format.table:
        _print_table(report)
    elif output is not None:
        with user_errors():
            write_file(output, render(report, fmt))
        console.print(f"{fmt.value} report: {escape(str(output))}", highlight=False)
    else:
        typer.echo(render(report, fmt), nl=False)
    if report.failed:
        if fmt is Format.table or output is not None:
            errors.print(f"[red]{sum(len(r.blocking) for r in report.results)} mandatory violation(s)[/]")
        raise typer.Exit(EXIT_FINDINGS)
