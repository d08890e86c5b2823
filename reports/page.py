"""Self-contained HTML pages for reports: one shell, one stylesheet, inline SVG charts, no external assets.

Every report page (audit, fleet, policy docs) is built from these pieces so they look alike and open offline.
"""

from __future__ import annotations

from html import escape
from typing import Iterable, Sequence

_CSS = """
:root { --fg:#1d2330; --muted:#5b6577; --line:#dde2ea; --bg:#f6f8fb; --card:#fff;
        --ok:#1f8a4c; --warn:#b7791f; --bad:#c53030; --info:#2b6cb0; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:var(--fg); background:var(--bg); }
header { background:#1d2330; color:#fff; padding:20px 32px; }
header h1 { margin:0; font-size:22px; font-weight:600; }
header p { margin:4px 0 0; color:#c9d1de; }
main { padding:24px 32px; max-width:1280px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px 20px; margin:0 0 20px; }
h2 { font-size:17px; margin:0 0 12px; }
h3 { font-size:15px; margin:16px 0 8px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code { font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace; background:#eef1f6; padding:1px 4px; border-radius:3px; }
.cards { display:flex; gap:12px; flex-wrap:wrap; }
.card { flex:1 1 150px; border:1px solid var(--line); border-radius:8px; padding:12px 14px; background:#fff; }
.card .value { font-size:26px; font-weight:600; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; }
.ok { color:var(--ok); } .warn { color:var(--warn); } .bad { color:var(--bad); } .muted { color:var(--muted); }
.badge.ok { background:var(--ok); color:#fff; } .badge.warn { background:var(--warn); color:#fff; }
.badge.bad { background:var(--bad); color:#fff; } .badge.info { background:var(--info); color:#fff; }
.badge.muted { background:#8a94a6; color:#fff; }
svg text { font:12px system-ui,"DejaVu Sans",sans-serif; fill:var(--fg); }
footer { color:var(--muted); font-size:12px; padding:0 32px 24px; }
.meter { display:inline-block; width:120px; height:10px; background:#eef1f6; border-radius:5px; overflow:hidden; vertical-align:middle; }
.meter > span { display:block; height:100%; }
.share { display:inline-block; min-width:40px; text-align:right; margin-left:6px; font-variant-numeric:tabular-nums; }
.tiles { display:grid; grid-template-columns:repeat(auto-fill,minmax(220px,1fr)); gap:12px; }
.tile { border:1px solid var(--line); border-left-width:5px; border-radius:8px; padding:10px 12px; background:#fff; }
.tile h3 { margin:0 0 2px; font-size:15px; } .tile .sub { color:var(--muted); font-size:12px; margin-bottom:8px; }
.tile .row { display:grid; grid-template-columns:64px 1fr auto; align-items:center; font-size:12px; margin:3px 0; gap:6px; }
.tile .row .meter { width:100%; }
details > summary { cursor:pointer; color:var(--info); margin:4px 0 8px; }
"""


def page(title: str, subtitle: str, sections: Iterable[str], footer: str = "") -> str:
    """A whole page: header, the given sections (already HTML), an optional footer line."""
    body = "\n".join(sections)
    foot = f"<footer>{escape(footer)}</footer>" if footer else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
        f"<main>{body}</main>{foot}</body></html>\n"
    )


def section(heading: str, inner_html: str) -> str:
    """A titled card; `inner_html` is trusted HTML built with the helpers here."""
    return f"<section><h2>{escape(heading)}</h2>{inner_html}</section>"


def cards(items: Sequence[tuple[str, str, str]]) -> str:
    """Summary figures as (label, value, css class) cards."""
    return "<div class=\"cards\">" + "".join(
        f"<div class=\"card\"><div class=\"value {escape(cls)}\">{escape(value)}</div>"
        f"<div class=\"label\">{escape(label)}</div></div>"
        for label, value, cls in items
    ) + "</div>"


def badge(text: str, cls: str) -> str:
    """A coloured pill: cls is one of ok, warn, bad, info, muted."""
    return f"<span class=\"badge {escape(cls)}\">{escape(text)}</span>"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = (), raw: Sequence[int] = ()) -> str:
    """A table; cells are escaped except the column indexes in `raw` (trusted HTML such as badges)."""
    def cell(tag: str, i: int, value: str) -> str:
        css = " class=\"num\"" if i in numeric else ""
        return f"<{tag}{css}>{value if i in raw else escape(str(value))}</{tag}>"

    head = "".join(cell("th", i, escape(h)) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bar_chart(bars: Sequence[tuple[str, float, float]], unit: str = "%", width: int = 720) -> str:
    """Horizontal bars as inline SVG: (label, value, limit); the fill turns amber above 75% and red above 90% of limit."""
    row_h, label_w, bar_w = 24, 220, width - 300
    height = row_h * len(bars) + 8
    parts = [f"<svg role=\"img\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"]
    for i, (label, value, limit) in enumerate(bars):
        share = 0.0 if limit <= 0 else value / limit
        colour = level(share)
        y = i * row_h + 4
        filled = max(0.0, min(share, 1.0)) * bar_w
        shown = f"{share * 100:.0f}%" if unit == "%" else f"{value:g} {unit}"
        parts.append(
            f"<text x=\"{label_w - 8}\" y=\"{y + 15}\" text-anchor=\"end\">{escape(label)}</text>"
            f"<rect x=\"{label_w}\" y=\"{y + 3}\" width=\"{bar_w}\" height=\"16\" rx=\"3\" fill=\"#eef1f6\"/>"
            f"<rect x=\"{label_w}\" y=\"{y + 3}\" width=\"{filled:.1f}\" height=\"16\" rx=\"3\" fill=\"{colour}\"/>"
            f"<text x=\"{label_w + bar_w + 8}\" y=\"{y + 15}\">{escape(shown)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def level(share: float) -> str:
    """The colour of a utilisation share: amber above 75%, red above 90%, as in bar_chart."""
    return "#c53030" if share > 0.9 else "#b7791f" if share > 0.75 else "#2b6cb0"


def meter(share: float) -> str:
    """A small inline bar with the share as a percentage, for table cells and tiles."""
    width = max(0.0, min(share, 1.0)) * 100
    return (f"<span class=\"meter\" title=\"{share:.1%}\"><span style=\"width:{width:.1f}%;background:{level(share)}\">"
            f"</span></span><span class=\"share\">{share * 100:.0f}%</span>")


def tiles(items: Iterable[tuple[str, str, float, str]]) -> str:
    """A grid of tiles: (title, subtitle, share for the edge colour, inner HTML built with these helpers)."""
    return "<div class=\"tiles\">" + "".join(
        f"<div class=\"tile\" style=\"border-left-color:{level(share)}\"><h3>{escape(title)}</h3>"
        f"<div class=\"sub\">{escape(sub)}</div>{inner}</div>"
        for title, sub, share, inner in items
    ) + "</div>"


def collapsed(summary: str, inner_html: str) -> str:
    """Long detail a reader opens on demand."""
    return f"<details><summary>{escape(summary)}</summary>{inner_html}</details>"
