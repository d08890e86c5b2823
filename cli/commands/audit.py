"""`bp audit`: run stacks offline (or read deployed state) and evaluate the policy packs, in this process or, with
--conformance, over the Analyzer protocol as the real engine does (same findings); `bp audit verify` checks signed
evidence."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from typer.core import TyperCommand, TyperGroup

from cli.context import EXIT_FINDINGS, console, errors, print_json, state, user_errors
from cli.options import Exemptions, Format, Output, Packs, PolicyConfig, formats


class _RunByDefault(TyperGroup):
    """`bp audit [STACK...]` audits; a first word naming a subcommand (`verify`) runs that instead."""

    def parse_args(self, ctx, args):
        if not args or args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


class _AuditCommand(TyperCommand):
    """The default command: its usage reads `bp audit …`, as it is typed, not `bp audit run …`."""

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.parent.command_path if ctx.parent else ctx.command_path,
                              " ".join(self.collect_usage_pieces(ctx)))


app = typer.Typer(cls=_RunByDefault, help="Audit stacks against the policy packs; verify signed evidence.")


_STYLE = {"violation": "red", "exempt": "dim", "undecided": "yellow"}


def render(report, fmt: Format, repo: Path | None = None, evidence=None, drift=None, started: float | None = None) -> str:
    """The report as text in a file format (`evidence`: what the HTML links to; `drift`: added to JSON)."""
    from audit import drift as drift_, oscal, pulumi_events
    from reports import audit as reports
    from reports import audit_html as report_html

    if fmt is Format.oscal:
        return oscal.to_json(oscal.assessment_results(report, repo, evidence.run if evidence else oscal.Run.since(started)))
    if fmt is Format.pulumi_events:
        return pulumi_events.to_lines(report, started)
    if fmt is Format.html:
        return report_html.audit_page(report, evidence)
    if fmt is Format.json and drift is not None:
        return drift_.with_drift(reports.to_json(report), drift)
    return {Format.json: reports.to_json, Format.sarif: reports.to_sarif, Format.markdown: reports.to_markdown,
            Format.junit: reports.to_junit}[fmt](report)


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


def _check_options(fmt: Format, output, stacks, all_stacks: bool, state_file, against, attest_key, evidence_dir) -> None:
    if output is not None and fmt is Format.table:
        raise typer.BadParameter("--output needs a file format: json, sarif, markdown, html, junit, oscal or pulumi-events")
    if attest_key is not None and output is None and evidence_dir is None:
        raise typer.BadParameter("--attest signs files: give --output or --evidence")
    if against and state_file is None:
        raise typer.BadParameter("--against compares deployed state with a stack file: give --state too")
    if state_file is not None and (stacks or all_stacks):
        raise typer.BadParameter("--state audits one deployed stack: name no stacks and leave out --all")


def _run(ctx: typer.Context, stacks, all_stacks: bool, state_file, against, progress, **options):
    """The audit report, the repository, and the drift (only with --state and --against)."""
    from audit.run import run_audit, served_audit

    if state_file is None:
        if len(stacks or []) == 1 and not all_stacks and options.get("in_process"):
            served = served_audit(state(ctx).repo, stacks[0], state(ctx).sites_option,
                                  **{k: v for k, v in options.items() if k != "in_process"})
            if served is not None:
                if progress:
                    progress(served.results[0])
                return served, state(ctx).repo, None
        repo, chosen, sites = load_stacks(ctx, stacks, all_stacks)
        return run_audit(repo, chosen, sites, on_result=progress, **options), repo, None
    from audit.drift import run_state_audit
    from cli.stacks_arg import load_named

    st = state(ctx)
    target = load_named(st.repo, [against])[0] if against else None
    report, drift = run_state_audit(state_file, repo=st.repo, against=target, sites=st.sites() if target else None,
                                    **options)
    if progress:
        progress(report.results[0])
    return report, st.repo, drift


def _print_drift(drift) -> None:
    if not drift.resources:
        console.print(f"no drift: {drift.state} matches {drift.source}", highlight=False)
        return
    table = Table("change", "resource", "properties", "policies with another verdict",
                  title=f"Drift of {drift.stack}: what pulumi up of {drift.source} would change")
    for r in drift.resources:
        table.add_row(r.kind, escape(r.urn.rsplit("::", 1)[-1] + f" ({r.type})"), escape(", ".join(r.properties)),
                      escape(", ".join(r.policies)))
    console.print(table)


def _write_outputs(report, repo, fmt: Format, output, attest_key, evidence_dir, drift, started: float) -> None:
    from store.outputs import write_file

    if fmt is not Format.table or evidence_dir is not None:
        from reports import evidence  # OSCAL's models load slowly: only for the files that need them
    if fmt is Format.table:
        _print_table(report)
        if drift is not None:
            _print_drift(drift)
    elif output is not None:
        envelope = evidence.envelope_path(output).name
        links = evidence.links(report, repo, attest_key, envelope=envelope, started=started) if fmt is Format.html else None
        write_file(output, render(report, fmt, repo, links, drift, started))
        console.print(f"{fmt.value} report: {escape(str(output))}", highlight=False)
        if attest_key is not None:
            signed = evidence.attest_file(report, repo, output, attest_key)
            console.print(f"attestation: {escape(str(signed))}", highlight=False)
    else:
        typer.echo(render(report, fmt, repo, None, drift, started), nl=False)
    if evidence_dir is not None:
        names = evidence.write_bundle(report, repo, evidence_dir, attest_key, started)
        console.print(f"evidence in {escape(str(evidence_dir))}: {', '.join(names)}", highlight=False)


@app.command("run", hidden=True, cls=_AuditCommand)
def audit(
    ctx: typer.Context,
    stacks: Annotated[Optional[list[str]], typer.Argument(help="Stack names (team-env) or stack files.")] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Every stack in the repository.")] = False,
    fmt: Annotated[Format, formats("table", "json", "sarif", "markdown", "html", "junit", "oscal", "pulumi-events",
                                    help="Report format.")] = Format.table,
    output: Output = None,
    pack: Packs = None,
    config: PolicyConfig = None,
    exemptions: Exemptions = None,
    state_file: Annotated[Optional[Path], typer.Option(
        "--state", help="Audit deployed state: the JSON `pulumi stack export` prints (version 3).")] = None,
    against: Annotated[Optional[str], typer.Option(
        help="With --state: also list the drift from this stack (name or file) as it would build now.")] = None,
    attest_key: Annotated[Optional[Path], typer.Option(
        "--attest", help="Sign the written evidence with this PEM private key (ed25519 or ECDSA): a DSSE envelope.")] = None,
    evidence_dir: Annotated[Optional[Path], typer.Option(
        "--evidence", help="Also write the evidence folder: findings, SARIF, HTML, OSCAL and, with --attest, the envelope.")] = None,
    conformance: Annotated[bool, typer.Option(
        "--conformance", help="Run each pack as its own process over the Analyzer gRPC protocol, as the Pulumi engine "
                              "does (slower; by default the same policies run in this process, with the same findings).")] = False,
) -> None:
    """Audit stacks against the policy packs; exit 1 while a mandatory violation remains.

    `bp audit verify ENVELOPE --key PUBLIC_KEY` checks evidence signed with --attest.
    """
    from store.outputs import output_file
    from audit.run import load_config
    from policy_packs.meta import PackError, PolicyError

    started = time.time()
    with user_errors():
        output = output_file(output)
        _check_options(fmt, output, stacks, all_stacks, state_file, against, attest_key, evidence_dir)
        if attest_key is not None:  # a bad key or envelope path is refused before anything is written
            from audit import attest
            from reports import evidence

            attest.load_signer(attest_key)
            if output is not None:
                output_file(evidence.envelope_path(output), "--attest")
        settings = load_config(config) if config else None
        progress = _print_stack if fmt is Format.table or output is not None else None
        try:
            report, repo, drift = _run(ctx, stacks, all_stacks, state_file, against, progress, packs=pack, config=settings,
                                       config_source=str(config or "--config"), exemptions_file=exemptions,
                                       in_process=not conformance)
        except (PackError, PolicyError) as exc:
            errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_FINDINGS) from None
        _write_outputs(report, repo, fmt, output, attest_key, evidence_dir, drift, started)
    if report.failed:
        if fmt is Format.table or output is not None:
            errors.print(f"[red]{sum(len(r.blocking) for r in report.results)} mandatory violation(s)[/]")
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def verify(
    ctx: typer.Context,
    envelope: Annotated[Path, typer.Argument(help="The DSSE envelope bp audit --attest wrote.")],
    key: Annotated[Path, typer.Option(help="The PEM public key the evidence should be signed with.")],
    json: Annotated[bool, typer.Option("--json", help="What was checked and what did not match, as JSON.")] = False,
) -> None:
    """Check signed evidence: the envelope's signature, then each stack file's and report's sha256; exit 1 on any mismatch."""
    from audit.attest import verify as check

    with user_errors():
        result = check(envelope, key, state(ctx).repo)
    if json:
        print_json({"ok": result.ok, "checked": result.checked, "problems": result.problems,
                    "result": (result.statement or {}).get("predicate", {}).get("result")})
        raise typer.Exit(0 if result.ok else EXIT_FINDINGS)
    for name in result.checked:
        console.print(f"[green]✓[/] {escape(name)}", highlight=False)
    for problem in result.problems:
        errors.print(f"[red]✗[/] {escape(problem)}", highlight=False, soft_wrap=True)
    if not result.ok:
        errors.print(f"[red]verification failed: {len(result.problems)} problem(s)[/]")
        raise typer.Exit(EXIT_FINDINGS)
    predicate = (result.statement or {}).get("predicate", {})
    console.print(f"verified: signature and {len(result.checked)} subject(s); the audit result was "
                  f"{predicate.get('result', '?')}", highlight=False)
