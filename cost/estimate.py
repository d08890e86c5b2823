"""The monthly cost of one stack, by component and resource, from its plan and the sites map's price table.

AWS stacks are priced at on-demand list prices per region (cost/aws.py); vSphere stacks at the on-prem chargeback
rates of their tier (cost/vsphere.py). Money is Decimal so that a figure a reviewer computes by hand from the table
is the figure shown. A resource whose price the table lacks is listed with no price (and counted as such), never
silently as free.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from blueprints.errors import BadInput
from blueprints.plan import AwsPlan, plan
from blueprints.prices import AwsRegionPrices
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from cost import aws, vsphere
from cost.lines import CostComponent, CostResource, d


class NoPrices(BadInput):
    """The sites map has no price table."""


@dataclass(frozen=True)
class Estimate:
    """The monthly cost of one stack."""

    stack: str
    """`<team>-<env>`."""
    blueprint: str
    """`name@version`."""
    target: str
    """aws or vsphere."""
    location: str
    """AWS region, or the on-prem tier whose rates apply."""
    hours_per_month: int
    """Hours a month is counted as."""
    components: tuple[CostComponent, ...]
    """What costs, by component."""

    @property
    def monthly(self) -> Decimal:
        """Total monthly cost of everything priced."""
        return sum((c.monthly for c in self.components), Decimal(0))

    @property
    def unpriced(self) -> tuple[CostResource, ...]:
        """Resources the price table has no price for."""
        return tuple(r for c in self.components for r in c.resources if r.unpriced)


def estimate(resolved: ResolvedBlueprint, sites: SitesMap) -> Estimate:
    """The monthly cost of a stamped (or about to be stamped) stack, at the sites map's prices, today."""
    prices = sites.prices
    if prices is None:
        raise NoPrices("prices: the sites map has no price table; add 'prices' (see blueprints/prices.py)")
    the_plan = plan(resolved)
    if isinstance(the_plan, AwsPlan):
        table = prices.aws.get(the_plan.region, AwsRegionPrices())
        parts = aws.components(resolved, the_plan, table, d(prices.hours_per_month), sites)
        where = the_plan.region
    else:
        tier = "prod" if the_plan.prod else "nonprod"
        parts = vsphere.components(resolved, the_plan, prices.onprem.get(tier))
        where = f"on-prem {tier}"
    return Estimate(stack=resolved.stack, blueprint=resolved.blueprint_ref, target=resolved.primary.target,
                    location=where, hours_per_month=prices.hours_per_month,
                    components=tuple(c for c in parts if c.resources))
