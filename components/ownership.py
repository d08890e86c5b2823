"""The ownership tag keys every component of every target requires, and the one check of them."""

from __future__ import annotations

from collections.abc import Mapping

OWNERSHIP_KEYS: tuple[str, ...] = ("team", "owner", "cost-center", "env", "blueprint", "managed-by")
"""Who owns a resource, who pays, which environment and blueprint made it, and what manages it.
`ResolvedBlueprint.tags()` builds them; components refuse tags that lack any."""


def missing_keys(tags: Mapping[str, str] | None) -> list[str]:
    """The ownership keys absent or empty in `tags`."""
    tags = tags or {}
    return [k for k in OWNERSHIP_KEYS if not tags.get(k)]


def require_ownership(tags: Mapping[str, str] | None, what: str) -> None:
    """Fail early, naming the Args, when ownership tags are incomplete."""
    missing = missing_keys(tags)
    if missing:
        raise ValueError(f"{what}: tags lack required keys {missing}")
