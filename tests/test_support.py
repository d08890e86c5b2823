"""The support calendar: a version past its end is refused and fails validation; fleet check warns ahead.

Every test runs on a pinned day (tests/conftest.py sets BP_TODAY to the session day, 2026-12-05); tests
that need another day set BP_TODAY or pass the fleet's `today`, never the machine's clock.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from blueprints import clock
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest, DataServiceRequest
from blueprints.placement.resolve import resolve
from blueprints.support import deadlines, past_end
from fleet.invariants import check
from fleet.invariants import check_stack
from fleet.stamped import StampedFleet
from tests.conftest import SESSION_DAY
from tests.fleet_support import write_fleet

EKS_131_END = date(2026, 11, 26)
EKS_134_END = date(2027, 12, 2)


def _request(blueprint: str, target: str = "aws", team: str = "plat", env: str = "dev", **extra) -> BlueprintRequest:
    return BlueprintRequest(team=team, env=env, blueprint=blueprint, target=target, region="amer",
                            owner=f"{team}@example.com", cost_center="CC-0001", **extra)


def test_the_clock_is_pinned_for_the_tests_and_a_bad_day_is_one_line(monkeypatch):
    assert clock.today() == SESSION_DAY
    monkeypatch.setenv(clock.CLOCK_ENV, "2026-13-01")
    with pytest.raises(BadInput, match="^BP_TODAY: '2026-13-01' is not a date"):
        clock.today()


def test_bp_new_refuses_a_version_past_its_end_on_one_line(bp):
    result = bp("new", "plat", "--blueprint", "k8s-cluster@1.0.0", "--env", "dev", "--region", "amer",
                "--target", "aws", "--owner", "a@example.com", "--cost-center", "CC-1", "--contact", "#plat")
    assert result.exit_code == 2, result.output
    error = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert error == [
        "error: k8s-cluster@1.0.0 promises Amazon EKS Kubernetes 1.31 (spec.kubernetes_version): support ended on "
        "2026-11-26 (source: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html); "
        "ask for k8s-cluster@1.1.0"], result.output


def test_the_same_version_stamps_on_its_last_supported_day(catalog, sites, monkeypatch):
    monkeypatch.setenv(clock.CLOCK_ENV, EKS_131_END.isoformat())
    assert resolve(_request("k8s-cluster@1.0.0"), catalog, sites).spec.kubernetes_version == "1.31"
    monkeypatch.setenv(clock.CLOCK_ENV, (EKS_131_END + timedelta(days=1)).isoformat())
    with pytest.raises(BadInput, match="support ended on 2026-11-26"):
        resolve(_request("k8s-cluster@1.0.0"), catalog, sites)


def test_a_data_service_engine_past_its_end_is_refused(catalog, sites):
    rds = sites.support.calendar["rds-postgresql"]["17"]
    day_after = rds.end_of_support + timedelta(days=1)
    request = _request("web-service@2.1.0", data_services=(DataServiceRequest(kind="postgres"),))
    stack = resolve(request, catalog, sites)
    assert past_end(stack, sites.support, rds.end_of_support) == []
    assert past_end(stack, sites.support, day_after) == [
        f"RDS for PostgreSQL 17 (data_services.postgres): support ended on {rds.end_of_support} (source: {rds.source})"]


def test_bp_validate_fails_a_stack_whose_version_passed_its_end(bp, repo, catalog, sites, monkeypatch):
    with monkeypatch.context() as m:
        m.setenv(clock.CLOCK_ENV, EKS_131_END.isoformat())
        old = resolve(_request("k8s-cluster@1.0.0"), catalog, sites)
    current = resolve(_request("k8s-cluster@1.1.0", team="fresh"), catalog, sites, [old])
    assert [f.message for f in check_stack(current, catalog, sites) if f.error] == []
    ended = [f.message for f in check_stack(old, catalog, sites) if f.error]
    assert ended == ["Amazon EKS Kubernetes 1.31 (spec.kubernetes_version): support ended on 2026-11-26 (source: "
                     "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html); upgrade it"], ended
    write_fleet(repo, [old, current])
    result = bp("validate", "plat-dev", "--json")
    assert result.exit_code == 1, result.output
    assert any("support ended on 2026-11-26" in f["message"] for f in json.loads(result.stdout)["findings"])


def _fleet(catalog, sites, stacks, today: date, warn_days: int | None = None) -> StampedFleet:
    return StampedFleet(stacks=stacks, catalog=catalog, sites=sites, today=today, warn_days=warn_days)


@pytest.fixture(scope="module")
def eks_134(catalog, sites):
    first = resolve(_request("k8s-cluster@1.1.0", team="alpha"), catalog, sites)
    return [first, resolve(_request("k8s-cluster@1.1.0", team="beta"), catalog, sites, [first])]


def test_fleet_check_warns_90_days_ahead_and_lists_the_stacks(catalog, sites, eks_134):
    inside = _fleet(catalog, sites, eks_134, EKS_134_END - timedelta(days=90))
    found = [f for f in check(inside) if f.rule == "support-ending"]
    assert [(f.stacks, f.error) for f in found] == [(("alpha-dev", "beta-dev"), False)], found
    assert found[0].message.startswith("Amazon EKS Kubernetes 1.34 (2 stacks): support ends on 2027-12-02, in 90 days")
    outside = _fleet(catalog, sites, eks_134, EKS_134_END - timedelta(days=91))
    assert [f for f in check(outside) if f.rule.startswith("support")] == []


def test_the_warning_window_is_configurable(catalog, sites, eks_134, bp, repo):
    day = EKS_134_END - timedelta(days=120)
    assert [f for f in check(_fleet(catalog, sites, eks_134, day)) if f.rule == "support-ending"] == []
    assert [f.stacks for f in check(_fleet(catalog, sites, eks_134, day, warn_days=120)) if f.rule == "support-ending"] \
        == [("alpha-dev", "beta-dev")]
    wider = sites.model_copy(update={"support": sites.support.model_copy(update={"warn_days": 365})})
    assert [f.rule for f in check(_fleet(catalog, wider, eks_134, day))].count("support-ending") == 1
    write_fleet(repo, eks_134)
    days_left = (EKS_134_END - SESSION_DAY).days
    quiet = json.loads(bp("fleet", "check", "--json", "--warn-days", str(days_left - 1)).stdout)
    assert [f for f in quiet["findings"] if f["rule"] == "support-ending"] == []
    loud = bp("fleet", "check", "--json", "--warn-days", str(days_left))
    assert loud.exit_code == 0, loud.output
    assert [f["stacks"] for f in json.loads(loud.stdout)["findings"] if f["rule"] == "support-ending"] == [
        ["alpha-dev", "beta-dev"]]


def test_the_operator_release_past_its_end_fails_the_fleet(catalog, sites, eks_134):
    window = sites.support.calendar["pulumi-kubernetes-operator"]["2.9"].model_copy(update={"end_of_support": date(2026, 12, 1)})
    calendar = {**sites.support.calendar, "pulumi-kubernetes-operator": {"2.9": window}}
    ended = sites.model_copy(update={"support": sites.support.model_copy(update={"calendar": calendar})})
    found = [f for f in check(_fleet(catalog, ended, eks_134, SESSION_DAY)) if f.rule == "support-ended"]
    assert [(f.stacks, f.error) for f in found] == [(("alpha-dev", "beta-dev"), True)], found
    assert "Pulumi Kubernetes Operator 2.9" in found[0].message


def _offered(entry, target):
    """Every request shape of one entry and target: each value of each version parameter, every data service."""
    kinds = [k for k in entry.spec.data_services if target == "aws" or k != "object-storage"]
    services = tuple(DataServiceRequest(kind=k) for k in kinds)
    params = [(name, value) for terms in entry.data_service_terms.values() if terms.version_parameter
              for name in [terms.version_parameter] for value in entry.parameters[name].allowed or ()]
    return [{"parameters": {name: value}, "data_services": services} for name, value in params] or [
        {"data_services": services}]


def test_no_catalog_version_is_past_its_end_today(catalog, sites):
    """Today is the session day, 2026-12-05; the dates are the sites map's."""
    offered = [(e, t) for e in catalog.entries if not e.deprecated for t in e.targets if e.spec.network_hub is False]
    assert offered
    for entry, target in offered:
        for extra in _offered(entry, target):
            stack = resolve(_request(entry.ref, target, **extra), catalog, sites)  # resolve refuses a version past its end
            assert past_end(stack, sites.support, SESSION_DAY) == [], (entry.ref, target, extra)


def test_a_deprecated_version_sunsets_no_later_than_its_promises_end(catalog, sites):
    for entry in (e for e in catalog.entries if e.deprecated):
        for target in entry.targets:
            stack = resolve(_request(entry.ref, target), catalog, sites, refuse_ended=False)
            ends = [d.end for d in deadlines(stack, sites.support)]
            assert entry.sunset <= min(ends, default=entry.sunset), (entry.ref, target, ends)


def test_the_calendar_refuses_dates_out_of_order_and_an_operator_it_does_not_list(sites):
    from pydantic import ValidationError

    from blueprints.support import Support, SupportWindow

    with pytest.raises(ValidationError, match="must come in that order"):
        SupportWindow(released=date(2026, 1, 2), end_of_support=date(2026, 1, 1), source="https://example.com/x")
    with pytest.raises(ValidationError, match=r"operators.strimzi: 0.99 is not in calendar.strimzi"):
        Support(operators={"strimzi": "0.99"}, calendar=sites.support.calendar)


def test_fleet_check_fails_a_stack_past_its_end_on_the_fleets_day(catalog, sites, eks_134):
    after = EKS_134_END + timedelta(days=1)
    found = [f for f in check(_fleet(catalog, sites, eks_134, after)) if f.error]
    assert sorted((f.rule, f.stacks) for f in found) == [("stack", ("alpha-dev",)), ("stack", ("beta-dev",))], found
    assert all("Amazon EKS Kubernetes 1.34 (spec.kubernetes_version): support ended on 2027-12-02" in f.message for f in found)
    assert not any(f.rule == "support-ending" for f in check(_fleet(catalog, sites, eks_134, after)))
