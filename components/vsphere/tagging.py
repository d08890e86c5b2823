"""Ownership tags for vSphere objects.

vSphere attaches tags by id (a tag lives in a category), so components take the tag ids that
`TeamPlacement` creates and attach them; the same key/value pairs also go into each object's
notes, where an operator browsing vCenter sees them without a tag lookup.
"""

from __future__ import annotations

from collections.abc import Mapping

OWNERSHIP_KEYS = ("team", "owner", "env", "cost-center", "blueprint")
"""The keys every caller's ownership tags carry (`cost_center` is accepted for `cost-center`)."""


def require_ownership(tags: Mapping[str, str]) -> None:
    """Fail early when an ownership key is missing or empty."""
    present = {k.replace("_", "-") for k, v in tags.items() if v}
    missing = [k for k in OWNERSHIP_KEYS if k not in present]
    if missing:
        raise ValueError(f"ownership tags missing {missing}; every vSphere object must name its owner")


def notes(tags: Mapping[str, str]) -> str:
    """The tags as `key=value` lines, for a VM annotation or a port group description."""
    return "\n".join(f"{k}={tags[k]}" for k in sorted(tags))
