"""Operator settings from the sites map and CLI overrides; manifests out as one YAML stream or a kustomize folder."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from blueprints import yaml_io
from blueprints.errors import BadInput, field_path, first_error
from blueprints.fleet_operator import Manifests
from blueprints.fleet_operator_settings import OperatorSettings
from blueprints.sites import SitesMap


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


def write_dir(out: Path, result: Manifests) -> tuple[int, int]:
    """A kustomize folder: platform.yaml, one file per Stack, and kustomization.yaml; stale Stack files removed.

    Returns (Stacks written, stale files removed).
    """
    stacks_dir = Path(out) / "stacks"
    stacks_dir.mkdir(parents=True, exist_ok=True)
    names = [f"{doc['metadata']['name']}.yaml" for doc in result.stacks]
    yaml_io.write_atomic(Path(out) / "platform.yaml", _stream(result.platform))
    for name, doc in zip(names, result.stacks):
        yaml_io.write_atomic(stacks_dir / name, yaml_io.dump(doc))
    stale = [p for p in stacks_dir.glob("*.yaml") if p.name not in set(names)]
    for path in stale:
        path.unlink()
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                     "resources": ["platform.yaml", *(f"stacks/{n}" for n in names)]}
    yaml_io.write_atomic(Path(out) / "kustomization.yaml", yaml_io.dump(kustomization))
    return len(names), len(stale)
