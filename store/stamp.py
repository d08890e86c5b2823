"""Stamp a request into the repository: decide under the allocation lock, write atomically, keep the ledger.

A stamp is a change like any other (`stack_change.change`): a re-stamp keeps a retirement and a pin, and moves
neither its version off a holding pin without --unpin nor its placement without --move-network.

Two `bp new` in one repository cannot take the same range: the second waits for the lock and then
decides against the stack files as they are after the first one's write, so the existence check and
the allocation are re-done under the lock, not trusted from before it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from blueprints import clock
from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest, is_prod
from blueprints.placement.allocation_index import AllocationIndex
from blueprints.placement.resolve import resolve
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from store import stack_files
from store.change import Allow, Outcome, Proposed, Snapshot, carried_pin, change, check_invariants, render_change


@dataclass(frozen=True)
class Stamped:
    """What a stamp decided and wrote (or, for a dry run, would write)."""

    resolved: ResolvedBlueprint
    path: Path
    old_text: str | None
    new_text: str
    notes: tuple[str, ...] = ()
    """What else the stamp did (a pin removed), for the output."""

    def diff(self, label: str) -> str:
        """A unified diff of the stack file, empty when nothing changes or there was no file."""
        if self.old_text is None:
            return ""
        return "".join(difflib.unified_diff(self.old_text.splitlines(keepends=True), self.new_text.splitlines(keepends=True),
                                            f"a/{label}", f"b/{label}"))


@dataclass(frozen=True)
class StampOptions:
    """How far a stamp may go with an existing stack file."""

    force: bool = False
    dry_run: bool = False
    move_network: bool = False
    prod_network_move: bool = False
    unpin: bool = False


def _decide(snap: Snapshot, request: BlueprintRequest, catalog: Catalog, sites: SitesMap,
            opts: StampOptions, trace: list | None, today: date) -> Proposed:
    """The stack's new state, decided against every stack of the repository as it is now."""
    current = snap.state(request.stack)
    if current.text is not None and not (opts.force or opts.dry_run):
        raise BadInput(f"{current.path.name} exists; pass --force to replace it", current.path)
    if opts.move_network and current.text is not None and is_prod(request.env) and not opts.prod_network_move:
        raise BadInput("--move-network: moving a prod stack's network replaces the network and everything in it; "
                       "add --i-understand-prod-network-move to do it anyway")
    resolved = resolve(request, catalog, sites, AllocationIndex(snap.stacks()), move_network=opts.move_network,
                       trace=trace)
    if current.stack is not None and current.stack.retired:  # still being decommissioned: a re-stamp keeps that
        resolved = resolved.model_copy(update={"retirement": current.stack.retirement})
    pin, notes = carried_pin(current, resolved.blueprint_ref, opts.unpin, today)
    return Proposed(resolved, pin, Allow(move=opts.move_network, unpin=opts.unpin), notes)


def _stamped(outcome: Outcome) -> Stamped:
    return Stamped(outcome.after.stack, outcome.before.path, outcome.before.text, outcome.text, outcome.after.notes)


def stamp(repo: Path | None, request: BlueprintRequest, catalog: Catalog, sites: SitesMap,
          opts: StampOptions = StampOptions(), trace: list | None = None,
          confirm: Callable[[Stamped], None] | None = None, today: date | None = None) -> Stamped:
    """Resolve the request against the repository and write its stack file and the ledger, under the lock.

    `confirm` sees what is stamped before any file changes (see stack_change.change). A dry run may have no
    repository (`repo` None): it is then resolved against no stamped stacks.
    """
    today = today or clock.today()
    if repo is None and opts.dry_run:
        resolved = resolve(request, catalog, sites, trace=trace)
        return Stamped(resolved, stack_files.stack_path(Path.cwd(), request.stack), None, stack_files.render(resolved))
    stack_files.stacks_folder(repo)
    if opts.dry_run:
        snap = Snapshot(repo)
        proposed = _decide(snap, request, catalog, sites, opts, trace, today)
        before = snap.state(request.stack)
        check_invariants(before, proposed, today)
        return _stamped(Outcome(before, proposed, render_change(before, proposed)))
    done = change(repo, lambda snap: {request.stack: _decide(snap, request, catalog, sites, opts, trace, today)},
                  (lambda out: confirm(_stamped(out[request.stack]))) if confirm else None, today)
    return _stamped(done[request.stack])
