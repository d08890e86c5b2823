"""`bp fleet report`: utilisation adds up, every format carries it, and the HTML page renders in Chromium."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from blueprints.sites import load_sites
from fleet.report import build
from fleet.stamped import load_fleet
from lifecycle.retire import retire
from tests.browser import dump_dom, screenshot
from tests.conftest import ROOT
from tests.fleet_support import MIX_WITH_OLD, scaled_sites, stamp_fleet, write_fleet

STACKS = 120


@pytest.fixture(scope="module")
def fleet_files(tmp_path_factory, catalog):
    """A fleet on a sites map with a twentieth of the demo capacity, so utilisation is visible."""
    root = tmp_path_factory.mktemp("fleet")
    sites_file = scaled_sites(root / "sites.yaml", 20)
    stacks = stamp_fleet(catalog, load_sites(sites_file), STACKS, mix=MIX_WITH_OLD)
    return sites_file, stacks


@pytest.fixture(scope="module")
def fleet_repo(tmp_path_factory, fleet_files):
    """The fleet written once for the module's tests; two stacks retired."""
    repo = tmp_path_factory.mktemp("repo")
    shutil.copy(ROOT / "Pulumi.yaml", repo / "Pulumi.yaml")
    sites_file, stacks = fleet_files
    write_fleet(repo, stacks)
    for stack in (stacks[3].stack, stacks[7].stack):
        retire(repo, stack, "replaced by a newer stack")
    return repo


@pytest.fixture(scope="module")
def bp(fleet_repo):
    from typer.testing import CliRunner

    from cli.main import app

    def invoke(*args: str):
        return CliRunner().invoke(app, ["--repo", str(fleet_repo), *args], catch_exceptions=False)

    return invoke


def test_utilisation_adds_up_from_stacks_to_pools_data_centers_and_regions(fleet_repo, fleet_files, catalog):
    sites_file, stacks = fleet_files
    report = build(load_fleet(fleet_repo, catalog, load_sites(sites_file)))
    expected: dict[str, int] = {}
    for bp in stacks:
        for p in bp.placements:
            expected[p.pool] = expected.get(p.pool, 0) + bp.size.vcpu
    assert {p.name: p.vcpu for p in report.pools if p.vcpu} == expected
    for dc in report.data_centers:
        assert dc.vcpu == sum(p.vcpu for p in report.pools if p.detail["data_center"] == dc.name), dc.name
        assert dc.memory_total_gib == sum(p.memory_total_gib for p in report.pools
                                          if p.detail["data_center"] == dc.name), dc.name
    assert sum(r.vcpu for r in report.regions) == sum(expected.values())
    assert (report.stacks, report.retired, len(report.teams)) == (STACKS, 2, STACKS)
    old = next(v for v in report.versions if v.ref == "web-service@1.0.0")
    assert old.status.startswith("deprecated") and old.stacks == sum(bp.blueprint_ref == old.ref for bp in stacks)


def test_json_and_markdown_carry_the_same_figures(bp, fleet_repo, fleet_files):
    sites_file, _ = fleet_files
    data = json.loads(bp("--sites", str(sites_file), "fleet", "report", "--format", "json").stdout)
    pool = max(data["pools"], key=lambda p: p["share"])
    assert pool["share"] == round(max(pool["vcpu"] / pool["vcpu_total"], pool["memory_gib"] / pool["memory_total_gib"]), 4)
    md = bp("--sites", str(sites_file), "fleet", "report", "--format", "markdown").stdout
    assert md.startswith("# Fleet report")
    assert re.search(rf"\| {pool['name']} \| {pool['stacks']} \| {pool['vcpu']}/{pool['vcpu_total']} \|", md), md[:2000]
    for heading in ("## Regions", "## Data centers", "## Pools", "## Blueprint versions in use", "## Teams and owners"):
        assert heading in md


def test_table_names_every_region_and_refuses_an_output_file(bp, fleet_repo, fleet_files, tmp_path):
    sites_file, _ = fleet_files
    result = bp("--sites", str(sites_file), "fleet", "report")
    assert result.exit_code == 0 and all(r in result.stdout for r in ("amer", "emea", "apac")), result.output
    result = bp("--sites", str(sites_file), "fleet", "report", "--output", str(tmp_path / "x.txt"))
    assert result.exit_code == 2 and not (tmp_path / "x.txt").exists()


def test_html_page_is_self_contained_and_renders_in_chromium(bp, fleet_repo, fleet_files, tmp_path):
    sites_file, stacks = fleet_files
    page = tmp_path / "fleet.html"
    result = bp("--sites", str(sites_file), "fleet", "report", "--format", "html", "--output", str(page))
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert not re.search(r"<(script|link|img|iframe)\b", html), "the page must not load anything"
    assert not re.search(r"""(src|href)=["']?https?:""", html), "the page must not reach the network"

    dom = dump_dom(page)
    for _, dc, pool in load_sites(sites_file).pools():
        assert pool.name in dom and dc.name in dom
    assert "web-service@1.0.0" in dom and "deprecated" in dom
    assert dom.count("badge muted") >= 2, "retired stacks are marked"
    assert stacks[0].request.owner in dom

    png = screenshot(page, tmp_path / "fleet.png", height=2400)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000, "a blank page is small"
