"""The fleet report as a terminal table, Markdown or a self-contained HTML page (built with reports.page)."""

from __future__ import annotations

from html import escape

from rich.console import Group
from rich.table import Table

from cost.showback import Showback
from fleet.report import FleetReport, Utilisation
from reports import exposure as exposure_views
from reports import page as h
from reports import showback as showback_views


def _pct(u: Utilisation) -> str:
    return f"{u.share:.0%}"


def _totals(report: FleetReport) -> Utilisation:
    total = Utilisation("fleet")
    for region in report.regions:
        total.add(region)
    return total


def _status_class(status: str) -> str:
    return "ok" if status == "current" else "bad" if status == "unknown" else "warn"


# --- terminal ---------------------------------------------------------------------------------------------

def _rich_bar(share: float, width: int = 12) -> str:
    filled = round(min(share, 1.0) * width)
    colour = "red" if share > 0.9 else "yellow" if share > 0.75 else "blue"
    return f"[{colour}]{'█' * filled}[/][dim]{'·' * (width - filled)}[/] {share:>4.0%}"


def as_table(report: FleetReport, showback: Showback | None = None) -> Group:
    """Rich tables: regions, data centers, pools, versions, teams, and showback when priced."""
    out = []
    for title, rows in (("Regions", report.regions), ("Data centers", report.data_centers), ("Pools", report.pools)):
        table = Table("name", "stacks", "vCPU", "memory GiB", "utilisation", title=title, title_justify="left")
        for u in rows:
            table.add_row(u.name, str(u.stacks), f"{u.vcpu}/{u.vcpu_total}", f"{u.memory_gib}/{u.memory_total_gib}",
                          _rich_bar(u.share))
        out.append(table)
    versions = Table("blueprint", "stacks", "status", title="Blueprint versions in use", title_justify="left")
    for v in report.versions:
        versions.add_row(v.ref, str(v.stacks), v.status)
    teams = Table("team", "owners", "cost centers", "stacks", title="Teams and owners", title_justify="left")
    for t in report.teams:
        teams.add_row(t.team, ", ".join(t.owners), ", ".join(t.cost_centers),
                      ", ".join(s + (" (retired)" if s in t.retired else "") for s in t.stacks))
    return Group(*out, versions, exposure_views.as_table(report.exposure), teams,
                 *(showback_views.as_tables(showback) if showback else ()))


# --- Markdown ---------------------------------------------------------------------------------------------

def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(escape(str(c), quote=False).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), "|" + "|".join("---" for _ in headers) + "|", *(line(r) for r in rows)])


def _md_bar(share: float, width: int = 20) -> str:
    filled = round(min(share, 1.0) * width)
    return "`" + "█" * filled + "░" * (width - filled) + "`"


def as_markdown(report: FleetReport, showback: Showback | None = None) -> str:
    """A Markdown document for pull requests and wikis."""
    total = _totals(report)
    parts = [f"# Fleet report\n\n{report.stacks} stacks ({report.retired} retired), {len(report.teams)} teams; "
             f"committed {total.vcpu}/{total.vcpu_total} vCPU and {total.memory_gib}/{total.memory_total_gib} GiB "
             f"({_pct(total)})."]
    for title, rows in (("Regions", report.regions), ("Data centers", report.data_centers), ("Pools", report.pools)):
        parts.append(f"## {title}\n\n" + _md_table(
            ["name", "stacks", "vCPU", "memory GiB", "utilisation", ""],
            [[u.name, str(u.stacks), f"{u.vcpu}/{u.vcpu_total}", f"{u.memory_gib}/{u.memory_total_gib}",
              _md_bar(u.share), _pct(u)] for u in rows]))
    parts.append("## Blueprint versions in use\n\n" + _md_table(
        ["blueprint", "stacks", "status"], [[v.ref, str(v.stacks), v.status] for v in report.versions]))
    parts.append(exposure_views.as_markdown(report.exposure, _md_table))
    parts.append("## Teams and owners\n\n" + _md_table(
        ["team", "owners", "cost centers", "stacks"],
        [[t.team, ", ".join(t.owners), ", ".join(t.cost_centers),
          ", ".join(s + (" (retired)" if s in t.retired else "") for s in t.stacks)] for t in report.teams]))
    if showback:
        parts.append(showback_views.as_markdown(showback, _md_table))
    return "\n\n".join(parts) + "\n"


# --- HTML -------------------------------------------------------------------------------------------------

def _dc_tiles(report: FleetReport) -> str:
    pools_by_dc: dict[str, list[Utilisation]] = {}
    for pool in report.pools:
        pools_by_dc.setdefault(pool.detail["data_center"], []).append(pool)
    items = []
    for dc in report.data_centers:
        rows = "".join(f"<div class=\"row\"><span>{escape(p.name.removeprefix(dc.name + '-'))}</span>"
                       f"{h.meter(p.share)}</div>" for p in pools_by_dc[dc.name])
        sub = f"{dc.detail['region']} · {dc.detail['target']} · {dc.detail['location']} · {dc.stacks} placements"
        # The edge takes the fullest pool's colour: a data center is only as roomy as the pool a team needs.
        items.append((dc.name, sub, max(p.share for p in pools_by_dc[dc.name]), rows))
    return h.tiles(items)


def _pool_rows(report: FleetReport) -> list[list[str]]:
    return [[p.detail["region"], p.detail["data_center"], p.name, p.detail["tier"], p.detail["zones"], str(p.stacks),
             f"{p.vcpu:,} / {p.vcpu_total:,}", f"{p.memory_gib:,} / {p.memory_total_gib:,}", h.meter(p.share)]
            for p in sorted(report.pools, key=lambda p: -p.share)]


def as_html(report: FleetReport, subtitle: str, showback: Showback | None = None) -> str:
    """The whole page: figures, charts and tables, showback when priced; opens offline."""
    total = _totals(report)
    hot = sum(1 for p in report.pools if p.share > 0.75)
    outdated = sum(v.stacks for v in report.versions if v.status != "current")
    figures = h.cards([
        ("stacks", f"{report.stacks:,}", ""),
        ("teams", f"{len(report.teams):,}", ""),
        ("vCPU committed", f"{total.vcpu / total.vcpu_total:.0%}" if total.vcpu_total else "0%", ""),
        ("memory committed", f"{total.memory_gib / total.memory_total_gib:.0%}" if total.memory_total_gib else "0%", ""),
        ("pools above 75%", str(hot), "warn" if hot else "ok"),
        ("on old or unknown versions", f"{outdated:,}", "warn" if outdated else "ok"),
        ("retired, still deployed", str(report.retired), "muted"),
    ])
    teams = h.table(
        ["team", "owners", "cost centers", "stacks"],
        [[t.team, ", ".join(t.owners), ", ".join(t.cost_centers),
          ", ".join(escape(s) + (" " + h.badge("retired", "muted") if s in t.retired else "") for s in t.stacks)]
         for t in report.teams], raw=(3,))
    versions = h.table(
        ["blueprint", "status", "stacks", "share of fleet"],
        [[v.ref, h.badge(v.status.split(":")[0], _status_class(v.status)), str(v.stacks),
          f"{v.stacks / report.stacks:.0%}" if report.stacks else "0%"] for v in report.versions],
        numeric=(2, 3), raw=(1,))
    sections = [
        h.section("At a glance", figures),
        h.section("Regions", h.bar_chart([(r.name, r.share, 1.0) for r in report.regions])),
        h.section("Data centers and their pools (amber above 75%, red above 90%)", _dc_tiles(report)),
        *exposure_views.sections(report.exposure),
        *(showback_views.sections(showback) if showback else ()),
        h.section("Blueprint versions in use", versions),
        h.section("Pools, fullest first", h.table(
            ["region", "site", "pool", "tier", "zones", "placements", "vCPU", "memory GiB", "utilisation"],
            _pool_rows(report), numeric=(5, 6, 7), raw=(8,))),
        h.section(f"Teams and owners ({len(report.teams)})",
                  h.collapsed(f"Show all {len(report.teams)} teams", teams)),
    ]
    return h.page("Fleet report", subtitle, sections,
                  footer="Utilisation is the larger of the vCPU and memory shares, as placement ranks pools. "
                         "Retired stacks hold capacity until their stack file is removed.")
