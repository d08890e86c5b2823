"""`bp backend`: the Pulumi state backend infrastructure staff log in to."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cli.context import EXIT_FINDINGS, console, print_json, user_errors

app = typer.Typer(help="Create and check the Pulumi state backend (S3 bucket and KMS keys).", no_args_is_help=True)

STYLE = {"created": "green", "set": "green", "fixed": "green", "unchanged": "dim", "falls short": "red"}


@app.command("bootstrap")
def bootstrap(
    region: Annotated[str, typer.Option(help="AWS region of the bucket and keys.")],
    bucket: Annotated[str, typer.Option(help="State bucket name (globally unique).")],
    fix: Annotated[bool, typer.Option("--fix", help="Bring an existing bucket or key that falls short up to standard.")] = False,
    json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
) -> None:
    """Create, idempotently, an encrypted, versioned, TLS-only S3 state bucket and the KMS keys for state and secrets.

    An existing bucket or key is only checked; what falls short is listed and changed only with --fix
    (exit 1 when something falls short).
    """
    from accounts.backend import bootstrap as run
    from accounts.session import aws_errors, connect

    with user_errors(), aws_errors():
        report = run(connect(region), bucket, fix=fix)
    if json:
        print_json(report.to_json())
    else:
        for item in report.items:
            style = STYLE[item.status]
            console.print(f"[{style}]{item.status:>11}[/]  {escape(item.resource)}  {item.name}: {escape(item.detail)}")
        if report.short:
            console.print("Falls short; nothing was changed for it. Rerun with --fix to bring it up to standard.")
        elif not report.changed:
            console.print("Nothing to change: the backend is up to standard.")
        console.print("\nPoint Pulumi at it:")
        console.print(f"  pulumi login '{escape(report.login_url)}'", soft_wrap=True)
        console.print(f"  pulumi stack init <team>-<env> --secrets-provider '{escape(report.secrets_provider)}'",
                      soft_wrap=True)
        console.print("Preview-only Stacks need no passphrase: give their role the policy `--json` prints as "
                      "preview_policy (read the state, kms:Decrypt only).")
    if report.short:
        raise typer.Exit(EXIT_FINDINGS)
