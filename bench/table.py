"""The benchmark's report: every row of issue 23's table against its target, and the growth across fleet sizes.

Pure functions of the figures `bench.fleet.run` collects, so the report can be checked without running anything.
Wall-time targets were set for the reference fleet (1,495 stacks); at another size they are scaled pro rata, and
the row says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

REFERENCE_STACKS = 1495
"""Stacks of the reference fleet the wall-time targets were set for."""


@dataclass(frozen=True)
class Row:
    """One line of the targets table."""

    what: str
    measured: str
    target: str
    met: bool


def _ok(run: dict[str, Any]) -> bool:
    """A command that ran to the end: exit 0, or 1 for findings (2 and above: it failed)."""
    return run["rc"] in (0, 1)


def _seconds(run: dict[str, Any]) -> str:
    return f"{run['wall']:.2f} s" if _ok(run) else f"failed (exit {run['rc']})"


def _under(what: str, run: dict[str, Any], limit: float, target: str) -> Row:
    return Row(what, _seconds(run), target, _ok(run) and run["wall"] < limit)


def cpu_ms_per_resource(cpu: float, resources: int) -> float:
    return 1000 * cpu / resources if resources else float("inf")


def engine_ratio(size: dict[str, Any]) -> float:
    """Stock CPU per resource over ours: ours is the cold fleet preview's marginal CPU per resource (the whole
    process tree, less a run of one mix cycle that pays the processes' start and imports, as the stock side's
    untimed warm-up does). A fleet no larger than that cycle is counted whole, imports and all."""
    preview, fixed, stock = size["fleet_preview"], size["preview_overhead"], size["stock"]
    if preview["resources"] > fixed["resources"]:
        ours = cpu_ms_per_resource(preview["cpu"] - fixed["cpu"], preview["resources"] - fixed["resources"])
    else:
        ours = cpu_ms_per_resource(preview["cpu"], preview["resources"])
    return cpu_ms_per_resource(stock["cpu"], stock["resources"]) / ours


def _scaled(limit: float, stacks: int) -> tuple[float, str]:
    if stacks == REFERENCE_STACKS:
        return limit, f"< {limit:g} s"
    scaled = limit * stacks / REFERENCE_STACKS
    return scaled, f"< {scaled:.1f} s ({limit:g} s at {REFERENCE_STACKS:,} stacks, pro rata)"


def rows(figures: dict[str, Any]) -> list[Row]:
    """Issue 23's table, measured at the run's largest size."""
    size, single = figures["sizes"][-1], figures["single"]
    stacks, audit = size["stacks"], size["fleet_audit"]
    audit_limit, audit_target = _scaled(60, stacks)
    validate_limit, validate_target = _scaled(40, stacks)
    audit_cpu = cpu_ms_per_resource(audit["cpu"], size["resources"])
    ratio = engine_ratio(size)
    return [
        _under(f"`bp fleet audit`, cold, {stacks:,} stacks: wall", audit, audit_limit, audit_target),
        Row("`bp fleet audit`, cold: CPU per resource (every process)", f"{audit_cpu:.2f} ms", "< 1.5 ms",
            _ok(audit) and audit_cpu < 1.5),
        _under(f"`bp validate --all`, cold, {stacks:,} stacks", size["validate_cold"], validate_limit, validate_target),
        _under("`bp validate --all`, nothing changed", size["validate_warm"], 3, "< 3 s"),
        _under("`bp audit ONE`, warm", single["audit_warm"], 0.5, "< 0.5 s"),
        _under("`bp audit ONE`, cold", single["audit_cold"], 1.5, "< 1.5 s"),
        _under("`bp preview ONE --json`, no server started by hand", single["preview"], 0.5, "< 0.5 s"),
        _under("`bp validate ONE`, no server started by hand", single["validate"], 0.5, "< 0.5 s"),
        Row("engine throughput per core vs stock mocks, CPU per resource, same moments", f"{ratio:.2f}x",
            ">= 3.5x", ratio >= 3.5),
        Row("peak PSS of the fleet-audit process tree", f"{audit['peak_pss_mib']:.0f} MiB", "< 600 MiB",
            _ok(audit) and audit["peak_pss_mib"] < 600),
    ]


def targets_table(figures: dict[str, Any]) -> str:
    lines = ["| what | measured | target | met |", "|---|---|---|---|"]
    lines += [f"| {r.what} | {r.measured} | {r.target} | {'yes' if r.met else 'NO'} |" for r in rows(figures)]
    return "\n".join(lines)


def growth_table(figures: dict[str, Any]) -> str:
    """Each size's cold runs side by side, to see that they grow linearly."""
    lines = [("| stacks | resources | load | fleet preview wall, CPU/resource | fleet audit wall, CPU/resource "
              "| validate --all cold | stock CPU/resource | ratio |"), "|---|---|---|---|---|---|---|---|"]
    for size in figures["sizes"]:
        preview, audit, stock = size["fleet_preview"], size["fleet_audit"], size["stock"]
        lines.append(
            f"| {size['stacks']:,} | {size['resources']:,} | {size['load']:.1f} "
            f"| {_seconds(preview)}, {cpu_ms_per_resource(preview['cpu'], preview['resources']):.2f} ms "
            f"| {_seconds(audit)}, {cpu_ms_per_resource(audit['cpu'], size['resources']):.2f} ms "
            f"| {_seconds(size['validate_cold'])} "
            f"| {cpu_ms_per_resource(stock['cpu'], stock['resources']):.2f} ms ({stock['stacks']} stacks) "
            f"| {engine_ratio(size):.2f}x |")
    return "\n".join(lines)


def report(figures: dict[str, Any]) -> str:
    """The section appended to bench/RESULTS.md (and printed): how it ran, growth, then the targets."""
    return "\n".join([
        f"## {figures['started']}: `{figures['command']}` at {figures['commit']}", "",
        f"Machine: {figures['machine']}; load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.1f}" for x in figures["load_before"])
        + ", after: " + ", ".join(f"{x:.1f}" for x in figures["load_after"])
        + f"; {figures['jobs']} workers. Single commands measured with load {figures['single']['load']:.1f}.", "",
        growth_table(figures), "", targets_table(figures), "",
    ])


def append(path: Path, text: str) -> None:
    """Add a run's section to the end of `path`."""
    with path.open("a") as out:
        out.write("\n" + text)
