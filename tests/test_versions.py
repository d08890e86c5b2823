"""Catalog versions declare their contract: a changelog, and a sunset and successor when deprecated."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from blueprints.catalog import CATALOG_DIR, Catalog
from blueprints.errors import BadInput


def test_every_version_has_a_changelog_and_deprecated_ones_a_future(catalog):
    for entry in catalog.entries:
        assert entry.changelog.summary, f"{entry.ref}: empty changelog summary"
        if entry.deprecated:
            assert entry.sunset and entry.successor, f"{entry.ref}: deprecated without sunset and successor"
            assert catalog.get(f"{entry.name}@{entry.successor}").deprecated is None


def _catalog_with(tmp_path: Path, name: str, version: str, edit) -> Catalog:
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, folder)
    path = folder / name / f"{version}.yaml"
    path.write_text(edit(path.read_text()))
    return Catalog(folder)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("sunset: 2027-03-31\n", ""), "deprecated: a deprecated version needs a sunset date"),
    (lambda t: t.replace("successor: 2.1.0", "successor: 0.9.0"), "successor: web-service@0.9.0 is not a newer"),
    (lambda t: t.replace("successor: 2.1.0", 'successor: "2.1"'), "successor: '2.1' is not major.minor.patch"),
])
def test_a_broken_version_contract_names_the_file_and_field(tmp_path, edit, message):
    catalog = _catalog_with(tmp_path, "web-service", "1.0.0", edit)
    with pytest.raises(BadInput, match=message) as err:
        catalog.entries
    assert "web-service/1.0.0.yaml" in str(err.value)


def test_a_move_must_name_the_stack(tmp_path):
    catalog = _catalog_with(tmp_path, "web-service", "2.1.0", lambda t: t.replace('from: "{stack}-tenancy-ns"', "from: tenancy-ns"))
    with pytest.raises(BadInput, match=r"moves\[0\]\.from.*must contain \{stack\}"):
        catalog.entries


def test_catalog_show_versions_lists_changelog_and_sunset(bp):
    result = bp("catalog", "show", "web-service", "--versions")
    assert result.exit_code == 0, result.output
    for text in ("1.0.0", "2.0.0", "2.1.0", "2027-03-31", "Postgres 17 by default", "breaking"):
        assert text in result.output, f"`bp catalog show web-service --versions` lacks {text!r}:\n{result.output}"
