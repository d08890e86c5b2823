"""The catalog: entries load, versions resolve, mistakes are named."""

from __future__ import annotations

import pytest

from blueprints.catalog import Catalog
from blueprints.errors import BadInput


def test_the_required_entries_exist(catalog):
    assert {"web-service", "data-platform", "k8s-cluster", "vm-app", "network-hub"} <= set(catalog.names())


def test_no_version_means_newest_non_deprecated(catalog):
    assert catalog.get("web-service").version == "2.1.0"
    old = catalog.get("web-service@1.0.0")
    assert old.deprecated and old.successor == "2.1.0"


def test_unknown_name_and_version_are_named(catalog):
    with pytest.raises(BadInput, match="unknown blueprint 'nope'"):
        catalog.get("nope")
    with pytest.raises(BadInput, match="no version 9.9.9 .*known: 1.0.0, 2.0.0, 2.1.0"):
        catalog.get("web-service@9.9.9")


def test_every_entry_declares_contract_slo_and_sizes(catalog):
    for entry in catalog.entries:
        assert entry.responsibility.platform and entry.responsibility.team, entry.ref
        assert set(entry.sizes) == {"S", "M", "L", "XL"}, entry.ref
        sizes = [entry.sizes[s].vcpu for s in ("S", "M", "L", "XL")]
        assert sizes == sorted(sizes), f"{entry.ref}: sizes do not grow"
        for kind in entry.spec.data_services:
            assert entry.slo.rpo_minutes is not None, f"{entry.ref} has data services but no RPO"


def test_a_malformed_entry_names_file_and_line(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "1.0.0.yaml").write_text("name: x\nversion: 1.0.0\nsummary: [unclosed\n")
    with pytest.raises(BadInput, match=r"1\.0\.0\.yaml:\d+: malformed YAML"):
        Catalog(tmp_path).entries


def test_a_misnamed_file_is_refused(tmp_path, catalog):
    src = catalog.folder / "vm-app" / "1.0.0.yaml"
    (tmp_path / "vm-app").mkdir()
    (tmp_path / "vm-app" / "2.0.0.yaml").write_text(src.read_text())
    with pytest.raises(BadInput, match="must be vm-app/1.0.0.yaml"):
        Catalog(tmp_path).entries
