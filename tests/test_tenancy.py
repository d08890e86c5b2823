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


OBJECT_STORE = Flow("backup-egress", "backups", "egress", "postgres",
                    Peer(cidrs=("0.0.0.0/0",), excluded=("10.0.0.0/8", "172.16.0.0/12")), (443,))
API_SERVER = Flow("api-egress", "operators", "egress", "all", Peer(cidrs=("10.20.0.0/28",)), (443,))


@pytest.fixture(scope="module")
def shared():
    """A team on a shared AWS cluster: its pods wear security groups, its flows name address blocks."""
    args = TeamNamespaceArgs(
        namespace="payments-dev", team_group="team-payments", platform_group="platform-admins", cpu=6,
        memory_gib=24, labels={"team": "payments"}, flows=(OBJECT_STORE, API_SERVER), storage_gib=200, max_pods=110,
        max_container_cpu=2, max_container_memory_gib=48, max_claim_gib=100,
        pod_security_group_ids=["sg-0team", "sg-0nodes"],
    )
    return run(lambda: TeamNamespace("payments-dev-tenancy", args), stack="payments-dev")


def test_the_quota_is_the_plans_and_limits_are_capped_by_it(capture, shared):
    hard = shared.one("kubernetes:core/v1:ResourceQuota").inputs["spec"]["hard"]
    assert hard == {"requests.cpu": "6", "limits.cpu": "12", "requests.memory": "24Gi", "limits.memory": "24Gi",
                    "requests.storage": "200Gi", "persistentvolumeclaims": "50", "pods": "110",
                    "services.nodeports": "0", "services.loadbalancers": "0"}
    container, claim = shared.one("kubernetes:core/v1:LimitRange").inputs["spec"]["limits"]
    assert container["max"] == {"cpu": "2", "memory": "24Gi"} and claim["max"] == {"storage": "100Gi"}
    container, claim = capture.one("kubernetes:core/v1:LimitRange").inputs["spec"]["limits"]
    assert container["max"] == {"cpu": "8", "memory": "32Gi"} and claim["max"] == {"storage": "500Gi"}


def test_address_flows_admit_their_blocks_less_the_excluded_and_only_their_ports(shared):
    pol = policies(shared)
    assert pol["allow-backup-egress"] == {
        "podSelector": {"matchLabels": {"cloud-blueprints.io/data-service": "postgres"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12"]}}],
                    "ports": [{"protocol": "TCP", "port": 443}]}]}
    assert pol["allow-api-egress"]["egress"][0]["to"] == [{"ipBlock": {"cidr": "10.20.0.0/28"}}]


def test_a_namespace_peer_without_labels_admits_every_pod_of_that_namespace(capture):
    dns, ingress = (policies(capture)[f"allow-{n}"] for n in ("dns-egress", "from-ingress"))
    def namespace(name: str) -> dict:
        return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}

    assert dns["egress"][0]["to"] == [{**namespace("kube-system"), "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    assert ingress["ingress"][0]["from"] == [namespace("ingress-nginx")]
    assert ingress["policyTypes"] == ["Ingress"] and "egress" not in ingress


def test_application_pods_wear_the_teams_security_groups_only_when_given(capture, shared):
    (sgp,) = shared.by_type("kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy")
    assert sgp.inputs["spec"] == {"podSelector": {"matchExpressions": [{"key": "cloud-blueprints.io/data-service",
                                                                        "operator": "DoesNotExist"}]},
                                  "securityGroups": {"groupIds": ["sg-0team", "sg-0nodes"]}}, sgp.urn
    assert capture.by_type("kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy") == []


@pytest.mark.parametrize("direction,key,side", [("ingress", "ingress", "from"), ("egress", "egress", "to")])
def test_a_flows_direction_decides_the_policys_side(direction, key, side):
    from components.kubernetes.tenancy import flow_policy

    # Built at run time, as a direction read from a file is: the same text, not the same object as a literal.
    flow = Flow("monitoring", "metrics", "".join(direction), "app", Peer("monitoring"), (9090,))
    spec = flow_policy(flow)
    assert spec["policyTypes"] == [key.capitalize()] and list(spec[key][0]) == [side, "ports"], spec
