"""`bp portal export`: write the templates and entities to a folder that Backstage imports through one Location.

Re-running it is idempotent: the folder's manifest (store.outputs) lists every file the last export wrote;
files it no longer produces are removed, and a file it did not write is never overwritten.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from blueprints import clock
from blueprints.catalog import Catalog
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from portal.entities import API_VERSION, EXPORTED_BY, EXPORTER, entities
from portal.templates import SKELETON_PATH, SKELETON_TEXT, Publishing, offered_targets, template, template_name
from store.outputs import write_folder

LOCATION = "catalog-info.yaml"


def _yaml(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False, width=1_000_000, allow_unicode=True)


def requestable(catalog: Catalog, sites: SitesMap, today: date) -> list:
    """Catalog versions a team may request: application-team entries on a target whose versions are still
    supported, deprecated ones included (they say so)."""
    return [e for e in catalog.entries if e.audience == "application-team" and offered_targets(e, sites, today)]


def files(catalog: Catalog, sites: SitesMap, stacks: list[ResolvedBlueprint], pub: Publishing, project: str,
          reports_url: str | None) -> dict[str, str]:
    """Every file of the export by relative path, the Location that lists them first."""
    out: dict[str, str] = {}
    today = clock.today()
    for entry in requestable(catalog, sites, today):
        folder = f"templates/{template_name(entry)}"
        out[f"{folder}/template.yaml"] = _yaml(template(entry, sites, pub, today))
        out[f"{folder}/{SKELETON_PATH}"] = SKELETON_TEXT
    for doc in entities(stacks, catalog, sites.platform, project, reports_url):
        out[f"entities/{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"] = _yaml(doc)
    targets = [f"./{path}" for path in out if path.endswith(".yaml") and "/skeleton/" not in path]
    location = {"apiVersion": API_VERSION, "kind": "Location",
                "metadata": {"name": "cloud-blueprints", "description": "Templates and stacks of Cloud Blueprints",
                             "annotations": {EXPORTED_BY: EXPORTER}},
                "spec": {"targets": targets}}
    return {LOCATION: _yaml(location), **out}


def export(folder: Path, wanted: dict[str, str], repo: Path) -> tuple[int, int]:
    """Bring `folder` to `wanted` through bp's one way of writing a generated folder (store.outputs): files
    an earlier export wrote and no longer produces are removed, nothing else is touched, and a file bp did not write is
    never overwritten. Returns (written, removed)."""
    return write_folder(folder, wanted, repo)
