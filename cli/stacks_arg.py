"""Reading the stacks a command names, with errors that say which file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blueprints.resolved import ResolvedBlueprint


def load_named(repo: Path, names: list[str]) -> list[ResolvedBlueprint]:
    """The stacks named (as `team-env` or a path to a stack file), each once: a stack named twice is refused."""
    from blueprints import free_text
    from store import stack_files

    chosen = [stack_files.read_stack(stack_files.named_stack_file(repo, name)) for name in names]
    free_text.distinct((bp.stack for bp in chosen), "STACKS")
    return chosen


def stack_named(name: str) -> str:
    """The stack a command names, as `team-env` or by its file (`stacks/Pulumi.team-env.yaml`)."""
    from store.stack_files import stack_name

    return stack_name(Path(name).name) if name.endswith(".yaml") else name
