"""`bp stacks migrate`: rewrite stack files that copy the sites map's fleet tables to the decisions they give.

The decisions come from each file's own recorded tables (`stack_files.legacy_in`), never from today's sites map,
so every built value stays as it was; a sites-map change then reaches the stack through `bp fleet check` and
`bp fleet patch`. The rewrite goes through the one change path: under the lock, all files or none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from store import stack_files
from store.change import Outcome, Proposed, Snapshot, change

NOTE = "records decisions instead of the sites map's fleet tables"


def migrate(repo: Path, confirm: Callable[[dict[str, Outcome]], None] | None = None) -> dict[str, Outcome]:
    """Rewrite every stack file stamped before decisions; the others are left as they are."""

    def plan(snap: Snapshot) -> dict[str, Proposed]:
        states = (snap.state(stack_files.stack_name(p)) for p in stack_files.list_stack_files(repo))
        return {s.name: Proposed(s.stack, s.pin, notes=(NOTE,)) for s in states if s.legacy}

    return change(repo, plan, confirm)
