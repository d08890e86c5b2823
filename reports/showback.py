"""Showback in the fleet report: terminal tables, Markdown, and an HTML section with a chart (reports.page)."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from rich.table import Table

from cost.lines import money
from cost.showback import GROUPINGS, Share, Showback
from reports import page as h

TITLES = {"cost_center": "cost center", "team": "team", "data_center": "data center", "blueprint": "blueprint"}
AWS_COLOUR, ONPREM_COLOUR = "#2b6cb0", "#1f8a4c"
CHART_BARS = 12
"""Bars in a chart before the rest are folded into one; tables longer than this start collapsed."""


def usd(value: Decimal) -> str:
    """Whole dollars with separators: the report's figures are monthly totals."""
    return f"${money(value):,.0f}"


def _share(part: Decimal, total: Decimal) -> str:
    return f"{part / total:.0%}" if total else "0%"


def as_tables(show: Showback) -> list[Table]:
    """One rich table per grouping."""
    out = []
    for grouping in GROUPINGS:
        table = Table(TITLES[grouping], "stacks", "AWS", "on-prem", "monthly", "share", title_justify="left",
                      title=f"Monthly cost by {TITLES[grouping]} (fleet {usd(show.total)})")
        for s in show.groups[grouping]:
            table.add_row(s.name, str(s.stacks), usd(s.aws), usd(s.onprem), usd(s.monthly), _share(s.monthly, show.total))
        out.append(table)
    return out


def as_markdown(show: Showback, md_table) -> str:
    """Markdown sections, with the fleet report's own table helper."""
    parts = [f"## Showback\n\nThe fleet costs {usd(show.total)} a month (AWS list prices and on-prem chargeback)."]
    for grouping in GROUPINGS:
        parts.append(f"### By {TITLES[grouping]}\n\n" + md_table(
            [TITLES[grouping], "stacks", "AWS", "on-prem", "monthly", "share"],
            [[s.name, str(s.stacks), usd(s.aws), usd(s.onprem), usd(s.monthly), _share(s.monthly, show.total)]
             for s in show.groups[grouping]]))
    return "\n\n".join(parts)


def chart(shares: tuple[Share, ...], width: int = 760) -> str:
    """Horizontal bars, one per group, split into AWS and on-prem, scaled to the largest; inline SVG."""
    row_h, label_w, bar_w = 26, 180, width - 300
    top = max((s.monthly for s in shares), default=Decimal(0)) or Decimal(1)
    height = row_h * len(shares) + 34
    parts = [f"<svg role=\"img\" aria-label=\"monthly cost by group\" width=\"{width}\" height=\"{height}\" "
             f"viewBox=\"0 0 {width} {height}\">"]
    for i, s in enumerate(shares):
        y = i * row_h + 4
        aws_w = float(s.aws / top) * bar_w
        onprem_w = float(s.onprem / top) * bar_w
        parts.append(
            f"<text x=\"{label_w - 8}\" y=\"{y + 15}\" text-anchor=\"end\">{escape(s.name)}</text>"
            f"<rect x=\"{label_w}\" y=\"{y + 3}\" width=\"{aws_w:.1f}\" height=\"16\" fill=\"{AWS_COLOUR}\"/>"
            f"<rect x=\"{label_w + aws_w:.1f}\" y=\"{y + 3}\" width=\"{onprem_w:.1f}\" height=\"16\" fill=\"{ONPREM_COLOUR}\"/>"
            f"<text x=\"{label_w + aws_w + onprem_w + 8:.1f}\" y=\"{y + 15}\">{escape(usd(s.monthly))}</text>")
    y = row_h * len(shares) + 14
    parts.append(f"<rect x=\"{label_w}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{AWS_COLOUR}\"/>"
                 f"<text x=\"{label_w + 18}\" y=\"{y + 11}\">AWS (list prices)</text>"
                 f"<rect x=\"{label_w + 150}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{ONPREM_COLOUR}\"/>"
                 f"<text x=\"{label_w + 168}\" y=\"{y + 11}\">on-prem (chargeback)</text></svg>")
    return "".join(parts)


def _top(shares: tuple[Share, ...], keep: int = CHART_BARS) -> tuple[Share, ...]:
    """The largest `keep` shares, the rest folded into one bar so the chart stays readable."""
    if len(shares) <= keep + 1:
        return shares
    rest = shares[keep:]
    other = Share(f"{len(rest)} others", sum((s.monthly for s in rest), Decimal(0)), sum(s.stacks for s in rest),
                  sum((s.aws for s in rest), Decimal(0)), sum((s.onprem for s in rest), Decimal(0)))
    return (*shares[:keep], other)


def _table(grouping: str, show: Showback) -> str:
    table = _rows(grouping, show)
    rows = len(show.groups[grouping])
    return h.collapsed(f"Show all {rows} {TITLES[grouping]}s", table) if rows > CHART_BARS else table


def _rows(grouping: str, show: Showback) -> str:
    return h.table([TITLES[grouping], "stacks", "AWS", "on-prem", "monthly", "share"],
                   [[s.name, str(s.stacks), usd(s.aws), usd(s.onprem), usd(s.monthly), _share(s.monthly, show.total)]
                    for s in show.groups[grouping]], numeric=(1, 2, 3, 4, 5))


def sections(show: Showback) -> list[str]:
    """HTML sections: the figures, the chart by cost center, then a table per grouping."""
    aws = sum((s.aws for s in show.groups["cost_center"]), Decimal(0))
    figures = h.cards([("monthly cost", usd(show.total), ""), ("on AWS", usd(aws), ""),
                       ("on-prem chargeback", usd(show.total - aws), ""),
                       ("cost centers", str(len(show.groups["cost_center"])), ""),
                       ("stacks not fully priced", str(len(show.unpriced) + len(show.not_costed)),
                        "warn" if show.unpriced or show.not_costed else "ok")])
    out = [h.section("Showback: monthly cost", figures),
           h.section("Monthly cost by cost center", chart(_top(show.groups["cost_center"])) + _table("cost_center", show))]
    for grouping in GROUPINGS[1:]:
        out.append(h.section(f"Monthly cost by {TITLES[grouping]}", _table(grouping, show)))
    return out
