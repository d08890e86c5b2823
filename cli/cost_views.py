"""A stack's monthly cost for the terminal: a table by component and resource, and a one-line change."""

from __future__ import annotations

from decimal import Decimal

from rich.markup import escape
from rich.table import Table

from cost.estimate import Estimate
from cost.lines import money


def usd(value: Decimal) -> str:
    """Dollars to the cent, with thousands separators."""
    return f"${money(value):,}"


def as_table(est: Estimate) -> Table:
    """Every cost line under its component and resource, then the total."""
    table = Table("component", "resource", "cost line", "quantity", "unit price", "monthly", title_justify="left",
                  title=f"{est.stack} ({est.blueprint}, {est.location}): {usd(est.monthly)} a month")
    for comp in est.components:
        for res in comp.resources:
            for line in res.lines:
                price = f"${line.price:,}" if line.price is not None else "[yellow]no price[/]"
                table.add_row(escape(comp.name), escape(res.name), escape(line.name),
                              f"{line.monthly_quantity.normalize():,f} {escape(line.unit)}", price, usd(line.monthly))
        table.add_row("", "[dim]subtotal[/]", "", "", "", f"[bold]{usd(comp.monthly)}[/]", end_section=True)
    table.add_row("[bold]total[/]", "", "", "", "", f"[bold]{usd(est.monthly)}[/]")
    return table


def summary(ests: list[Estimate]) -> Table:
    """One row per stack, most expensive first, and the total."""
    total = sum((e.monthly for e in ests), Decimal(0))
    table = Table("stack", "blueprint", "where", "monthly", title=f"{len(ests)} stacks: {usd(total)} a month",
                  title_justify="left")
    for est in sorted(ests, key=lambda e: (-e.monthly, e.stack)):
        flag = " [yellow](not fully priced)[/]" if est.unpriced else ""
        table.add_row(escape(est.stack), escape(est.blueprint), escape(est.location), usd(est.monthly) + flag)
    table.add_row("[bold]total[/]", "", "", f"[bold]{usd(total)}[/]")
    return table


def many_json(ests: list[Estimate]) -> dict:
    """Every stack's machine form under the total."""
    return {"currency": "USD", "monthly": str(money(sum((e.monthly for e in ests), Decimal(0)))),
            "stacks": [as_json(e) for e in ests]}


def unpriced_note(est: Estimate) -> str | None:
    """What the total leaves out, or None."""
    if not est.unpriced:
        return None
    names = ", ".join(r.name for r in est.unpriced)
    return f"no price in the sites map for: {names} (prices.aws.{est.location}); the total leaves them out"


def change(before: Decimal, after: Decimal) -> str:
    """'$a -> $b a month (+$d)'."""
    delta = after - before
    sign = "+" if delta >= 0 else "-"
    return f"{usd(before)} -> {usd(after)} a month ({sign}{usd(abs(delta))})"


def change_json(before: Decimal, after: Decimal) -> dict:
    """The same for machines, to the cent."""
    return {"currency": "USD", "before": str(money(before)), "after": str(money(after)), "change": str(money(after - before))}


def as_json(est: Estimate) -> dict:
    """Machine form: totals and every line, figures as strings to the cent."""
    return {
        "stack": est.stack, "blueprint": est.blueprint, "target": est.target, "location": est.location,
        "currency": "USD", "monthly": str(money(est.monthly)),
        "components": [{
            "name": c.name, "type": c.type, "monthly": str(money(c.monthly)),
            "resources": [{
                "name": r.name, "type": r.type, "monthly": str(money(r.monthly)), "unpriced": r.unpriced,
                "lines": [{"name": line.name, "unit": line.unit, "monthly_quantity": str(line.monthly_quantity.normalize()),
                           "price": None if line.price is None else str(line.price), "monthly": str(money(line.monthly))}
                          for line in r.lines],
            } for r in c.resources],
        } for c in est.components],
    }
