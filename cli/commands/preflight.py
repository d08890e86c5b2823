"""`bp preflight`: check the target AWS account and region before `pulumi up`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cli.context import EXIT_FINDINGS, console, print_json, state, user_errors
from cli.stacks_arg import load_named


def preflight(
    ctx: typer.Context,
    stack: Annotated[str, typer.Argument(help="Stack name (team-env) or path to a stack file.")],
    json: Annotated[bool, typer.Option("--json", help="The checks as JSON.")] = False,
) -> None:
    """Check an AWS stack's account before `pulumi up`: region and zones, hub, roles, KMS aliases, VPC and EIP quotas.

    What the stack needs is read from an offline run of its program. One line per check; exit 1 if any fails.
    """
    from accounts.preflight import preflight as run
    from accounts.session import aws_errors
    from blueprints import yaml_io
    from blueprints.errors import BadInput
    from engine import ProgramError
    from engine.stacks import preview
    from store.stack_files import stack_path

    with user_errors():
        st = state(ctx)
        repo = st.repo
        (resolved,) = load_named(repo, [stack])
        if resolved.primary.target != "aws":
            raise BadInput(f"stack {resolved.stack} targets {resolved.primary.target}; preflight checks AWS accounts only")
        sites = st.sites()
        try:
            capture = preview(repo, resolved, sites)
        except ProgramError as exc:
            raise BadInput(f"the stack's program failed offline, fix that first: {exc}") from None
        path = stack if stack.endswith(".yaml") else stack_path(repo, resolved.stack)
        with aws_errors():
            report = run(resolved, sites, capture, yaml_io.load(path))
    if json:
        print_json(report.to_json())
    else:
        for c in report.checks:
            mark = "[green]pass[/]" if c.ok else "[red]FAIL[/]"
            console.print(f"{mark}  {escape(c.label)}: {escape(c.detail)}", soft_wrap=True)
        failed = sum(not c.ok for c in report.checks)
        console.print(f"{len(report.checks) - failed} of {len(report.checks)} checks passed")
    if not report.ok:
        raise typer.Exit(EXIT_FINDINGS)
