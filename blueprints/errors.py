"""The one error type for bad input: a one-line message naming the field or the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic is only needed once there is an error to read; keeps `bp --help` fast
    from pydantic import ValidationError


class BadInput(Exception):
    """Input a user can fix: reported on one line, exit code 2, nothing written."""

    def __init__(self, message: str, source: Path | str | None = None, line: int | None = None):
        self.source = str(source) if source is not None else None
        self.line = line
        where = ""
        if self.source:
            where = f"{self.source}:{line}: " if line else f"{self.source}: "
        super().__init__(f"{where}{message}")


def field_path(loc: tuple) -> str:
    """`('data_services', 0, 'kind')` -> `data_services[0].kind`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def first_error(exc: ValidationError) -> tuple[tuple, str]:
    """The location and a readable message of the first validation error."""
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    return loc, msg
