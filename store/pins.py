"""A pin as its stack file records it: the model, reading it, and the file's text with it stamped in or removed.

Setting and removing pins is lifecycle/pins.py; this is what every change of a stack file needs to know of one.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field

from blueprints import yaml_io
from blueprints.errors import BadInput
from blueprints.models import Email, Frozen, Reason

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
