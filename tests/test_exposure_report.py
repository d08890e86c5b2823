"""Exposure in `bp fleet report`: stacks by days to the patch deadline, by data center and severity, with charts."""

from __future__ import annotations

from datetime import date

import pytest

from blueprints.placement.resolve import resolve
from fleet.exposure_report import bucket, build
from fleet.report import build as build_report
from fleet.stamped import StampedFleet
from reports import fleet as views
from tests.conftest import make_request

OLD_REDIS = "redis:7.4.6@sha256:a9cc41d6d01da2aa26c219e4f99ecbeead955a7b656c1c499cce8922311b2514"


def _redis(catalog, sites, team: str, image: str | None = None):
    bp = resolve(make_request(team=team, blueprint="web-service", target="vsphere", size="S",
                              data_services=[{"kind": "redis", "size": "S"}]), catalog, sites)
    if image is None:
        return bp
    engines = tuple(e.model_copy(update={"image": image}) if e.kind == "redis" else e for e in bp.decisions.engines)
    return bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"engines": engines})})


@pytest.mark.parametrize("days,label", [(-1, "overdue"), (0, "0-7 days"), (7, "0-7 days"), (8, "8-30 days"),
                                        (30, "8-30 days"), (31, "31-90 days"), (90, "31-90 days"), (91, "over 90 days")])
def test_buckets_meet_without_gaps(days, label):
    assert bucket(days) == label


def test_a_stack_on_an_old_release_is_exposed_with_its_deadline_and_a_current_one_is_not(catalog, sites):
    fleet = StampedFleet([_redis(catalog, sites, "old", OLD_REDIS), _redis(catalog, sites, "new")], catalog, sites,
                         today=date(2026, 12, 5))
    report = build(fleet)
    [exposed] = report.exposed
    assert (exposed.stack, exposed.advisory, exposed.severity) == ("old-dev", "CVE-2026-23479", "high"), exposed
    assert exposed.deadline == "2026-06-07" and exposed.days_left == -181, exposed
    assert report.counts("data_center", "severity") == {exposed.data_center: {"high": 1}}
    assert report.as_json()["by_bucket"] == {"overdue": {"high": 1}} and report.stacks == 2


def test_the_html_report_charts_exposure_only_when_there_is_some(catalog, sites):
    exposed = StampedFleet([_redis(catalog, sites, "old", OLD_REDIS)], catalog, sites, today=date(2026, 12, 5))
    page = views.as_html(build_report(exposed), "test")
    assert 'aria-label="exposed stacks by days to deadline"' in page and "CVE-2026-23479" in page
    assert 'aria-label="exposed stacks by data center"' in page
    clean = views.as_html(build_report(StampedFleet([_redis(catalog, sites, "new")], catalog, sites)), "test")
    assert "exposed stacks by days to deadline" not in clean and "0 of 1" in clean
    assert "## Exposure" in views.as_markdown(build_report(exposed))
