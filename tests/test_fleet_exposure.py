"""`bp fleet check` on releases: stale decisions and the advisories recorded releases miss, with their deadlines."""

from __future__ import annotations

import json
from datetime import date

from blueprints.placement.resolve import resolve
from fleet.invariants import check
from fleet.stamped import load_fleet
from tests.conftest import make_request
from tests.fleet_support import write_fleet

OLD_REDIS = "redis:7.4.6@sha256:a9cc41d6d01da2aa26c219e4f99ecbeead955a7b656c1c499cce8922311b2514"
DEADLINE = date(2026, 6, 7)  # 7.4.9 published 2026-05-08, CVE-2026-23479 is high: 30 days


def _on_old_redis(catalog, sites, team: str):
    request = make_request(team=team, blueprint="web-service", target="vsphere", size="S",
                           data_services=[{"kind": "redis", "size": "S"}])
    bp = resolve(request, catalog, sites)
    engines = tuple(e.model_copy(update={"image": OLD_REDIS}) if e.kind == "redis" else e for e in bp.decisions.engines)
    return bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"engines": engines})})


def _findings(repo, catalog, sites, today: date) -> dict[str, list]:
    fleet = load_fleet(repo, catalog, sites)
    fleet.today = today
    found: dict[str, list] = {}
    for f in check(fleet):
        found.setdefault(f.rule, []).append(f)
    return found


def test_an_advisory_is_a_warning_with_days_left_then_an_error_after_its_deadline(repo, catalog, sites):
    write_fleet(repo, [_on_old_redis(catalog, sites, "alpha"), _on_old_redis(catalog, sites, "beta")])
    [due] = _findings(repo, catalog, sites, date(2026, 6, 1))["advisory-due"]
    assert not due.error and due.stacks == ("alpha-dev", "beta-dev"), due
    assert "CVE-2026-23479 (high)" in due.message and "patch by 2026-06-07 (6 days left" in due.message
    on_the_day = _findings(repo, catalog, sites, DEADLINE)
    assert "advisory-overdue" not in on_the_day and "0 days left" in on_the_day["advisory-due"][0].message
    [overdue] = _findings(repo, catalog, sites, date(2026, 6, 8))["advisory-overdue"]
    assert overdue.error and "1 days overdue" in overdue.message


def test_a_stale_decision_names_what_differs_and_its_stacks_as_a_warning(repo, catalog, sites):
    write_fleet(repo, [_on_old_redis(catalog, sites, "alpha")])
    [found] = _findings(repo, catalog, sites, date(2026, 1, 1))["decision-stale"]
    assert not found.error and found.stacks == ("alpha-dev",)
    assert found.message.startswith("engines.redis.7.image: records redis:7.4.6, today's sites map decides redis:7.4.11")


def test_an_unversioned_template_is_stale_and_behind_its_line(repo, catalog, sites):
    bp = resolve(make_request(team="vms", blueprint="vm-app", target="vsphere"), catalog, sites)
    assert bp.decisions.vm_template == "rhel-9-cis-2026.11", "a new stack gets the newest build"
    old = bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"vm_template": "rhel-9-cis"})})
    write_fleet(repo, [old])
    found = _findings(repo, catalog, sites, date(2026, 12, 5))
    assert [f.stacks for f in found["release-behind"]] == [("vms-dev",)]
    assert "vm_template: records rhel-9-cis, today's sites map decides rhel-9-cis-2026.11" in found["decision-stale"][0].message


def test_fleet_check_json_counts_an_overdue_advisory_as_a_failure(repo, catalog, sites, bp, monkeypatch):
    monkeypatch.setenv("BP_TODAY", "2026-12-05")
    write_fleet(repo, [_on_old_redis(catalog, sites, "alpha")])
    result = bp("fleet", "check", "--json")
    assert result.exit_code == 1, result.output
    rules = {f["rule"]: f["severity"] for f in json.loads(result.stdout)["findings"]}
    assert rules == {"advisory-overdue": "error", "decision-stale": "warning"}, rules


def test_an_image_no_release_line_lists_is_named(repo, catalog, sites):
    bp = _on_old_redis(catalog, sites, "alpha")
    odd = "redis:7.4.7@sha256:" + "7" * 64
    engines = tuple(e.model_copy(update={"image": odd}) if e.kind == "redis" else e for e in bp.decisions.engines)
    write_fleet(repo, [bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"engines": engines})})])
    [found] = _findings(repo, catalog, sites, date(2026, 12, 5))["release-unlisted"]
    assert not found.error and found.stacks == ("alpha-dev",) and found.message.startswith(odd)
