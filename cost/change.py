"""What a change to stacks does to their monthly cost: one upgrade, or the stacks of a rollout wave."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from blueprints.prices import Prices
from blueprints.resolved import ResolvedBlueprint
from cost.estimate import estimate


def monthly_change(pairs: Iterable[tuple[ResolvedBlueprint, ResolvedBlueprint]],
                   prices: Prices | None) -> tuple[Decimal, Decimal] | None:
    """The monthly cost of the stacks before and after, summed; None when the sites map has no prices."""
    if prices is None:
        return None
    before = after = Decimal(0)
    for old, new in pairs:
        before += estimate(old, prices).monthly
        after += estimate(new, prices).monthly
    return before, after
