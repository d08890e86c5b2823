"""Ownership tags for vSphere objects.

vSphere attaches tags by id (a tag lives in a category), so components take the tag ids that
`TeamPlacement` creates and attach them; the same key/value pairs also go into each object's
notes, where an operator browsing vCenter sees them without a tag lookup.
"""

from __future__ import annotations

from collections.abc import Mapping

def notes(tags: Mapping[str, str]) -> str:
    """The tags as `key=value` lines, for a VM annotation or a port group description."""
    return "\n".join(f"{k}={tags[k]}" for k in sorted(tags))
