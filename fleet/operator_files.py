"""Operator settings from the sites map and CLI overrides; manifests out as one YAML stream or a kustomize folder."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from blueprints import yaml_io
from blueprints.errors import BadInput, field_path, first_error
from blueprints.fleet_operator_settings import OperatorSettings
from blueprints.sites import SitesMap
from fleet.operator import Manifests
from store.outputs import write_folder


def settings_from(sites: SitesMap, **overrides: str | None) -> OperatorSettings:
    """The sites map's `operator` section with the options given on the command line laid over it."""
    given = {k: v for k, v in overrides.items() if v is not None}
    base = sites.operator.model_dump() if sites.operator else {}
    try:
        return OperatorSettings.model_validate({**base, **given})
    except ValidationError as exc:
        loc, msg = first_error(exc)
        flag = f" (--{loc[0].replace('_', '-')})" if loc and loc[0] in overrides else ""
        raise BadInput(f"operator.{field_path(loc)}{flag}: {msg}; set it in the sites map's operator section") from None


def _stream(docs: list[dict]) -> str:
    return "".join("---\n" + yaml_io.dump(doc) for doc in docs)


def render_stdout(result: Manifests) -> str:
    """Everything as one multi-document YAML stream, platform objects first."""
    return _stream(result.platform + result.stacks)


def write_dir(out: Path, result: Manifests, repo: Path) -> tuple[int, int]:
    """A kustomize folder: platform.yaml, one file per Stack, and kustomization.yaml; the files an earlier run wrote
    there and this one does not are removed (see output_files.write_folder).

    Returns (Stacks written, stale files removed).
    """
    names = [f"stacks/{doc['metadata']['name']}.yaml" for doc in result.stacks]
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                     "resources": ["platform.yaml", *names]}
    files = {"platform.yaml": _stream(result.platform), **{n: yaml_io.dump(d) for n, d in zip(names, result.stacks)},
             "kustomization.yaml": yaml_io.dump(kustomization)}
    _, removed = write_folder(out, files, repo)
    return len(names), removed
