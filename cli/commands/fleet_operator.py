"""`bp fleet operator-manifests`: Pulumi Kubernetes Operator Stacks for every stack, so the operator runs `pulumi up`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from cli.context import console, state, user_errors


def operator_manifests(
    ctx: typer.Context,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write DIR/platform.yaml, DIR/stacks/*.yaml and a "
                                                "kustomization; files an earlier run wrote there (listed in DIR/.bp-manifest.json) and no longer "
                                                "wanted are removed, nothing else. Default (or -): stdout.")] = None,
    preview_only: Annotated[bool, typer.Option("--preview-only", help="Stacks that only preview, for a pull request.")] = False,
    branch: Annotated[Optional[str], typer.Option(help="Branch to deploy or preview. Default: the sites map's.")] = None,
    project_repo: Annotated[Optional[str], typer.Option(help="Git URL of this repository. Default: the sites map's.")] = None,
    namespace: Annotated[Optional[str], typer.Option(help="Namespace of the Stacks. Default: the sites map's.")] = None,
    organization: Annotated[Optional[str], typer.Option(help="Pulumi Cloud organization. Default: the sites map's.")] = None,
    patch_waves: Annotated[bool, typer.Option("--patch-waves", help="Chain the Stacks in the waves of `bp fleet patch "
                                              "plan` (default options): each wave waits for the one before to succeed "
                                              "within a day (spec.prerequisites).")] = False,
) -> None:
    """Generate Pulumi Kubernetes Operator v2 manifests: Namespace, ServiceAccount, RBAC, and a Stack per stack file.

    Settings come from the sites map's `operator` section; options override it. Secrets are referenced by name only.
    """
    from fleet.operator import manifests
    from fleet.operator_files import render_stdout, settings_from, write_dir
    from store import stack_files
    from store.outputs import STDOUT

    with user_errors():
        st = state(ctx)
        settings = settings_from(st.sites(), project_repo=project_repo, namespace=namespace, organization=organization,
                                 **({"preview_namespace": namespace} if preview_only and namespace else {}))
        result = manifests(stack_files.read_all(st.repo), settings, preview=preview_only, branch=branch)
        if patch_waves:
            result = _chained(st, result)
        if out is None or str(out) == STDOUT:
            typer.echo(render_stdout(result), nl=False)
            return
        written, removed = write_dir(out, result, st.repo)
    console.print(f"Wrote {written} Stacks and the platform objects to {escape(str(out))}"
                  + (f"; removed {removed} stale" if removed else ""))
    console.print(f"  kubectl apply -k {escape(str(out))}")


def _chained(st, result):
    """The manifests with their Stacks chained in today's patch waves."""
    from dataclasses import replace

    from fleet.operator import chained
    from lifecycle.patch import plan_patch

    plan = plan_patch(st.repo, st.catalog(), st.sites())
    return replace(result, stacks=chained(result.stacks, [w for w in plan.once_each() if w]))
