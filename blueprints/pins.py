"""Pins: a stack held on its blueprint version, with a reason, an approver and an expiry, in its stack file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def pin_stack(repo: Path, resolved: "ResolvedBlueprint", reason: str, approver: str, expires: str,
              today: date | None = None) -> Pin:
    """Pin a stack at its current version and write it into its stack file, under the repository lock.

    BadInput names the option of a missing reason or approver, a malformed date, or an expiry already past.
    """
    from pydantic import ValidationError

    from blueprints.errors import field_path, first_error
    from blueprints.repo_lock import repo_lock
    from blueprints.stack_files import stack_path

    try:
        pin = Pin(reason=reason, approver=approver, expires=expires, version=resolved.blueprint_ref)
    except ValidationError as exc:
        loc, msg = first_error(exc)
        raise BadInput(f"--{field_path(loc)}: {msg}") from None
    if pin.expires < (today or clock.today()):
        raise BadInput(f"--expires: {pin.expires} is in the past")
    path = stack_path(repo, resolved.stack)
    with repo_lock(repo):
        yaml_io.write_atomic(path, pinned_text(path, pin))
    return pin


def pinned_text(path: Path, pin: Pin | None) -> str:
    """The stack file's text with `pin` stamped in (or removed for None), other keys and comments kept."""
    doc = yaml_io.load(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise BadInput("no 'config' mapping; not a stamped stack file", path)
    if pin is None:
        doc["config"].pop(PIN_KEY, None)
    else:
        doc["config"][PIN_KEY] = json.loads(json.dumps(pin.model_dump(mode="json")))
    return yaml_io.dump(doc)
