"""`bp portal export`: write the templates and entities to a folder that Backstage imports through one Location.

Re-running it is idempotent: the folder's manifest lists every file the last export wrote, with its digest. Files
the export no longer produces are removed only when they are still exactly as written; a file someone changed is
left in place and named, and a file the export did not write is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from blueprints import clock, yaml_io
from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from portal.entities import API_VERSION, EXPORTED_BY, EXPORTER, entities
from portal.templates import SKELETON_PATH, SKELETON_TEXT, Publishing, offered_targets, template, template_name

MANIFEST = ".bp-portal-export.json"
LOCATION = "catalog-info.yaml"


@dataclass
class ExportResult:
    """What an export did."""

    written: list[str] = field(default_factory=list)
    """Files written or rewritten, relative to the folder."""
    unchanged: list[str] = field(default_factory=list)
    """Files already as they would be written."""
    removed: list[str] = field(default_factory=list)
    """Files of an earlier export no longer produced, removed."""
    kept: list[str] = field(default_factory=list)
    """Files of an earlier export no longer produced but changed since, left in place."""


def _yaml(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False, width=1_000_000, allow_unicode=True)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


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


def _manifest(folder: Path) -> dict[str, str]:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        return {str(k): str(v) for k, v in data["files"].items()}
    except (ValueError, KeyError, AttributeError):
        raise BadInput("not a manifest this command wrote; move it away to export here", path) from None


def _refuse_foreign(folder: Path, wanted: dict[str, str], before: dict[str, str]) -> None:
    """Never overwrite a file an earlier export did not write."""
    for rel, text in wanted.items():
        path = folder / rel
        if rel not in before and path.exists() and path.read_text() != text:
            raise BadInput("exists and was not written by `bp portal export`; move it away or export elsewhere", path)


def _remove_stale(folder: Path, wanted: dict[str, str], before: dict[str, str], result: ExportResult) -> None:
    for rel, digest in sorted(before.items()):
        path = folder / rel
        if rel in wanted or not path.exists():
            continue
        if _digest(path.read_text()) != digest:
            result.kept.append(rel)
            continue
        path.unlink()
        result.removed.append(rel)
        for parent in path.parents:
            if parent == folder or any(parent.iterdir()):
                break
            parent.rmdir()


def export(folder: Path, wanted: dict[str, str]) -> ExportResult:
    """Bring `folder` to exactly `wanted` for the files this command owns; nothing is written on bad input."""
    before = _manifest(folder)
    _refuse_foreign(folder, wanted, before)
    result = ExportResult()
    for rel, text in wanted.items():
        path = folder / rel
        if path.exists() and path.read_text() == text:
            result.unchanged.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        yaml_io.write_atomic(path, text)
        result.written.append(rel)
    _remove_stale(folder, wanted, before, result)
    manifest = {"files": {rel: _digest(text) for rel, text in sorted(wanted.items())}}
    yaml_io.write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return result
