"""Showback: what the fleet costs a month per cost center, team, data center and blueprint.

Every stack is estimated once and its whole monthly cost is attributed to its cost center, its team, its primary
data center and its blueprint version, so each grouping adds up to the fleet's total.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from blueprints.errors import BadInput
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from cost.estimate import Estimate, estimate
from cost.lines import money

GROUPINGS = ("cost_center", "team", "data_center", "blueprint")
"""What the fleet's cost is shown by, in this order."""


@dataclass(frozen=True)
class Share:
    """One group's monthly cost."""

    name: str
    """Cost center, team, data center or blueprint reference."""
    monthly: Decimal
    """Its stacks' monthly cost."""
    stacks: int
    """Stacks in the group."""
    aws: Decimal
    """Of that, on AWS."""
    onprem: Decimal
    """Of that, on-prem chargeback."""


@dataclass(frozen=True)
class Showback:
    """The fleet's monthly cost and its split by each grouping, largest first."""

    total: Decimal
    """Sum over every stack."""
    stacks: tuple[Estimate, ...]
    """Each stack's estimate, by name."""
    groups: dict[str, tuple[Share, ...]]
    """Per grouping (GROUPINGS), its shares."""
    not_costed: dict[str, str]
    """Stacks the plan refuses, with why; left out of every figure."""

    @property
    def unpriced(self) -> tuple[str, ...]:
        """Stacks with resources the price table lacks (their totals leave those out)."""
        return tuple(e.stack for e in self.stacks if e.unpriced)

    def as_json(self) -> dict:
        """Machine form, figures as strings to the cent."""
        return {"currency": "USD", "monthly": str(money(self.total)), "unpriced_stacks": list(self.unpriced),
                "not_costed": self.not_costed,
                **{g: [{"name": s.name, "monthly": str(money(s.monthly)), "stacks": s.stacks,
                        "aws": str(money(s.aws)), "onprem": str(money(s.onprem))} for s in shares]
                   for g, shares in self.groups.items()}}


def _keys(bp: ResolvedBlueprint) -> dict[str, str]:
    return {"cost_center": bp.request.cost_center, "team": bp.request.team,
            "data_center": bp.primary.data_center, "blueprint": bp.blueprint_ref}


def _costed(stacks: list[ResolvedBlueprint], sites: SitesMap) -> tuple[list, dict[str, str]]:
    """Each stack with its estimate; a stack the plan refuses (e.g. a release the sites map dropped) is set apart
    with the reason, for `bp fleet check` and `bp validate` to explain, rather than failing the whole report."""
    pairs, failed = [], {}
    for bp in stacks:
        try:
            pairs.append((bp, estimate(bp, sites)))
        except BadInput as exc:
            failed[bp.stack] = str(exc)
    return sorted(pairs, key=lambda pair: pair[0].stack), failed


def build(stacks: list[ResolvedBlueprint], sites: SitesMap) -> Showback:
    """Showback over the stamped stacks (retired ones still run, so they still cost)."""
    pairs, failed = _costed(stacks, sites)
    sums: dict[str, dict[str, list]] = {g: defaultdict(lambda: [Decimal(0), 0, Decimal(0), Decimal(0)]) for g in GROUPINGS}
    for bp, est in pairs:
        for grouping, key in _keys(bp).items():
            row = sums[grouping][key]
            row[0] += est.monthly
            row[1] += 1
            row[2 if est.target == "aws" else 3] += est.monthly
    groups = {g: tuple(sorted((Share(name, *row) for name, row in rows.items()), key=lambda s: (-s.monthly, s.name)))
              for g, rows in sums.items()}
    return Showback(total=sum((e.monthly for _, e in pairs), Decimal(0)), stacks=tuple(e for _, e in pairs),
                    groups=groups, not_costed=failed)
