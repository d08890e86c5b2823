"""The request model: names, refs and e-mail addresses, property-based where the space is large."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, strategies as st
from pydantic import ValidationError

from blueprints.models import TEAM_PATTERN
from blueprints.team_names import team_budget
from tests.conftest import make_request

MAX = team_budget().max_len
# DNS-1123 labels that start with a letter, have no '--' and avoid the reserved prefixes: the names every
# provider accepts in the names built from a team.
label = st.from_regex(rf"\A[a-z]([a-z0-9-]{{0,{MAX - 2}}}[a-z0-9])?\Z").filter(
    lambda s: "--" not in s and not s.startswith(("sg-", "sthree-", "amzn-s3-demo-")))


@given(label.filter(lambda s: len(s) >= 2))
def test_every_provider_safe_dns_label_within_the_budget_is_a_team(name):
    assert make_request(team=name).stack == f"{name}-dev"


@given(st.text(min_size=1, max_size=40))
def test_anything_else_is_refused(name):
    valid = (2 <= len(name) <= MAX and re.fullmatch(TEAM_PATTERN, name) and name[0].isalpha() and "--" not in name
             and not name.startswith(("sg-", "sthree-", "amzn-s3-demo-")))
    if valid:
        make_request(team=name)
    else:
        with pytest.raises(ValidationError, match="team"):
            make_request(team=name)


@pytest.mark.parametrize("team", ["../x", "Payments", "a", "-lead", "trail-", "pay_ments", "pay.ments"])
def test_named_bad_team_names(team):
    with pytest.raises(ValidationError, match="DNS-1123"):
        make_request(team=team)


@pytest.mark.parametrize("team, words", [("x" * (MAX + 1), f"at most {MAX} fit"), ("7seas", "must start with a letter"),
                                         ("a--b", "must not contain '--'"), ("sg-team", "must not start with 'sg-'")])
def test_team_names_a_provider_would_refuse(team, words):
    with pytest.raises(ValidationError, match=words):
        make_request(team=team)


@pytest.mark.parametrize("ref", ["web-service", "web-service@2.0.0", "vm-app@10.20.30"])
def test_blueprint_refs(ref):
    assert make_request(blueprint=ref).blueprint == ref


@pytest.mark.parametrize("ref", ["web-service@2", "web-service@v2.0.0", "Web", "web@01.0.0", "web@1.0.0-rc1"])
def test_bad_blueprint_refs(ref):
    with pytest.raises(ValidationError, match="is not a blueprint name .*optionally with @major.minor.patch"):
        make_request(blueprint=ref)


def test_unknown_fields_are_errors():
    with pytest.raises(ValidationError, match="extra"):
        make_request(sise="M")


def test_request_is_frozen():
    with pytest.raises(ValidationError):
        make_request().team = "other"


def test_owner_must_be_an_email_and_is_normalised():
    assert make_request(owner="Lead@Example.COM").owner == "lead@example.com"
    with pytest.raises(ValidationError, match="e-mail"):
        make_request(owner="lead")


def test_every_field_describes_its_default():
    from blueprints.catalog import CatalogEntry
    from blueprints.models import BlueprintRequest
    from blueprints.resolved import ResolvedBlueprint
    from blueprints.sites import SitesMap

    for model in (BlueprintRequest, CatalogEntry, SitesMap, ResolvedBlueprint):
        for name, field in model.model_fields.items():
            assert field.description and ("Default" in field.description or "Required" in field.description), \
                f"{model.__name__}.{name} does not state its default"
