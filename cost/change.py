"""What a change to stacks does to their monthly cost: one upgrade, or the stacks of a rollout wave."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from cost.estimate import estimate


def monthly_change(pairs: Iterable[tuple[ResolvedBlueprint, ResolvedBlueprint]],
                   sites: SitesMap) -> tuple[Decimal, Decimal] | None:
    """The monthly cost of the stacks before and after, summed; None when the sites map has no prices."""
    if sites.prices is None:
        return None
    before = after = Decimal(0)
    for old, new in pairs:
        before += estimate(old, sites).monthly
        after += estimate(new, sites).monthly
    return before, after
