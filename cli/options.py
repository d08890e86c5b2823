"""Options more than one command shares, and the one output `Format`: declared once, so they read and behave alike.

Each option is an `Annotated` type a command's parameter takes (`json: options.Json = False`).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli import completion


class Format(str, Enum):
    """Every output format a command writes; each command names the ones it offers (`Format.choose`)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    sarif = "sarif"
    junit = "junit"
    oscal = "oscal"
    pulumi_events = "pulumi-events"
    infracost = "infracost"


def formats(*offered: str, help: str, short: bool = False):
    """The `--format` option of a command that writes the `offered` formats (refusing the others as click would)."""
    def parse(value: str | Format) -> Format:
        text = value.value if isinstance(value, Format) else value
        if text not in offered:
            raise typer.BadParameter(f"'{text}' is not one of {', '.join(repr(o) for o in offered)}.")
        return Format(text)
    return typer.Option("--format", *(("-f",) if short else ()), parser=parse, metavar=f"<{'|'.join(offered)}>",
                        help=help, autocompletion=lambda: list(offered))


FindingsJson = Annotated[bool, typer.Option("--json", help="Findings as JSON.")]
Stacks = Annotated[Optional[list[str]], typer.Argument(help="Stack names (team-env) or stack files.",
                                                       autocompletion=completion.stack_names)]
AllStacks = Annotated[bool, typer.Option("--all", help="Every stack in the repository.")]

# The request `bp new` takes: each a field of `bp schema`.
Team = Annotated[str, typer.Argument(help="Team name: lower-case letters, digits and '-', starting with a letter; as long as "
                                          "every resource accepts (blueprints/team_budget.json).")]
Blueprint = Annotated[Optional[str], typer.Option("--blueprint", "-b", help="NAME[@VERSION] from `bp catalog list`.",
                                                  autocompletion=completion.blueprint_refs)]
Env = Annotated[Optional[str], typer.Option("--env", "-e", help="dev, test, stage or prod.", autocompletion=completion.envs)]
Target = Annotated[Optional[str], typer.Option(help="aws or vsphere. Default: the site's, else the blueprint's first.",
                                               autocompletion=completion.targets)]
Region = Annotated[Optional[str], typer.Option(help="Region of the sites map (e.g. amer).", autocompletion=completion.regions)]
Site = Annotated[Optional[str], typer.Option(help="Data center of the sites map (e.g. ny1).",
                                             autocompletion=completion.site_names)]
Size = Annotated[Optional[str], typer.Option(help="S, M, L or XL. Default: M.", autocompletion=completion.sizes)]
Owner = Annotated[Optional[str], typer.Option(help="Owner's e-mail address.")]
CostCenter = Annotated[Optional[str], typer.Option(help="Cost center to charge.")]
Contact = Annotated[Optional[str], typer.Option(help="On-call contact. Default: the owner.")]
ComplianceZone = Annotated[Optional[str], typer.Option(help="general, pci, sox or hipaa. Default: general.")]
DataService = Annotated[Optional[list[str]], typer.Option("--data-service", "-d",
                                                          help="KIND[:SIZE], repeatable. Default: the blueprint's.")]
Param = Annotated[Optional[list[str]], typer.Option("--param", "-p", help="NAME=VALUE for a declared parameter, repeatable.")]
FromFile = Annotated[Optional[Path], typer.Option("--from", help="YAML request (fields of `bp schema`); flags override it.")]

# The options `bp audit` and `bp fleet audit` share.
Output = Annotated[Optional[Path], typer.Option(help="Write the report to this file (a regular file) instead of stdout; - is stdout.")]
Packs = Annotated[Optional[list[str]], typer.Option("--pack", help="Only these packs (repeatable). Default: all.")]
PolicyConfig = Annotated[Optional[Path], typer.Option("--config", help="Policy config JSON, as for pulumi preview --policy-pack-config.")]
Exemptions = Annotated[Optional[Path], typer.Option("--exemptions", help="Exemptions file. Default: policy_packs/exemptions.yaml.")]

# The options of commands that run every stack of the fleet (`bp fleet preview`, `bp fleet audit`).
Jobs = Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Worker processes. Default: one per core.")]
Shard = Annotated[Optional[str], typer.Option("--shard", help="Run only shard I of N (I/N), e.g. one job of a CI matrix.")]
StreamJson = Annotated[bool, typer.Option("--json", help="One JSON line per stack as it finishes, then a summary line.")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Run every stack, even those whose inputs have not changed.")]
