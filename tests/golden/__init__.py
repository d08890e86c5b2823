"""Golden renders: every catalog version, on every target it supports, rendered offline and recorded.

A blueprint version pins what it builds, so a library change must not change an old version's
resources by accident. `python -m tests.golden --update` (or `make golden`) re-records on purpose;
`tests/test_golden.py` fails with a readable diff when a render drifts from its record.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from blueprints.catalog import Catalog, CatalogEntry
from blueprints.models import BlueprintRequest
from blueprints.placement.resolve import resolve
from blueprints.sites import SitesMap
from engine.stacks import preview

FOLDER = Path(__file__).parent
SIZE = "M"
"""One representative size: the catalog's sizes change amounts, not which resources exist."""
REGION = {"aws": "amer", "vsphere": "amer"}


def cases(catalog: Catalog) -> list[tuple[CatalogEntry, str]]:
    """Every (version, target) pair the catalog offers."""
    return [(entry, target) for entry in catalog.entries for target in entry.targets]


def path_of(entry: CatalogEntry, target: str) -> Path:
    """Where the record of one pair lives."""
    return FOLDER / entry.name / f"{entry.version}-{target}.json"


def render(repo: Path, entry: CatalogEntry, target: str, catalog: Catalog, sites: SitesMap) -> str:
    """The stable JSON of every resource the pair builds for a fixed prod request, sorted by URN."""
    request = BlueprintRequest(team="golden", env="prod", blueprint=entry.ref, target=target, region=REGION[target],
                               size=SIZE, owner="golden@example.com", cost_center="CC-0001")
    # A version keeps its render after its promises' support ends: stacks stamped on it still run this program.
    capture = preview(repo, resolve(request, catalog, sites, refuse_ended=False), sites)
    resources = sorted(({**r.to_json(), "dependencies": sorted(r.dependencies), "aliases": sorted(r.aliases)}
                        for r in capture.resources), key=lambda r: r["urn"])
    return json.dumps({"blueprint": entry.ref, "target": target, "size": SIZE, "resources": resources},
                      indent=1, sort_keys=True) + "\n"


def drift(recorded: str, rendered: str, name: str) -> str:
    """A unified diff from the record to the render, empty when they agree."""
    return "".join(difflib.unified_diff(recorded.splitlines(True), rendered.splitlines(True),
                                        f"{name} (recorded)", f"{name} (rendered)", n=2))
