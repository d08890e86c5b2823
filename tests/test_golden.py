"""Every catalog version renders exactly as recorded; re-record on purpose with `make golden`."""

from __future__ import annotations

import json

import pytest

from blueprints.catalog import Catalog
from blueprints.sites import load_sites
from tests.golden import FOLDER, cases, drift, path_of, render

CATALOG = Catalog()
CASES = cases(CATALOG)
MAX_LINES = 120


@pytest.mark.parametrize(("entry", "target"), CASES, ids=[f"{e.ref}-{t}" for e, t in CASES])
def test_render_matches_record(repo, entry, target):
    path = path_of(entry, target)
    assert path.exists(), f"no golden render for {entry.ref} on {target}: run `make golden` and review the new file"
    rendered = render(repo, entry, target, CATALOG, load_sites())
    diff = drift(path.read_text(), rendered, f"{entry.ref}-{target}")
    shown = "".join(diff.splitlines(True)[:MAX_LINES])
    assert not diff, (f"{entry.ref} on {target} no longer renders as recorded. If the change is on purpose, "
                      f"run `make golden` and commit the files; an old version must not change by accident:\n{shown}")


def test_no_record_without_a_version():
    recorded = {p.relative_to(FOLDER) for p in FOLDER.glob("*/*.json")}
    expected = {path_of(e, t).relative_to(FOLDER) for e, t in CASES}
    assert recorded == expected, f"golden files without a catalog version: {sorted(map(str, recorded - expected))}"


@pytest.mark.parametrize(("entry", "target"), [(e, t) for e, t in CASES if e.moves],
                         ids=[f"{e.ref}-{t}" for e, t in CASES if e.moves])
def test_every_move_lands_on_a_resource_with_its_alias(entry, target):
    resources = json.loads(path_of(entry, target).read_text())["resources"]
    stack = "golden-prod"
    for move in entry.moves:
        old, new = move.names(stack)
        found = [r for r in resources if r["type"] == move.type and r["name"] == new]
        assert len(found) == 1, f"{entry.ref}: move to {new} ({move.type}) matches {len(found)} resources"
        assert any(a.endswith(f"::{old}") for a in found[0]["aliases"]), (
            f"{found[0]['urn']}: no alias to {old}, so the engine would replace it")
