"""The stamped `stacks/Pulumi.<team>-<env>.yaml` files: read, list and write them safely."""

from __future__ import annotations

import json
from pathlib import Path

from blueprints import yaml_io
from blueprints.errors import BadInput
from blueprints.resolved import CONFIG_KEY, ResolvedBlueprint

CREDENTIALED_PACKAGES = ("aws", "kubernetes", "vsphere")

HEADER = """\
# Stamped by `bp new` from {ref}: the resolved blueprint for stack {stack}.
# Review it in a pull request; change it with `bp new ... --force`, not by hand.
"""


def stacks_dir(repo: Path) -> Path:
    """Where stack files live (Pulumi.yaml's stackConfigDir)."""
    return Path(repo) / "stacks"


def stack_path(repo: Path, stack: str) -> Path:
    """The file of one stack."""
    return stacks_dir(repo) / f"Pulumi.{stack}.yaml"


def stack_name(path: Path) -> str:
    """`Pulumi.payments-prod.yaml` -> `payments-prod`."""
    return Path(path).name.removeprefix("Pulumi.").removesuffix(".yaml")


def list_stack_files(repo: Path) -> list[Path]:
    """Every stack file in the repository, sorted."""
    return sorted(stacks_dir(repo).glob("Pulumi.*.yaml"))


def read_stack(path: Path) -> ResolvedBlueprint:
    """The resolved blueprint of a stack file; BadInput names the file, line and field."""
    data = yaml_io.load_data(path)
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict) or CONFIG_KEY not in data["config"]:
        raise BadInput(f"no '{CONFIG_KEY}' under 'config'; not a stamped stack file", path)
    resolved = yaml_io.parse(ResolvedBlueprint, data["config"][CONFIG_KEY], path, prefix=("config", CONFIG_KEY))
    if resolved.stack != stack_name(path):
        raise BadInput(f"holds stack {resolved.stack}; the file must be Pulumi.{resolved.stack}.yaml", path)
    return resolved


def read_all(repo: Path) -> list[ResolvedBlueprint]:
    """Every stack of the repository."""
    return [read_stack(p) for p in list_stack_files(repo)]


def config_of(resolved: ResolvedBlueprint) -> dict:
    """The stack's Pulumi config, as the CLI would pass it to the program."""
    return {CONFIG_KEY: resolved.model_dump(mode="json", exclude_none=True)}


def render(resolved: ResolvedBlueprint) -> str:
    """The stack file's text."""
    config = {
        # Resources that reach an account, a vCenter or a cluster must use the providers the
        # program builds for its placement; random holds no credentials and keeps its default.
        "pulumi:disable-default-providers": list(CREDENTIALED_PACKAGES),
        **json.loads(json.dumps(config_of(resolved))),
    }
    return HEADER.format(ref=resolved.blueprint_ref, stack=resolved.stack) + yaml_io.dump({"config": config})


def write_stack(repo: Path, resolved: ResolvedBlueprint, force: bool = False) -> Path:
    """Write the stack file atomically; an existing one is replaced only with `force`."""
    path = stack_path(repo, resolved.stack)
    if path.exists() and not force:
        raise BadInput(f"{path.name} exists; pass --force to replace it", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    yaml_io.write_atomic(path, render(resolved))
    return path
