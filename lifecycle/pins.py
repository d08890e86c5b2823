"""Pins: hold a stack on its blueprint version, with a reason, an approver and an expiry, or let it go again.

The pin's model and its place in the stack file are store/pins.py; setting and removing one is a change of the
stack file like any other (store/change.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from blueprints import clock
from blueprints.errors import BadInput
from store.pins import Pin

if TYPE_CHECKING:
    from blueprints.resolved import ResolvedBlueprint


def new_pin(resolved: "ResolvedBlueprint", reason: str, approver: str, expires: str, today: date | None = None) -> Pin:
    """A pin of `resolved` at its version; BadInput names the option of a missing reason or approver, a malformed
    date, or an expiry already past."""
    from pydantic import ValidationError

    from blueprints.errors import field_path, first_error

    try:
        pin = Pin(reason=reason, approver=approver, expires=expires, version=resolved.blueprint_ref)
    except ValidationError as exc:
        loc, msg = first_error(exc)
        raise BadInput(f"--{field_path(loc)}: {msg}") from None
    if pin.expires < (today or clock.today()):
        raise BadInput(f"--expires: {pin.expires} is in the past")
    return pin


def pin_stack(repo: Path, stack: str, reason: str, approver: str, expires: str, today: date | None = None,
              confirm: Callable[[Pin], None] | None = None) -> Pin:
    """Pin a stack at the version its file is on under the repository lock (a pin set anew replaces the old one).

    `confirm` sees the pin before the file changes (see stack_change.change).
    """
    from store.change import Allow, Proposed, change

    def plan(snap):
        current = snap.existing(stack).stack
        return {stack: Proposed(current, new_pin(current, reason, approver, expires, today), Allow(repin=True))}

    done = change(repo, plan, (lambda out: confirm(out[stack].after.pin)) if confirm else None, today)
    return done[stack].after.pin


def unpin_stack(repo: Path, stack: str, confirm: Callable[[Pin | None], None] | None = None) -> Pin | None:
    """Remove a stack's pin under the repository lock; the pin removed, or None when there was none."""
    from store.change import Allow, Proposed, change

    def plan(snap):
        return {stack: Proposed(snap.existing(stack).stack, None, Allow(unpin=True))}

    done = change(repo, plan, (lambda out: confirm(out[stack].before.pin)) if confirm else None)
    return done[stack].before.pin
