"""Showback in `bp fleet report`: every grouping adds up to the sum of the stacks, every format carries it, and the
HTML page shows it as a chart and tables in Chromium."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal

import pytest

from blueprints.sites import load_sites
from cost.estimate import estimate
from cost.lines import money
from cost.showback import GROUPINGS, build
from tests.browser import dump_dom, screenshot
from tests.conftest import ROOT
from tests.fleet_support import MIX_WITH_OLD, stamp_fleet, write_fleet

STACKS = 40


@pytest.fixture(scope="module")
def fleet(catalog, sites):
    return stamp_fleet(catalog, sites, STACKS, mix=MIX_WITH_OLD)


@pytest.fixture(scope="module")
def fleet_repo(tmp_path_factory, fleet):
    repo = tmp_path_factory.mktemp("repo")
    shutil.copy(ROOT / "Pulumi.yaml", repo / "Pulumi.yaml")
    write_fleet(repo, fleet)
    return repo


@pytest.fixture(scope="module")
def bp(fleet_repo):
    from typer.testing import CliRunner

    from cli.main import app

    return lambda *args: CliRunner().invoke(app, ["--repo", str(fleet_repo), *args], catch_exceptions=False)


def test_every_grouping_adds_up_to_the_sum_of_the_stacks(fleet, sites):
    show = build(fleet, sites)
    each = {bp.stack: estimate(bp, sites).monthly for bp in fleet}
    assert show.total == sum(each.values()) and show.total > 0
    for grouping in GROUPINGS:
        shares = show.groups[grouping]
        assert sum((s.monthly for s in shares), Decimal(0)) == show.total, grouping
        assert sum(s.stacks for s in shares) == STACKS, grouping
        assert all(s.aws + s.onprem == s.monthly for s in shares), grouping
    by_center: dict[str, Decimal] = {}
    for bp in fleet:
        by_center[bp.request.cost_center] = by_center.get(bp.request.cost_center, Decimal(0)) + each[bp.stack]
    assert {s.name: s.monthly for s in show.groups["cost_center"]} == by_center
    assert [s.monthly for s in show.groups["team"]] == sorted((s.monthly for s in show.groups["team"]), reverse=True)


def test_json_and_markdown_carry_showback(bp, fleet, sites):
    data = json.loads(bp("fleet", "report", "--format", "json").stdout)["showback"]
    assert data["monthly"] == str(money(build(fleet, sites).total))
    assert sum(Decimal(s["monthly"]) for s in data["blueprint"]) == pytest.approx(Decimal(data["monthly"]), abs=Decimal("0.01") * STACKS)
    md = bp("fleet", "report", "--format", "markdown").stdout
    for heading in ("## Showback", "### By cost center", "### By team", "### By data center", "### By blueprint"):
        assert heading in md


def test_no_prices_no_showback(bp, tmp_path):
    text = (ROOT / "blueprints" / "sites" / "demo-fleet.yaml").read_text()
    bare = tmp_path / "sites.yaml"
    bare.write_text(text[:text.index("\n# Prices (issue 22)")] + "\n")
    assert load_sites(bare).prices is None
    result = bp("--sites", str(bare), "fleet", "report", "--format", "json")
    assert result.exit_code == 0 and "showback" not in json.loads(result.stdout)


def test_html_shows_showback_chart_and_tables_in_chromium(bp, fleet, sites, tmp_path):
    page = tmp_path / "fleet.html"
    assert bp("fleet", "report", "--format", "html", "--output", str(page)).exit_code == 0
    html = page.read_text()
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    dom = dump_dom(page)
    show = build(fleet, sites)
    for heading in ("Showback: monthly cost", "Monthly cost by cost center", "Monthly cost by team",
                    "Monthly cost by data center", "Monthly cost by blueprint"):
        assert heading in dom
    top = show.groups["cost_center"][0]
    assert top.name in dom and f"${money(show.total):,.0f}" in dom
    assert dom.count('aria-label="monthly cost by group"') == 1
    png = screenshot(page, tmp_path / "fleet.png", height=2600)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000


def test_a_stack_the_plan_refuses_is_set_apart_not_fatal(fleet, sites):
    broken = fleet[0].model_copy(update={"decisions": fleet[0].decisions.model_copy(update={"engines": ()})})
    show = build([broken, *fleet[1:]], sites)
    assert broken.data_services, "the first stack of the mix has data services"
    assert list(show.not_costed) == [broken.stack] and "records no release" in show.not_costed[broken.stack]
    assert sum(s.stacks for s in show.groups["team"]) == STACKS - 1
