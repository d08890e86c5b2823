"""The one way to change stack files: read under the repository lock, apply a typed change, check, swap, release.

A change is a function from the repository as it is under the lock (`Snapshot`) to the new state of each stack it
touches (`Proposed`). Nothing is computed from a file read before the lock and written over what is there now:
a change that needs a slow step outside the lock (an upgrade's offline diff) states what it was computed from, and
is refused as `Stale` when that is no longer the file's content, so the caller computes it again.

Every change keeps the invariants (`check_invariants`): a retired stack stays retired; a holding pin is neither
dropped nor left behind by a version move unless the change says so (`--unpin`, or `bp pin` setting it anew); a pin
names the version its stack is on; placements and networks move only with `--move-network`. The stack files and the
allocation ledger are then replaced together, all or nothing (`file_swap`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Mapping

from blueprints import clock, yaml_io
from blueprints.errors import BadInput
from blueprints.resolved import ResolvedBlueprint
from store import ledger, stack_files
from store.file_swap import replace_files
from store.lock import repo_lock
from store.pins import Pin, pin_in, with_pin


class Stale(BadInput):
    """The stack changed since the change was computed from it; compute it again from the file as it is now."""


@dataclass(frozen=True)
class StackState:
    """One stack file as read under the lock; `text` None when there is no file yet."""

    name: str
    path: Path
    text: str | None = None
    stack: ResolvedBlueprint | None = None
    pin: Pin | None = None
    legacy: bool = False
    """The file copies the sites map's fleet tables; `stack` holds the decisions they give, and any change rewrites it."""


@dataclass(frozen=True)
class Allow:
    """What a change may do beyond keeping every invariant, each granted by an explicit option."""

    move: bool = False
    """--move-network: placements and networks may change."""
    unpin: bool = False
    """--unpin: a pin that holds may be removed."""
    repin: bool = False
    """`bp pin`: the pin is set anew, at the stack's version."""


@dataclass(frozen=True)
class Proposed:
    """A stack's new state: its resolved blueprint and its pin, what the change may do, and what to tell the user."""

    stack: ResolvedBlueprint
    pin: Pin | None
    allow: Allow = Allow()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What a change did to one stack file."""

    before: StackState
    after: Proposed
    text: str

    @property
    def changed(self) -> bool:
        """Whether the file's text differs from before."""
        return self.text != self.before.text


class Snapshot:
    """The repository as it is under the lock: each stack read at most once."""

    def __init__(self, repo: Path):
        self.repo = Path(repo)
        self._states: dict[str, StackState] = {}
        self._all: list[ResolvedBlueprint] | None = None

    def state(self, name: str) -> StackState:
        """The stack's file, stamped blueprint and pin (an absent file: no text, no stack)."""
        if name not in self._states:
            path = stack_files.stack_path(self.repo, name)
            if not path.is_file():
                self._states[name] = StackState(name, path)
            else:
                text = yaml_io.read_text(path)
                data = yaml_io.load_data(path)
                legacy = stack_files.legacy_in(path, data)
                stack = legacy or stack_files.stack_in(path, data)
                self._states[name] = StackState(name, path, text, stack, pin_in(path, data), legacy is not None)
        return self._states[name]

    def existing(self, name: str) -> StackState:
        """The stack's state; BadInput when it has no file."""
        found = self.state(name)
        if found.stack is None:
            stack_files.named_stack_file(self.repo, name)  # raises, naming the stacks there are
        return found

    def stacks(self) -> list[ResolvedBlueprint]:
        """Every stack of the repository, as its file is now."""
        if self._all is None:
            self._all = stack_files.read_all(self.repo)
        return self._all


def allocations(stack: ResolvedBlueprint) -> list[tuple]:
    """A stack's pools, networks and VLANs: what only --move-network may change."""
    return [(p.pool, p.network.cidr if p.network else None, p.network.vlan if p.network else None)
            for p in stack.placements]


def pin_words(pin: Pin) -> str:
    """`pinned at X until D by A (reason)`."""
    return f"pinned at {pin.version} until {pin.expires} by {pin.approver} ({pin.reason})"


def check_invariants(before: StackState, after: Proposed, today: date) -> None:
    """BadInput when `after` would break an invariant of the stack as it is (`before`)."""
    name, old = before.name, before.stack
    if after.stack.stack != name:
        raise BadInput(f"a change of {name} produced stack {after.stack.stack}", before.path)
    if old is not None and old.retired and after.stack.retirement != old.retirement:
        raise BadInput(f"{name} is retired since {old.retirement.since} ({old.retirement.reason}); "
                       "a change keeps that mark", before.path)
    touched = old is None or after.pin != before.pin or after.stack.blueprint_ref != old.blueprint_ref
    if touched and after.pin is not None and after.pin.version != after.stack.blueprint_ref:
        raise BadInput(f"{name} is {pin_words(after.pin)}; pass --unpin to move it to {after.stack.blueprint_ref} "
                       "and remove the pin", before.path)
    held = before.pin is not None and before.pin.holds(today)
    if held and after.pin != before.pin and not (after.allow.unpin or after.allow.repin):
        raise BadInput(f"{name} is {pin_words(before.pin)}; pass --unpin to change that", before.path)
    if old is not None and not after.allow.move and allocations(old) != allocations(after.stack):
        raise BadInput(f"{name} would move from its placement and network; only --move-network moves them",
                       before.path)


def carried_pin(before: StackState, to_ref: str, unpin: bool, today: date) -> tuple[Pin | None, tuple[str, ...]]:
    """The pin a stack keeps when it goes to `to_ref`, and what to say about it.

    Kept when the version stays; removed with --unpin (the invariant refuses a move off a holding pin without
    it); an expired pin is removed by the move it no longer holds back, and the output says so.
    """
    pin = before.pin
    if pin is None:
        return None, ()
    if unpin:
        return None, (f"pin removed (was {pin_words(pin)})",)
    if pin.version == to_ref or pin.holds(today):
        return pin, ()  # a move off a holding pin is refused by check_invariants
    return None, (f"expired pin removed (was pinned at {pin.version} until {pin.expires})",)


@dataclass
class Change:
    """A change under way: its outcomes and the texts to swap in."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    texts: dict[Path, str] = field(default_factory=dict)


def render_change(before: StackState, after: Proposed) -> str:
    """The stack file's text once `after` is applied to `before`, every other key and comment kept."""
    if before.text is None:
        text = stack_files.render(after.stack)
    else:
        text = before.text
        if after.stack != before.stack or before.legacy:
            text = stack_files.render_update(before.path, text, after.stack)
    if after.pin != before.pin:
        text = with_pin(before.path, text, after.pin)
    return text


def _ledger_text(snap: Snapshot, done: Change) -> tuple[Path, str] | None:
    """The ledger's new text when the change moved, added or stamped any allocation, else None."""
    moved = [o for o in done.outcomes.values()
             if o.before.stack is None or allocations(o.before.stack) != allocations(o.after.stack)]
    if not moved:
        return None
    folder = stack_files.stacks_folder(snap.repo)
    path = ledger.ledger_path(folder)
    new = {name: o.after.stack for name, o in done.outcomes.items()}
    stacks = [new.pop(bp.stack, bp) for bp in snap.stacks()] + list(new.values())
    text = ledger.amended(folder, [o.after.stack for o in moved], stacks)
    return None if path.exists() and yaml_io.read_text(path) == text else (path, text)


Plan = Callable[[Snapshot], Mapping[str, Proposed]]


def change(repo: Path, plan: Plan, confirm: Callable[[dict[str, Outcome]], None] | None = None,
           today: date | None = None) -> dict[str, Outcome]:
    """Apply `plan` to the repository under its lock: check every invariant, then swap all files in or none.

    `confirm` sees the outcomes once every new text is staged and before any file changes: a command prints its
    report there, so an output that cannot be written refuses the change instead of following it.
    """
    today = today or clock.today()
    with repo_lock(repo):
        snap = Snapshot(repo)
        done = Change()
        for name, after in plan(snap).items():
            before = snap.state(name)
            check_invariants(before, after, today)
            done.outcomes[name] = outcome = Outcome(before, after, render_change(before, after))
            if outcome.changed:
                done.texts[before.path] = outcome.text
        record = _ledger_text(snap, done)
        if record is not None:
            done.texts[record[0]] = record[1]
        replace_files(done.texts, (lambda: confirm(done.outcomes)) if confirm else None)
    return done.outcomes
