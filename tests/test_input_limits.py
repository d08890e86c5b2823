"""Input limits and meaning: parameter kinds, free-text lengths, a catalog checked when it loads, stamp warnings."""

from __future__ import annotations

import shutil

import pytest

from blueprints import value_kinds
from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from tests.conftest import ROOT

NEW = ["new", "payments", "--blueprint", "web-service", "--env", "dev", "--region", "amer",
       "--owner", "lead@example.com", "--cost-center", "CC-1"]


@pytest.mark.parametrize("kind, good, bad", [
    ("dns-label", "ingress-nginx", "Bad Name!"),
    ("cidr", "10.0.0.0/16", "10.0.0.1/16"),
    ("semver", "1.2.3", "1.2"),
    ("email", "lead@example.com", "lead@"),
])
def test_value_kinds(kind, good, bad):
    assert value_kinds.problem(kind, good) is None
    assert value_kinds.problem(kind, bad).startswith("is not ")
    assert "at most 253" in value_kinds.problem(None, "x" * 254)


def test_a_parameter_of_the_wrong_kind_is_refused_at_bp_new(bp, repo):
    result = bp(*NEW, "--param", "ingress_namespace=Bad Name!")
    assert result.exit_code == 2
    assert "--param ingress_namespace: 'Bad Name!' is not a DNS label" in result.output
    assert not list((repo / "stacks").glob("Pulumi.*"))


def test_free_text_has_a_length_limit(bp):
    result = bp(*NEW, "--contact", "x" * 129)
    assert result.exit_code == 2 and "--contact" in result.output and "128 characters" in result.output


def catalog_with(tmp_path, old: str, new: str) -> Catalog:
    folder = tmp_path / "catalog"
    shutil.copytree(ROOT / "blueprints" / "catalog", folder)
    path = folder / "web-service" / "2.0.0.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return Catalog(folder)


@pytest.mark.parametrize("old, new, message", [
    ("kind: dns-label, default: ingress-nginx", "kind: dns-label, default: Ingress_Nginx", "the default does not fit"),
    ('postgres_version: {type: string,', 'postgres_version: {type: string, minimum: 1,', "apply to integer parameters"),
    ("default_data_services: [{kind: postgres, size: S}", "default_data_services: [{kind: kafka, size: S}",
     "kafka is not in spec.data_services"),
    ("default_data_services: [{kind: postgres, size: S}", "default_data_services: [{kind: postgres, size: XXL}",
     r"default_data_services\[0\]: Input should be"),
])
def test_the_catalog_is_checked_when_it_loads_with_file_and_line(tmp_path, old, new, message):
    catalog = catalog_with(tmp_path, old, new)
    with pytest.raises(BadInput, match=message) as caught:
        catalog.entries
    assert "web-service/2.0.0.yaml:" in str(caught.value)
    assert caught.value.line is not None


def test_deprecated_and_other_audience_entries_stamp_with_a_warning(bp, repo):
    result = bp(*NEW[:3], "web-service@1.0.0", *NEW[4:])
    assert result.exit_code == 0
    assert "deprecated" in result.output and "use web-service@2.1.0 instead" in result.output
    result = bp("new", "plat", "--blueprint", "k8s-cluster", *NEW[4:])
    assert result.exit_code == 0
    assert "meant for the platform team" in result.output and "web-service" in result.output
