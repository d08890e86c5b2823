"""Reading the stacks a command names, with errors that say which file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from blueprints.errors import BadInput

if TYPE_CHECKING:
    from blueprints.resolved import ResolvedBlueprint


def load_named(repo: Path, names: list[str]) -> list[ResolvedBlueprint]:
    """The stacks named (as `team-env` or a path to a stack file)."""
    from blueprints import stack_files

    out = []
    for name in names:
        path = Path(name) if name.endswith(".yaml") else stack_files.stack_path(repo, name)
        if not path.exists():
            known = ", ".join(stack_files.stack_name(p) for p in stack_files.list_stack_files(repo)) or "none"
            raise BadInput(f"no stack '{name}' (stacks in this repository: {known})")
        out.append(stack_files.read_stack(path))
    return out
