"""Backstage catalog entities for what is stamped: a Resource per stack and per data service, a System per team,
a Domain per compliance zone. Owners are the groups the stacks already grant access to (sites map `platform`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import get_args

from blueprints.catalog import Catalog
from blueprints.models import ComplianceZone
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import Platform

API_VERSION = "backstage.io/v1alpha1"
EXPORTED_BY = "cloud-blueprints.io/exported-by"
"""Annotation on every exported entity, so a Backstage reader sees where it comes from and not to edit it there."""
EXPORTER = "bp portal export"


def _meta(name: str, description: str, **extra) -> dict:
    annotations = {EXPORTED_BY: EXPORTER, **extra.pop("annotations", {})}
    return {"name": name, "description": description, "annotations": annotations, **extra}


def _team_group(platform: Platform, team: str) -> str:
    return f"group:default/{platform.team_group_prefix}{team}"


def _links(bp: ResolvedBlueprint, catalog: Catalog, reports_url: str | None) -> list[dict]:
    links = []
    if reports_url:
        links.append({"url": f"{reports_url.rstrip('/')}/audit/{bp.stack}.html", "title": "Audit report", "icon": "docs"})
    entry = next((e for e in catalog.entries if e.ref == bp.blueprint_ref), None)
    if entry is not None and entry.responsibility.runbook:
        links.append({"url": entry.responsibility.runbook, "title": "Runbook", "icon": "help"})
    return links


def stack_resource(bp: ResolvedBlueprint, catalog: Catalog, project: str, reports_url: str | None) -> dict:
    """The Resource of one stamped stack."""
    req = bp.request
    place = bp.primary
    return {
        "apiVersion": API_VERSION, "kind": "Resource",
        "metadata": _meta(
            bp.stack, f"{bp.blueprint_ref} for {req.team} in {req.env}, placed in {place.data_center}/{place.pool}",
            title=f"{bp.stack} ({bp.blueprint_ref})",
            labels={"cloud-blueprints.io/env": req.env, "cloud-blueprints.io/target": place.target},
            tags=["cloud-blueprint", req.blueprint.split("@")[0], place.target, req.env],
            annotations={
                "cloud-blueprints.io/stack": bp.stack,
                "cloud-blueprints.io/pulumi-project": project,
                "cloud-blueprints.io/stack-file": f"stacks/Pulumi.{bp.stack}.yaml",
                "cloud-blueprints.io/blueprint": bp.blueprint_ref,
                "cloud-blueprints.io/cost-center": req.cost_center,
            },
            links=_links(bp, catalog, reports_url),
        ),
        "spec": {
            "type": "cloud-blueprint",
            "owner": _team_group(bp.platform, req.team),
            "system": req.team,
            "lifecycle": "production" if bp.prod else "experimental",
            "dependsOn": [f"resource:default/{bp.stack}-{ds.kind}" for ds in bp.data_services],
        },
    }


def service_resource(bp: ResolvedBlueprint, kind: str, size: str) -> dict:
    """The Resource of one data service of a stack."""
    return {
        "apiVersion": API_VERSION, "kind": "Resource",
        "metadata": _meta(f"{bp.stack}-{kind}", f"{kind} (size {size}) of {bp.stack}",
                          annotations={"cloud-blueprints.io/stack": bp.stack}),
        "spec": {"type": kind, "owner": _team_group(bp.platform, bp.request.team), "system": bp.request.team,
                 "dependencyOf": [f"resource:default/{bp.stack}"]},
    }


def systems(stacks: list[ResolvedBlueprint]) -> list[dict]:
    """A System per team; in a Domain when every stack of the team is in the same compliance zone."""
    by_team: dict[str, list[ResolvedBlueprint]] = defaultdict(list)
    for bp in stacks:
        by_team[bp.request.team].append(bp)
    out = []
    for team, owned in sorted(by_team.items()):
        zones = {bp.request.compliance_zone for bp in owned}
        spec = {"owner": _team_group(owned[0].platform, team)}
        if len(zones) == 1:
            spec["domain"] = zones.pop()
        out.append({"apiVersion": API_VERSION, "kind": "System",
                    "metadata": _meta(team, f"What team {team} runs: {', '.join(sorted(bp.stack for bp in owned))}"),
                    "spec": spec})
    return out


def domains(platform: Platform) -> list[dict]:
    """A Domain per compliance zone."""
    return [{"apiVersion": API_VERSION, "kind": "Domain",
             "metadata": _meta(zone, f"Stacks in the {zone} compliance zone"),
             "spec": {"owner": f"group:default/{platform.admin_group}"}}
            for zone in get_args(ComplianceZone)]


def entities(stacks: list[ResolvedBlueprint], catalog: Catalog, platform: Platform, project: str,
             reports_url: str | None) -> list[dict]:
    """Every entity for the stamped stacks: domains, systems, then each stack and its data services."""
    found = [*domains(platform), *systems(stacks)]
    for bp in sorted(stacks, key=lambda s: s.stack):
        found.append(stack_resource(bp, catalog, project, reports_url))
        found += [service_resource(bp, ds.kind, ds.size) for ds in bp.data_services]
    return found
