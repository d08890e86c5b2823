"""The one clock: every date-dependent check (support ends, pins, sunsets) asks `today()`.

`BP_TODAY=YYYY-MM-DD` fixes the day, so tests and reproductions never depend on the real date.
"""

from __future__ import annotations

import os
from datetime import date

from blueprints.errors import BadInput

CLOCK_ENV = "BP_TODAY"


def today() -> date:
    """`BP_TODAY` when set, else the system's date."""
    fixed = os.environ.get(CLOCK_ENV)
    if not fixed:
        return date.today()
    try:
        return date.fromisoformat(fixed)
    except ValueError:
        raise BadInput(f"{CLOCK_ENV}: '{fixed}' is not a date (YYYY-MM-DD)") from None
