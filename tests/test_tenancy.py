"""TeamNamespace: the fence around every team workload, on either target."""

from __future__ import annotations

import pytest

from blueprints.plan.flows import Flow, Peer
from components.kubernetes.tenancy import TeamNamespace, TeamNamespaceArgs
from engine import run
from tests.kube_schema import assert_valid

NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
FLOWS = (
    Flow("dns-egress", "names", "egress", "all", Peer("kube-system", (("k8s-app", "kube-dns"),)), (53,), ("UDP", "TCP")),
    Flow("from-ingress", "routes", "ingress", "app", Peer("ingress-nginx"), (8080,)),
    Flow("backup-egress", "backups", "egress", "postgres", Peer(), (443,), missing="backup.cidr"),
)


@pytest.fixture(scope="module")
def capture():
    args = TeamNamespaceArgs(
        namespace="payments-prod", team_group="team-payments", platform_group="platform-admins", cpu=8,
        memory_gib=32, labels={"team": "payments", "owner": "lead@example.com", "blueprint": "web-service@2.0.0"},
        flows=FLOWS, storage_gib=500, max_pods=200, max_container_cpu=8,
        max_container_memory_gib=32, max_claim_gib=1000,
    )
    return run(lambda: TeamNamespace("payments-prod-tenancy", args), stack="payments-prod")


def policies(capture) -> dict[str, dict]:
    return {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in capture.by_type(NP)}


def test_every_object_is_valid_kubernetes_and_a_child_of_the_component(capture):
    assert assert_valid(capture) == 10
    component = capture.one("cloud-blueprints:k8s:TeamNamespace")
    for r in capture.resources:
        if r is not component:
            assert r.parent == component.urn, r.urn
            assert r.inputs["metadata"].get("namespace", "payments-prod") == "payments-prod", r.urn


def test_namespace_enforces_restricted_pod_security_and_carries_ownership(capture):
    ns = capture.one("kubernetes:core/v1:Namespace")
    labels = ns.inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted", ns.urn
    assert labels["team"] == "payments" and labels["owner"] == "lead_at_example.com", ns.urn
    assert labels["blueprint"] == "web-service_at_2.0.0", f"{ns.urn}: label values must be valid"
    assert ns.inputs["metadata"]["annotations"]["cloud-blueprints.io/owner"] == "lead@example.com", ns.urn


def test_quota_and_limits_follow_the_size_class(capture):
    quota = capture.one("kubernetes:core/v1:ResourceQuota")
    hard = quota.inputs["spec"]["hard"]
    assert (hard["requests.cpu"], hard["requests.memory"]) == ("8", "32Gi"), quota.urn
    assert hard["services.loadbalancers"] == "0" and hard["services.nodeports"] == "0", quota.urn
    limits = capture.one("kubernetes:core/v1:LimitRange").inputs["spec"]["limits"][0]
    assert limits["default"] and limits["defaultRequest"], "containers without limits would escape the quota"


def test_team_edits_and_platform_administers(capture):
    bindings = {r.inputs["roleRef"]["name"]: r.inputs["subjects"][0]["name"]
                for r in capture.by_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")}
    assert bindings == {"team-developer": "team-payments", "admin": "platform-admins"}


def test_default_deny_with_only_the_needed_allows(capture):
    pol = policies(capture)
    assert set(pol) == {"default-deny", "allow-same-namespace", "allow-dns-egress", "allow-from-ingress"}
    deny = pol["default-deny"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny, "default-deny must allow nothing"
    dns = pol["allow-dns-egress"]["egress"][0]
    assert {p["port"] for p in dns["ports"]} == {53}
    ingress = pol["allow-from-ingress"]
    ingress_from = ingress["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert ingress_from == {"kubernetes.io/metadata.name": "ingress-nginx"}
    assert ingress["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 8080}], "the controller reaches any port"
    assert ingress["podSelector"]["matchExpressions"][0]["operator"] == "DoesNotExist", "it reaches data services"


def test_a_flow_without_addresses_is_not_rendered_open(capture):
    """No address in the sites map must not become an ipBlock-less rule, which would allow every destination."""
    assert "allow-backup-egress" not in policies(capture)
