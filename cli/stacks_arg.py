"""Reading the stacks a command names, with errors that say which file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blueprints.resolved import ResolvedBlueprint


def load_named(repo: Path, names: list[str]) -> list[ResolvedBlueprint]:
    """The stacks named (as `team-env` or a path to a stack file), each once: a stack named twice is refused."""
    from store.stack_files import read_named

    return read_named(repo, names)


def stack_named(name: str) -> str:
    """The stack a command names, as `team-env` or by its file (`stacks/Pulumi.team-env.yaml`)."""
    from store.stack_files import stack_name

    return stack_name(Path(name).name) if name.endswith(".yaml") else name
