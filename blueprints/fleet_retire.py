"""Retiring a stack: mark it in its stack file; what it holds is freed only when the file is gone.

A retired stack is still deployed until infrastructure staff destroy it, so it keeps counting against its
pool and keeps its network and VLAN: placement reads every stack file present, retired or not. Deleting the
file (after `pulumi destroy` and `pulumi stack rm`) is what frees them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from blueprints import clock, stack_files
from blueprints.errors import BadInput
from blueprints.repo_lock import repo_lock
from blueprints.resolved import ResolvedBlueprint, Retirement


def retire(repo: Path, stack: str, reason: str, today: date | None = None) -> tuple[ResolvedBlueprint, bool]:
    """Mark `stack` retired (atomically rewriting its file); returns it and whether it was newly marked."""
    path = stack_files.stack_path(repo, stack)
    if not path.is_file():
        raise BadInput(f"no stack '{stack}' in this repository", path)
    if not reason.strip():
        raise BadInput("--reason: say why the stack is retired")
    # Under the allocation lock, so a concurrent re-stamp of the same stack cannot interleave with this rewrite.
    with repo_lock(repo):
        current = stack_files.read_stack(path)
        if current.retired:
            return current, False
        retired = current.model_copy(update={"retirement": Retirement(since=today or clock.today(), reason=reason.strip())})
        stack_files.write_stack(repo, retired, force=True)
    return retired, True
