"""What an estimate is made of: cost lines (Infracost's cost components), resources and components; exact money."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from blueprints.prices import Price


@dataclass(frozen=True)
class CostLine:
    """One priced quantity: a cost component in Infracost's words."""

    name: str
    """What is billed, e.g. 'Instance usage (on-demand, m6i.large)'."""
    unit: str
    """Unit of the quantity and the price: hours, GB, vCPU, GiB, TiB."""
    monthly_quantity: Decimal
    """Units in a month."""
    price: Decimal | None
    """Price of one unit; None: the table has no price for it."""

    @property
    def monthly(self) -> Decimal:
        """Monthly cost; zero when unpriced (the resource says so)."""
        return self.monthly_quantity * self.price if self.price is not None else Decimal(0)


@dataclass(frozen=True)
class CostResource:
    """A resource the stack creates, with what it costs."""

    name: str
    """Resource name as the program names it."""
    type: str
    """Pulumi type token."""
    lines: tuple[CostLine, ...]
    """Its cost components."""

    @property
    def monthly(self) -> Decimal:
        """Monthly cost of its priced lines."""
        return sum((line.monthly for line in self.lines), Decimal(0))

    @property
    def unpriced(self) -> bool:
        """Some line has no price in the table."""
        return any(line.price is None for line in self.lines)


@dataclass(frozen=True)
class CostComponent:
    """A component of the blueprint (cluster, network, a data service) and its resources."""

    name: str
    """Component name, e.g. 'cluster', 'postgres'."""
    type: str
    """The component's type token."""
    resources: tuple[CostResource, ...]
    """Its resources."""

    @property
    def monthly(self) -> Decimal:
        """Monthly cost of its resources."""
        return sum((r.monthly for r in self.resources), Decimal(0))


def money(value: Decimal) -> Decimal:
    """Rounded to the cent, as shown."""
    return value.quantize(Decimal("0.01"))


def d(value: float | int) -> Decimal:
    """A price or quantity as an exact decimal (through its shortest text, so 0.096 stays 0.096)."""
    return Decimal(str(value))


def usd(price: Price | None) -> Decimal | None:
    """A table's price, or None when the table lacks it."""
    return d(price.usd) if price is not None else None
