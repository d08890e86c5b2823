"""Guardrails teams cannot edit: the team binding, evaluated against Kubernetes' aggregated role rules."""

from __future__ import annotations

import pytest

from tests.fleet_renders import renders
from tests.rbac_rules import WRITES, aggregated, allows, granted

NEEDED = [("apps", "deployments"), ("apps", "statefulsets"), ("", "configmaps"), ("", "secrets"), ("", "services"),
          ("", "pods"), ("batch", "jobs"), ("networking.k8s.io", "ingresses"), ("autoscaling", "horizontalpodautoscalers"),
          ("policy", "poddisruptionbudgets")]
GUARDRAILS = [("networking.k8s.io", "networkpolicies"), ("extensions", "networkpolicies"), ("", "resourcequotas"),
              ("", "limitranges"), ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "rolebindings"),
              ("", "namespaces")]


@pytest.fixture(scope="module")
def teams():
    found = {}
    for stack, (bp, capture) in renders().items():
        if bp.spec.namespace and bp.spec.cluster != "none":
            found[stack] = granted(capture, f"{bp.platform.team_group_prefix}{bp.request.team}")
    assert len(found) >= 20
    return found


def test_binding_edit_would_let_a_team_delete_its_default_deny():
    """The evaluator sees what the issue saw: `edit` aggregates NetworkPolicy writes."""
    assert allows(aggregated()["edit"], "networking.k8s.io", "networkpolicies", "delete")
    assert not allows(aggregated()["view"], "networking.k8s.io", "networkpolicies", "delete")


def test_teams_hold_rules_only_in_their_own_namespace(teams):
    for stack, by_namespace in teams.items():
        assert set(by_namespace) == {stack}, f"{stack}: the team holds rules in {sorted(by_namespace)}"


def test_teams_run_their_workloads(teams):
    for stack, by_namespace in teams.items():
        rules = by_namespace[stack]
        for group, resource in NEEDED:
            for verb in ("create", "update", "delete", "get"):
                assert allows(rules, group, resource, verb), f"{stack}: cannot {verb} {group}/{resource}"


def test_teams_cannot_write_their_guardrails(teams):
    for stack, by_namespace in teams.items():
        rules = by_namespace[stack]
        for group, resource in GUARDRAILS:
            for verb in WRITES:
                assert not allows(rules, group, resource, verb), f"{stack}: may {verb} {group}/{resource}"
        assert not allows(rules, "", "serviceaccounts", "impersonate"), f"{stack}: may act as the operators' accounts"
        assert not allows(rules, "", "serviceaccounts/token", "create"), f"{stack}: may mint service-account tokens"


def test_teams_get_nothing_edit_would_not_give(teams):
    edit = aggregated()["edit"]
    for stack, by_namespace in teams.items():
        for rule in by_namespace[stack]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    for verb in rule["verbs"]:
                        assert allows(edit, group, resource, verb), f"{stack}: {verb} {group}/{resource} is beyond edit"
