"""`bp portal`: the developer portal's view of the catalog and the fleet (Backstage)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.context import console, print_json, state, user_errors

app = typer.Typer(help="Backstage software templates and catalog entities from the catalog and the stamped stacks.",
                  no_args_is_help=True)


@app.command("export")
def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder to write (created; re-running updates it in place).")],
    github: Annotated[str, typer.Option("--github", help="OWNER/REPO the scaffolder opens pull requests against.")],
    branch: Annotated[str, typer.Option(help="Branch pull requests target.")] = "main",
    export_path: Annotated[str, typer.Option("--export-path", help="Where --out lives in that repository.")] = "portal",
    reports_url: Annotated[Optional[str], typer.Option("--reports-url", help="Base URL of published audit reports (links <URL>/audit/<stack>.html).")] = None,
    json: Annotated[bool, typer.Option("--json", help="How many files were written and removed, as JSON.")] = False,
) -> None:
    """Write a Template per requestable catalog version and a Resource per stack, System per team, Domain per zone.

    Backstage imports the folder through its catalog-info.yaml (a Location). Files an earlier export wrote and no
    longer produces are removed; nothing else in the folder is touched, and a file bp did not write is never
    overwritten.
    """
    from blueprints import yaml_io
    from blueprints.errors import BadInput
    from portal.export import export as write
    from portal.export import files
    from portal.templates import Publishing
    from store import stack_files

    with user_errors():
        owner, sep, repo = github.partition("/")
        if not (sep and owner and repo) or "/" in repo:
            raise BadInput(f"--github: '{github}' is not OWNER/REPO")
        st = state(ctx)
        project = str(yaml_io.load_data(st.repo / "Pulumi.yaml")["name"])
        wanted = files(st.catalog(), st.sites(), stack_files.read_all(st.repo), Publishing(owner, repo, branch, export_path),
                       project, reports_url)
        written, removed = write(out, wanted, st.repo)
    if json:
        print_json({"folder": str(out), "written": written, "removed": removed})
        return
    console.print(f"{out}: {written} files written, {removed} removed", soft_wrap=True, markup=False)
