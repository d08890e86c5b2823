"""Which blueprint versions the fleet runs, where, and how long deprecated ones have left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

from blueprints.catalog import Catalog, semver_key
from blueprints.resolved import ResolvedBlueprint


@dataclass(frozen=True)
class VersionInUse:
    """One catalog version and the stacks on it."""

    ref: str
    stacks: int
    data_centers: dict[str, int]
    """Stacks per data center (primary placement)."""
    deprecated: bool
    sunset: date | None
    successor: str | None

    def days_left(self, today: date) -> int | None:
        """Days until the sunset (negative once past it), or None when there is none."""
        return (self.sunset - today).days if self.sunset else None

    def to_json(self, today: date) -> dict[str, Any]:
        """The machine-readable shape used by `--json`."""
        return {"version": self.ref, "stacks": self.stacks, "data_centers": self.data_centers,
                "deprecated": self.deprecated, "sunset": self.sunset.isoformat() if self.sunset else None,
                "successor": self.successor, "days_to_sunset": self.days_left(today)}


def versions_in_use(stacks: Iterable[ResolvedBlueprint], catalog: Catalog) -> list[VersionInUse]:
    """Every version at least one stack runs, by blueprint then version."""
    by_ref: dict[str, dict[str, int]] = {}
    for stack in stacks:
        dcs = by_ref.setdefault(stack.blueprint_ref, {})
        dcs[stack.primary.data_center] = dcs.get(stack.primary.data_center, 0) + 1
    out = []
    for ref in sorted(by_ref, key=lambda r: (r.split("@")[0], semver_key(r.split("@")[1]))):
        entry = catalog.get(ref)
        out.append(VersionInUse(ref, sum(by_ref[ref].values()), dict(sorted(by_ref[ref].items())),
                                bool(entry.deprecated), entry.sunset, entry.successor))
    return out
