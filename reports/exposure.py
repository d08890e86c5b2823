"""Exposure in the fleet report: terminal table, Markdown, and HTML sections with charts (reports.page)."""

from __future__ import annotations

from collections import Counter
from html import escape

from rich.table import Table

from blueprints.releases import SEVERITIES
from fleet.exposure_report import BUCKETS, ExposureReport, bucket
from reports import page as h

SEVERITY_COLOURS = {"critical": "#9b2c2c", "high": "#dd6b20", "medium": "#d69e2e", "low": "#8a94a6"}
BUCKET_COLOURS = dict(zip((label for label, _, _ in BUCKETS), ("#742a2a", "#c53030", "#dd6b20", "#d69e2e", "#2b6cb0")))
SHOWN = 20
"""Exposed stacks listed before the rest are folded away."""


def stacked_chart(rows: list[tuple[str, Counter]], segments: dict[str, str], what: str, width: int = 860) -> str:
    """Horizontal bars of stack counts, one per row, split into `segments` (name -> colour); inline SVG."""
    row_h, label_w, bar_w = 26, 150, width - 260
    top = max((sum(c.values()) for _, c in rows), default=0) or 1
    height = row_h * len(rows) + 40
    parts = [(f"<svg role=\"img\" aria-label=\"{escape(what)}\" width=\"{width}\" height=\"{height}\" "
              f"viewBox=\"0 0 {width} {height}\">")]
    for i, (label, counts) in enumerate(rows):
        y, x = i * row_h + 4, float(label_w)
        parts.append(f"<text x=\"{label_w - 8}\" y=\"{y + 15}\" text-anchor=\"end\">{escape(label)}</text>")
        for name, colour in segments.items():
            w = counts.get(name, 0) / top * bar_w
            if w:
                parts.append(f"<rect x=\"{x:.1f}\" y=\"{y + 3}\" width=\"{w:.1f}\" height=\"16\" fill=\"{colour}\">"
                             f"<title>{escape(label)}: {counts[name]} {escape(name)}</title></rect>")
            x += w
        parts.append(f"<text x=\"{x + 8:.1f}\" y=\"{y + 15}\">{sum(counts.values())}</text>")
    x, y = float(label_w), row_h * len(rows) + 16
    for name, colour in segments.items():
        parts.append(f"<rect x=\"{x:.0f}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>"
                     f"<text x=\"{x + 18:.0f}\" y=\"{y + 11}\">{escape(name)}</text>")
        x += 36 + 7.5 * len(name)
    return "".join(parts) + "</svg>"


def _by_bucket(report: ExposureReport) -> list[tuple[str, Counter]]:
    counts = report.counts("bucket", "severity")
    return [(label, counts.get(label, Counter())) for label, _, _ in BUCKETS]


def _by_data_center(report: ExposureReport) -> list[tuple[str, Counter]]:
    """Data centers, the one with the most urgent exposure first."""
    counts = report.counts("data_center", "bucket")
    order = {label: i for i, (label, _, _) in enumerate(BUCKETS)}
    return sorted(counts.items(), key=lambda kv: (min(order[b] for b in kv[1]), -sum(kv[1].values()), kv[0]))


def _rows(report: ExposureReport) -> list[list[str]]:
    return [[e.stack, e.data_center, e.env, e.severity, e.advisory, f"{e.line} {e.fixed_in}", e.deadline,
             str(e.days_left), bucket(e.days_left)] for e in report.exposed]


HEADERS = ["stack", "data center", "env", "severity", "advisory", "fixed in", "deadline", "days left", "bucket"]


def as_table(report: ExposureReport) -> Table:
    """A rich table of exposed stacks, most urgent first."""
    table = Table(*HEADERS, title=f"Exposure: {len(report.exposed)} of {report.stacks} stacks miss an advisory",
                  title_justify="left")
    for row in _rows(report):
        table.add_row(*row)
    return table


def as_markdown(report: ExposureReport, md_table) -> str:
    """A Markdown section, with the fleet report's own table helper."""
    by = _by_bucket(report)
    summary = md_table(["days to deadline", *SEVERITIES, "stacks"],
                       [[label, *(str(c.get(s, 0)) for s in SEVERITIES), str(sum(c.values()))] for label, c in by])
    return (f"## Exposure\n\n{len(report.exposed)} of {report.stacks} stacks run a release that misses an advisory."
            f"\n\n{summary}\n\n" + md_table(HEADERS, _rows(report)))


def sections(report: ExposureReport) -> list[str]:
    """HTML: figures, stacks by days to deadline (by severity), by data center (by deadline), the stacks."""
    overdue = sum(1 for e in report.exposed if e.days_left < 0)
    week = sum(1 for e in report.exposed if 0 <= e.days_left <= 7)
    critical = sum(1 for e in report.exposed if e.severity == "critical")
    figures = h.cards([("exposed stacks", f"{len(report.exposed):,} of {report.stacks:,}", "warn" if report.exposed else "ok"),
                       ("past the deadline", str(overdue), "bad" if overdue else "ok"),
                       ("due within 7 days", str(week), "warn" if week else "ok"),
                       ("critical", str(critical), "bad" if critical else "ok")])
    if not report.exposed:
        return [h.section("Exposure: advisories the fleet's releases miss", figures)]
    table = h.table(HEADERS, _rows(report)[:SHOWN], numeric=(7,))
    rest = h.table(HEADERS, _rows(report)[SHOWN:], numeric=(7,)) if len(report.exposed) > SHOWN else ""
    return [
        h.section("Exposure: advisories the fleet's releases miss", figures),
        h.section("Exposed stacks by days to the patch deadline, by severity",
                  stacked_chart(_by_bucket(report), SEVERITY_COLOURS, "exposed stacks by days to deadline")),
        h.section("Exposed stacks by data center, by days to the deadline",
                  stacked_chart(_by_data_center(report), BUCKET_COLOURS, "exposed stacks by data center")),
        h.section("Most urgent first", table + (h.collapsed(f"Show the other {len(report.exposed) - SHOWN}", rest)
                                                if rest else "")),
    ]
