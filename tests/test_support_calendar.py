"""blueprints/support.py on its own: which product versions a stack uses, and the calendar's edges.

The edges: a version on its last supported day (still supported, "in 0 days") and the day after (ended); a
window's dates in order, equal dates allowed; extended support (end_of_standard_support passed, end_of_support
not) still supported. Command-level behaviour is in tests/test_support.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from blueprints.errors import BadInput
from blueprints.models import DataServiceRequest
from blueprints.placement.resolve import resolve
from blueprints.support import (
    Deadline,
    Support,
    SupportWindow,
    Use,
    by_version,
    deadlines,
    deadlines_of,
    operator_use,
    past_end,
    refuse_past_end,
    uses,
)
from tests.conftest import make_request

EKS = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"


def _stack(catalog, sites, blueprint: str, target: str, team: str = "plat", *kinds: str):
    request = make_request(team=team, blueprint=blueprint, target=target,
                           **({"data_services": tuple(DataServiceRequest(kind=k) for k in kinds)} if kinds else {}))
    return resolve(request, catalog, sites)


@pytest.fixture(scope="module")
def stacks(catalog, sites):
    return {
        "eks": _stack(catalog, sites, "k8s-cluster@1.1.0", "aws", "kube"),
        "vks": _stack(catalog, sites, "k8s-cluster@1.1.0", "vsphere"),
        "data-aws": _stack(catalog, sites, "data-platform@1.1.0", "aws", "data"),
        "data-vsphere": _stack(catalog, sites, "data-platform@1.1.0", "vsphere"),
        "web-aws": _stack(catalog, sites, "web-service@2.1.0", "aws", "web", "postgres", "redis"),
        "web-vsphere": _stack(catalog, sites, "web-service@2.1.0", "vsphere", "web", "postgres", "redis"),
    }


def _support(sites, **operators) -> Support:
    return sites.support.model_copy(update={"operators": operators})


# -- what a stack uses --------------------------------------------------------------------------------------------


def test_each_stack_uses_its_cluster_minor_its_engines_on_aws_and_the_operators_on_vsphere(stacks, sites):
    found = {name: uses(bp, sites.support) for name, bp in stacks.items()}
    assert found == {
        "eks": [Use("eks", "1.34", "spec.kubernetes_version")],
        "vks": [Use("vks", "1.34", "spec.kubernetes_version"), Use("cluster-api", "1.10", "its VKS cluster")],
        "data-aws": [Use("eks", "1.34", "spec.kubernetes_version"), Use("msk-kafka", "3.9", "data_services.kafka"),
                     Use("rds-postgresql", "16", "data_services.postgres")],
        "data-vsphere": [Use("vks", "1.34", "spec.kubernetes_version"), Use("cluster-api", "1.10", "its VKS cluster"),
                         Use("strimzi", "0.47", "data_services.kafka"),
                         Use("cloudnative-pg", "1.30", "data_services.postgres")],
        "web-aws": [Use("rds-postgresql", "17", "data_services.postgres"),
                    Use("elasticache-redis", "7", "data_services.redis")],
        "web-vsphere": [Use("cloudnative-pg", "1.30", "data_services.postgres")],  # Redis runs without an operator
    }, found


def test_a_stack_whose_values_were_copied_in_not_parsed_uses_the_same(stacks, sites):
    """Equal strings built at run time (a model_copy of computed values) are not the parsed objects: compared by value."""
    for name, bp in stacks.items():
        copied = bp.model_copy(update={
            "placements": tuple(p.model_copy(update={"target": "".join(p.target)}) for p in bp.placements),
            "spec": bp.spec.model_copy(update={"cluster": "".join(bp.spec.cluster)})})
        assert copied.primary.target is not bp.primary.target and copied.spec.cluster is not bp.spec.cluster
        assert uses(copied, sites.support) == uses(bp, sites.support), name


def test_an_operator_the_fleet_does_not_run_is_not_used(stacks, sites):
    assert uses(stacks["data-vsphere"], _support(sites, strimzi="0.47")) == [
        Use("vks", "1.34", "spec.kubernetes_version"), Use("strimzi", "0.47", "data_services.kafka")]
    assert uses(stacks["web-vsphere"], _support(sites)) == []


def _with_request(bp, **changes):
    return bp.model_copy(update={"request": bp.request.model_copy(update=changes)})


def _with_decided_minor(bp, minor: str | None):
    return bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"kubernetes_version": minor})})


def test_a_cluster_moving_hop_by_hop_uses_the_minor_it_runs_not_the_one_promised(stacks, sites):
    behind = _with_decided_minor(stacks["eks"], "1.33")
    assert uses(behind, sites.support) == [Use("eks", "1.33", "decisions.kubernetes_version")]
    assert uses(_with_decided_minor(stacks["eks"], None), sites.support) == [Use("eks", "1.34", "spec.kubernetes_version")]


def test_a_cluster_whose_promise_went_back_a_minor_still_runs_and_uses_the_newer_one(stacks, sites):
    bp = stacks["eks"]
    back = _with_decided_minor(bp.model_copy(update={"spec": bp.spec.model_copy(update={"kubernetes_version": "1.33"})}),
                               "1.34")
    assert uses(back, sites.support) == [Use("eks", "1.34", "decisions.kubernetes_version")]
    # The same minor read from two places (two string objects) is not "behind".
    same = _with_decided_minor(stacks["eks"], "1.34 ".strip())
    assert uses(same, sites.support) == [Use("eks", "1.34", "spec.kubernetes_version")]


@pytest.mark.parametrize("name", ["web-aws", "web-vsphere"])
def test_a_stack_on_a_shared_cluster_uses_no_cluster_minor_even_if_one_is_recorded(stacks, sites, name):
    bp = _with_decided_minor(stacks[name], "1.31")
    bp = bp.model_copy(update={"spec": bp.spec.model_copy(update={"kubernetes_version": "1.31"})})
    assert [u.product for u in uses(bp, sites.support)] == [u.product for u in uses(stacks[name], sites.support)]


def test_a_dedicated_cluster_with_no_minor_anywhere_uses_none(stacks, sites):
    bp = _with_decided_minor(stacks["vks"], None)
    bp = bp.model_copy(update={"spec": bp.spec.model_copy(update={"kubernetes_version": None})})
    assert uses(bp, sites.support) == []


def test_a_managed_engine_without_a_version_uses_none(stacks, sites):
    bp = stacks["web-aws"]
    services = tuple(ds.model_copy(update={"version": None}) if ds.kind == "redis" else ds for ds in bp.data_services)
    assert uses(bp.model_copy(update={"data_services": services}), sites.support) == [
        Use("rds-postgresql", "17", "data_services.postgres")]


@pytest.mark.parametrize("release, minor", [("v2.9.3", "2.9"), ("2.10.0", "2.10"), ("v3.0", "3.0")])
def test_the_operator_release_is_used_by_its_major_minor(release, minor):
    assert operator_use(release) == Use("pulumi-kubernetes-operator", minor, "operator.release")


# -- deadlines ----------------------------------------------------------------------------------------------------


def _window(**dates) -> SupportWindow:
    return SupportWindow(source="https://example.com/calendar", **dates)


def test_only_listed_versions_with_a_published_end_have_a_deadline(sites):
    calendar = {"eks": {"1.34": _window(end_of_support=date(2027, 12, 2)), "1.35": _window(released=date(2026, 1, 27))}}
    support = Support(calendar=calendar)
    used = [Use("eks", "1.34", "a"), Use("eks", "1.35", "b"), Use("eks", "1.99", "c"), Use("vks", "1.34", "d")]
    assert deadlines_of(used, support) == [Deadline(used[0], calendar["eks"]["1.34"])]


def test_the_fleet_is_grouped_by_version_in_order_and_the_operator_release_names_every_stack(stacks, sites):
    ending = sites.support.calendar["pulumi-kubernetes-operator"]["2.9"].model_copy(update={"end_of_support": date(2027, 1, 1)})
    calendar = {**sites.support.calendar, "pulumi-kubernetes-operator": {"2.9": ending}}
    support = sites.support.model_copy(update={"calendar": calendar})
    fleet = [stacks["data-aws"], stacks["eks"], stacks["web-aws"]]
    grouped = [(d.use.product, d.use.version, names) for d, names in by_version(fleet, support, "v2.9.3")]
    assert grouped == [("eks", "1.34", ["data-dev", "kube-dev"]),
                       ("pulumi-kubernetes-operator", "2.9", ["data-dev", "kube-dev", "web-dev"]),
                       ("rds-postgresql", "16", ["data-dev"]), ("rds-postgresql", "17", ["web-dev"])], grouped
    assert [d.use.product for d, _ in by_version(fleet, support, None)] == ["eks", "rds-postgresql", "rds-postgresql"]
    assert [d.use.product for d, _ in by_version(fleet, sites.support, "v2.9.3")] == [
        "eks", "rds-postgresql", "rds-postgresql"]  # no end announced for the operator


# -- the last supported day and the day after ---------------------------------------------------------------------


def test_a_version_is_supported_through_its_last_day_and_ended_the_day_after(stacks, sites):
    end = sites.support.calendar["eks"]["1.34"].end_of_support
    (deadline,) = deadlines(stacks["eks"], sites.support)
    assert deadline.end == end
    assert deadline.describe(end) == f"Amazon EKS Kubernetes 1.34 (spec.kubernetes_version): support ends on {end}, " \
                                     f"in 0 days (source: {EKS})"
    assert deadline.describe(end - timedelta(days=1)).endswith(f"support ends on {end}, in 1 days (source: {EKS})")
    assert past_end(stacks["eks"], sites.support, end) == []
    assert past_end(stacks["eks"], sites.support, end + timedelta(days=1)) == [
        f"Amazon EKS Kubernetes 1.34 (spec.kubernetes_version): support ended on {end} (source: {EKS})"]
    assert past_end(stacks["eks"], None, end + timedelta(days=365)) == []


def test_extended_support_is_still_support(stacks, sites):
    window = sites.support.calendar["eks"]["1.34"]
    day = window.end_of_standard_support + timedelta(days=1)
    assert day < window.end_of_support
    assert past_end(stacks["eks"], sites.support, day) == []
    refuse_past_end(stacks["eks"], sites.support, day)


def test_a_stack_past_an_end_is_refused_naming_its_first_ended_version_and_the_newer_one_to_ask_for(stacks, sites):
    bp = stacks["data-aws"]
    ends = {d.use.product: d.end for d in deadlines(bp, sites.support)}
    assert ends["eks"] < ends["rds-postgresql"]
    after_both = ends["rds-postgresql"] + timedelta(days=1)
    ref = bp.blueprint_ref
    with pytest.raises(BadInput) as exc:
        refuse_past_end(bp, sites.support, after_both, "data-platform@9.9.9")
    assert str(exc.value) == f"{ref} promises {past_end(bp, sites.support, after_both)[0]}; ask for data-platform@9.9.9"
    assert str(exc.value).startswith(f"{ref} promises Amazon EKS Kubernetes 1.34")
    for same in (None, "", ref, "".join(ref)):  # the newest version is built anew: equal, not the same object
        with pytest.raises(BadInput) as exc:
            refuse_past_end(bp, sites.support, after_both, same)
        assert "ask for" not in str(exc.value), exc.value
    refuse_past_end(bp, sites.support, ends["eks"], "data-platform@9.9.9")
    refuse_past_end(bp, None, after_both)


def test_the_newer_version_is_named_however_its_number_sorts_as_text(stacks, sites):
    bp = _with_request(stacks["data-aws"], blueprint="data-platform@1.9.0")
    after = max(d.end for d in deadlines(bp, sites.support)) + timedelta(days=1)
    with pytest.raises(BadInput, match="; ask for data-platform@1.10.0$"):
        refuse_past_end(bp, sites.support, after, "data-platform@1.10.0")


# -- the calendar's own rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dates", [
    {"released": date(2026, 1, 2), "end_of_support": date(2026, 1, 1)},
    {"released": date(2026, 1, 2), "end_of_standard_support": date(2026, 1, 1)},
    {"end_of_standard_support": date(2026, 1, 2), "end_of_support": date(2026, 1, 1)},
    {"released": date(2026, 1, 1), "end_of_standard_support": date(2027, 1, 1), "end_of_support": date(2026, 6, 1)},
])
def test_a_window_out_of_order_is_refused(dates):
    with pytest.raises(ValidationError, match="must come in that order"):
        _window(**dates)


@pytest.mark.parametrize("dates", [
    {}, {"end_of_support": date(2026, 1, 1)},
    {"released": date(2026, 1, 1), "end_of_standard_support": date(2026, 1, 1), "end_of_support": date(2026, 1, 1)},
    {"released": date(2026, 1, 1), "end_of_support": date(2026, 1, 2)},
])
def test_a_window_in_order_or_on_one_day_is_taken(dates):
    assert _window(**dates).end_of_support == dates.get("end_of_support")


def test_the_warning_window_defaults_to_90_days_and_may_be_zero_not_negative(sites):
    assert Support(calendar={}).warn_days == 90
    assert Support(calendar={}, warn_days=0).warn_days == 0
    with pytest.raises(ValidationError, match="warn_days"):
        Support(calendar={}, warn_days=-1)


def test_an_operator_release_must_be_in_the_calendar(sites):
    calendar = {"strimzi": {"0.47": _window()}}
    assert Support(operators={"strimzi": "0.47"}, calendar=calendar).operators == {"strimzi": "0.47"}
    with pytest.raises(ValidationError, match=r"operators.strimzi: 0.48 is not in calendar.strimzi"):
        Support(operators={"strimzi": "0.48"}, calendar=calendar)
    with pytest.raises(ValidationError, match=r"operators.cloudnative-pg: 1.30 is not in calendar.cloudnative-pg"):
        Support(operators={"cloudnative-pg": "1.30"}, calendar=calendar)
