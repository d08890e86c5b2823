"""Retiring a stack: mark it in its stack file; what it holds is freed only when the file is gone.

A retired stack is still deployed until infrastructure staff destroy it, so it keeps counting against its
pool and keeps its network and VLAN: placement reads every stack file present, retired or not. Deleting the
file (after `pulumi destroy` and `pulumi stack rm`) is what frees them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from blueprints import clock
from blueprints.errors import BadInput
from blueprints.resolved import ResolvedBlueprint, Retirement
from store.change import Proposed, change


def retire(repo: Path, stack: str, reason: str, today: date | None = None,
           confirm: Callable[[ResolvedBlueprint, bool], None] | None = None) -> tuple[ResolvedBlueprint, bool]:
    """Mark `stack` retired under the repository lock; returns it and whether it was newly marked.

    `confirm` sees the same before the file changes (see stack_change.change).
    """
    if not reason.strip():
        raise BadInput("--reason: say why the stack is retired")

    def plan(snap):
        current = snap.existing(stack)
        marked = current.stack
        if not marked.retired:
            mark = Retirement(since=today or clock.today(), reason=reason.strip())
            marked = marked.model_copy(update={"retirement": mark})
        return {stack: Proposed(marked, current.pin)}

    done = change(repo, plan, (lambda out: confirm(out[stack].after.stack, out[stack].changed)) if confirm else None,
                  today)[stack]
    return done.after.stack, done.changed
