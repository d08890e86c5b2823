"""A request's cost against its catalog entry's budget for the size asked."""

from __future__ import annotations

from decimal import Decimal

from blueprints.catalog import CatalogEntry
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from cost.estimate import Estimate, estimate
from cost.lines import money


def over_budget(entry: CatalogEntry, size: str, est: Estimate) -> str | None:
    """A warning when the estimate passes the entry's budget for `size`, else None."""
    limit = entry.budget_usd_month.get(size)
    if limit is None or est.monthly <= Decimal(str(limit)):
        return None
    return (f"{est.stack} costs ${money(est.monthly):,} a month, over the ${money(Decimal(str(limit))):,} budget of "
            f"{entry.ref} size {size} (catalog budget_usd_month); ask for a smaller size or fewer data services")


def review(resolved: ResolvedBlueprint, entry: CatalogEntry, sites: SitesMap) -> tuple[Estimate | None, str | None]:
    """The request's estimate (None when the sites map has no prices) and its budget warning, if any."""
    if sites.prices is None:
        return None, None
    est = estimate(resolved, sites)
    return est, over_budget(entry, resolved.request.size, est)
