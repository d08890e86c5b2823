"""The request builder: `--from`, flags, answers and `--param` merged in one place, each error naming its flag."""

from __future__ import annotations

import pytest

from blueprints.errors import BadInput
from blueprints.request_builder import RequestInput, answer_problem, build

FLAGS = {"blueprint": "data-platform", "env": "dev", "region": "amer", "owner": "a@b.cd", "cost_center": "CC-1"}


def test_flags_override_the_file_and_the_file_fills_the_rest(tmp_path, catalog):
    path = tmp_path / "request.yaml"
    path.write_text("env: prod\nsize: L\nparameters: {postgres_version: '15'}\n")
    request = build(RequestInput("cart", {**FLAGS, "env": "test"}, ["postgres:S"], [], path), catalog)
    assert (request.env, request.size, request.parameters) == ("test", "L", {"postgres_version": "15"})
    assert [(d.kind, d.size) for d in request.data_services] == [("postgres", "S")]


def test_a_file_error_names_its_line(tmp_path, catalog):
    path = tmp_path / "request.yaml"
    path.write_text("env: dev\nsize: XXL\n")
    with pytest.raises(BadInput, match=r"request.yaml:2.*size"):
        build(RequestInput("cart", FLAGS, from_file=path), catalog)


def test_a_missing_field_is_asked_for_or_named_by_its_flag(catalog):
    flags = {k: v for k, v in FLAGS.items() if k not in ("cost_center", "region")}
    asked = []

    def ask(field):
        asked.append(field)
        return {"cost_center": "CC-9"} if field == "cost_center" else {"site": "ny1"}

    request = build(RequestInput("cart", flags), catalog, ask)
    assert asked == ["cost_center", "region"] and (request.cost_center, request.site) == ("CC-9", "ny1")
    with pytest.raises(BadInput, match=r"^--cost-center is required"):
        build(RequestInput("cart", flags), catalog)
    with pytest.raises(BadInput, match=r"^--region or --site is required"):
        build(RequestInput("cart", {**flags, "cost_center": "CC-1"}), catalog)


def test_params_are_typed_against_the_blueprint_and_named_in_errors(catalog):
    request = build(RequestInput("cart", FLAGS, params=["postgres_version=17"]), catalog)
    assert request.parameters == {"postgres_version": "17"}
    for params, error in ((["postgres_version"], "--param: 'postgres_version' is not NAME=VALUE"),
                          (["colour=red"], "--param colour: not a parameter of data-platform@"),
                          (["postgres_version=14"], "--param postgres_version:"),
                          (["postgres_version=15", "postgres_version=16"], "--param: 'postgres_version' is given twice")):
        with pytest.raises(BadInput) as caught:
            build(RequestInput("cart", FLAGS, params=params), catalog)
        assert str(caught.value).startswith(error), caught.value


def test_a_bad_field_is_named_by_flag_and_field(catalog):
    with pytest.raises(BadInput, match=r"^--owner \(owner\): "):
        build(RequestInput("cart", {**FLAGS, "owner": "not-an-address"}), catalog)


def test_an_answer_is_judged_on_its_own(catalog, sites):
    assert answer_problem("env", "dev", catalog, sites) is None
    assert answer_problem("env", "qa", catalog, sites)
    assert answer_problem("region", "", catalog, sites) is None
    assert "unknown region" in answer_problem("region", "mars", catalog, sites)
    assert "unknown site" in answer_problem("site", "mars1", catalog, sites)
    assert answer_problem("blueprint", "no-such", catalog, sites)
