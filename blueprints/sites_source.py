"""Which sites map is in force, decided without parsing it (the engine server's client names it this way)."""

from __future__ import annotations

import os
from pathlib import Path

DEMO_SITES = Path(__file__).parent / "sites" / "demo-fleet.yaml"
SITES_ENV = "BP_SITES"


def sites_path(explicit: Path | None = None) -> Path:
    """The sites map in force: an explicit file, else $BP_SITES, else the demo fleet."""
    if explicit is not None:
        return Path(explicit)
    if os.environ.get(SITES_ENV):
        return Path(os.environ[SITES_ENV])
    return DEMO_SITES
