"""Pins: a stack held on its blueprint version, with a reason, an approver and an expiry, in its stack file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from pydantic import Field

from blueprints import clock, yaml_io
from blueprints.errors import BadInput
from blueprints.models import Email, Frozen, Reason

if TYPE_CHECKING:
    from blueprints.resolved import ResolvedBlueprint

PIN_KEY = "cloud-blueprints:pin"


class Pin(Frozen):
    """Why a stack stays on its version, who agreed, and until when."""

    reason: Reason = Field(description="Why the stack may not move (e.g. a freeze, a vendor certification). Required.", min_length=3)
    approver: Email = Field(description="E-mail address of who on the platform team agreed. Required.")
    expires: date = Field(description="Last day the pin holds; after it, the stack joins rollouts again. Required.")
    version: str = Field(description="The blueprint version (name@version) the stack is pinned at. Required.")

    def holds(self, today: date) -> bool:
        """Whether the pin still holds on `today`."""
        return today <= self.expires


def read_pin(path: Path) -> Pin | None:
    """The stack's pin, if it has one; BadInput names the file, line and field of a malformed one."""
    return pin_in(path, yaml_io.load_data(path))  # the C loader: fleet commands read a pin per stack file


def pin_in(path: Path, data: Any) -> Pin | None:
    """The pin in the parsed `data` of the stack file at `path`, if it has one (see read_pin)."""
    config = data.get("config") if isinstance(data, dict) else None
    if not isinstance(config, dict) or PIN_KEY not in config:
        return None
    return yaml_io.parse(Pin, config[PIN_KEY], path, prefix=("config", PIN_KEY))


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
    from blueprints.stack_change import Allow, Proposed, change

    def plan(snap):
        current = snap.existing(stack).stack
        return {stack: Proposed(current, new_pin(current, reason, approver, expires, today), Allow(repin=True))}

    done = change(repo, plan, (lambda out: confirm(out[stack].after.pin)) if confirm else None, today)
    return done[stack].after.pin


def unpin_stack(repo: Path, stack: str, confirm: Callable[[Pin | None], None] | None = None) -> Pin | None:
    """Remove a stack's pin under the repository lock; the pin removed, or None when there was none."""
    from blueprints.stack_change import Allow, Proposed, change

    def plan(snap):
        return {stack: Proposed(snap.existing(stack).stack, None, Allow(unpin=True))}

    done = change(repo, plan, (lambda out: confirm(out[stack].before.pin)) if confirm else None)
    return done[stack].before.pin


def pinned_text(path: Path, pin: Pin | None) -> str:
    """The stack file's text with `pin` stamped in (or removed for None), other keys and comments kept."""
    return with_pin(path, yaml_io.read_text(path), pin)


def with_pin(path: Path, text: str, pin: Pin | None) -> str:
    """`text` of the stack file at `path` with `pin` stamped in (or removed for None), other keys and comments kept."""
    doc = yaml_io.load_text(text, path)
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise BadInput("no 'config' mapping; not a stamped stack file", path)
    if pin is None:
        doc["config"].pop(PIN_KEY, None)
    else:
        doc["config"][PIN_KEY] = json.loads(json.dumps(pin.model_dump(mode="json")))
    return yaml_io.dump(doc)
