"""Estimates in Infracost's JSON shape (`infracost breakdown --format json`, version 0.2), so the tools and
dashboards that read Infracost output read ours: projects with a breakdown of resources and cost components,
every figure a string, monthly and hourly, with a past breakdown and a diff when a change is costed.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal

from cost.estimate import Estimate
from cost.lines import CostLine, CostResource

VERSION = "0.2"
"""The Infracost JSON format version written."""
PROJECT_TYPE = "cloud_blueprints_stack"
"""metadata.type of a project: a stamped stack file, not a Terraform plan."""


def _s(value: Decimal | None) -> str | None:
    """A figure as Infracost writes it: a plain decimal string, never an exponent."""
    if value is None:
        return None
    return format(value.normalize(), "f") if value else "0"


def _line(line: CostLine, hours: int) -> dict:
    hourly_quantity = line.monthly_quantity / hours
    priced = line.price is not None
    return {
        "name": line.name, "unit": line.unit,
        "hourlyQuantity": _s(hourly_quantity), "monthlyQuantity": _s(line.monthly_quantity),
        "price": _s(line.price),
        "hourlyCost": _s(hourly_quantity * line.price) if priced else None,
        "monthlyCost": _s(line.monthly) if priced else None,
    }


def _resource(res: CostResource, component: str, tags: dict[str, str], hours: int) -> dict:
    return {
        "name": f"{component}.{res.name}",
        "tags": tags,
        "metadata": {"type": res.type, "component": component},
        "hourlyCost": _s(res.monthly / hours),
        "monthlyCost": _s(res.monthly),
        "costComponents": [_line(line, hours) for line in res.lines],
    }


def _breakdown(est: Estimate | None, tags: dict[str, str]) -> dict:
    if est is None:
        return {"resources": [], "totalHourlyCost": "0", "totalMonthlyCost": "0"}
    hours = est.hours_per_month
    return {
        "resources": [_resource(r, c.name, tags, hours) for c in est.components for r in c.resources],
        "totalHourlyCost": _s(est.monthly / hours),
        "totalMonthlyCost": _s(est.monthly),
    }


def _diff(now: dict, past: dict, hours: int) -> dict:
    """Resources whose monthly cost changed, with the change; totals as the change."""
    before = {r["name"]: Decimal(r["monthlyCost"]) for r in past["resources"]}
    after = {r["name"]: Decimal(r["monthlyCost"]) for r in now["resources"]}
    changed = []
    for name in sorted(before.keys() | after.keys()):
        delta = after.get(name, Decimal(0)) - before.get(name, Decimal(0))
        if delta:
            changed.append({"name": name, "metadata": {}, "hourlyCost": _s(delta / hours), "monthlyCost": _s(delta)})
    total = Decimal(now["totalMonthlyCost"]) - Decimal(past["totalMonthlyCost"])
    return {"resources": changed, "totalHourlyCost": _s(total / hours), "totalMonthlyCost": _s(total)}


def _summary(estimates: list[Estimate]) -> dict:
    resources = [(r, c) for e in estimates for c in e.components for r in c.resources]
    unpriced = Counter(r.type for r, _ in resources if r.unpriced)
    supported = Counter(r.type for r, _ in resources if not r.unpriced)
    return {
        "totalResources": len(resources), "totalDetectedResources": len(resources),
        "totalSupportedResources": sum(supported.values()), "totalUnsupportedResources": 0,
        "totalUsageBasedResources": 0, "totalNoPriceResources": sum(unpriced.values()),
        "supportedResourceCounts": dict(sorted(supported.items())), "unsupportedResourceCounts": {},
        "noPriceResourceCounts": dict(sorted(unpriced.items())),
    }


def project(est: Estimate, path: str, tags: dict[str, str], past: Estimate | None = None) -> dict:
    """One stack as an Infracost project; `past` is the stack's cost before a change (upgrade, resize)."""
    now, before = _breakdown(est, tags), _breakdown(past, tags)
    return {
        "name": est.stack,
        "metadata": {"path": path, "type": PROJECT_TYPE},
        "pastBreakdown": before,
        "breakdown": now,
        "diff": _diff(now, before, est.hours_per_month),
        "summary": _summary([est]),
    }


def document(projects: list[dict], estimates: list[Estimate], generated: datetime) -> dict:
    """The whole Infracost JSON document over some projects."""
    def total(key: str, part: str) -> str:
        return _s(sum((Decimal(p[key][part]) for p in projects), Decimal(0)))

    return {
        "version": VERSION, "currency": "USD", "projects": projects,
        "totalHourlyCost": total("breakdown", "totalHourlyCost"), "totalMonthlyCost": total("breakdown", "totalMonthlyCost"),
        "pastTotalHourlyCost": total("pastBreakdown", "totalHourlyCost"),
        "pastTotalMonthlyCost": total("pastBreakdown", "totalMonthlyCost"),
        "diffTotalHourlyCost": total("diff", "totalHourlyCost"), "diffTotalMonthlyCost": total("diff", "totalMonthlyCost"),
        "timeGenerated": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "summary": _summary(estimates),
    }
