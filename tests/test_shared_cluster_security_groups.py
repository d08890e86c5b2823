"""On a shared EKS cluster every team's pods share one network: the data services must tell teams apart by
security group, never by address.

The security group rules the real stack program renders for every team on one shared cluster are read as AWS
evaluates them: a pod reaches a data service when the service's security group has an inbound rule on its port
that references a group the pod wears (the groups its namespace's SecurityGroupPolicy lists), or whose CIDR holds
the pod's address. Each team's pods reach their own data services and no other team's.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import ip_network

import pytest

from blueprints.plan import PlanError, plan
from engine import Capture
from tests.fleet_renders import renders

INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
POLICY = "kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy"
DATA_SERVICE_GROUPS = {  # resource type -> the input listing its security groups
    "aws:rds/instance:Instance": "vpcSecurityGroupIds",
    "aws:elasticache/replicationGroup:ReplicationGroup": "securityGroupIds",
}


def pod_groups(capture: Capture) -> set[str]:
    """The security groups the team's application pods wear."""
    policies = capture.by_type(POLICY)
    assert len(policies) == 1, f"{len(policies)} SecurityGroupPolicies: the pods' groups are ambiguous"
    return set(policies[0].inputs["spec"]["securityGroups"]["groupIds"])


def data_service_rules(capture: Capture) -> dict[str, list[dict]]:
    """Data service URN -> the inbound rules of its security groups."""
    rules = defaultdict(list)
    for rule in capture.by_type(INGRESS_RULE):
        rules[rule.inputs["securityGroupId"]].append(rule.inputs)
    found = {}
    for kind, field in DATA_SERVICE_GROUPS.items():
        for service in capture.by_type(kind):
            found[service.urn] = [r for group in service.inputs[field] for r in rules[group]]
    return found


def reaches(groups: set[str], pod_network: str, rules: list[dict]) -> bool:
    """Whether a pod wearing `groups`, addressed from `pod_network`, passes one of the inbound rules."""
    return any(r.get("referencedSecurityGroupId") in groups
               or ("cidrIpv4" in r and ip_network(r["cidrIpv4"]).overlaps(ip_network(pod_network)))
               for r in rules)


@pytest.fixture(scope="module")
def shared_teams():
    """Shared cluster name -> [(stack, pod network, capture)] of every AWS team with data services on it."""
    found = defaultdict(list)
    for stack, (bp, capture) in renders().items():
        shared = bp.primary.shared_cluster
        if bp.request.target == "aws" and bp.spec.cluster == "shared" and bp.data_services:
            found[shared.name].append((stack, str(shared.cidr), capture))
    teams = [t for teams in found.values() if len(teams) >= 2 for t in teams]
    assert len(teams) >= 2, "no two teams share a cluster: nothing below would be proved"
    return {name: teams for name, teams in found.items() if len(teams) >= 2}


def test_each_teams_pods_reach_their_own_data_services_and_no_other_teams(shared_teams):
    checked = 0
    for cluster, teams in shared_teams.items():
        for stack, network, capture in teams:
            for other, _, other_capture in teams:
                for service, rules in data_service_rules(other_capture).items():
                    assert rules, f"{service}: no inbound rule, the team's own pods are cut off"
                    allowed = reaches(pod_groups(capture), network, rules)
                    assert allowed == (stack == other), \
                        f"{cluster}: pods of {stack} {'cannot' if stack == other else 'can'} reach {service}"
                    checked += 1
    assert checked >= 8


def test_a_data_service_admitting_the_shared_pod_network_is_caught(shared_teams):
    """The check above fails on the old rule (the whole shared pod network), so it would catch a return to it."""
    teams = next(iter(shared_teams.values()))
    (_, network, capture), (_, _, other_capture) = teams[0], teams[1]
    service, rules = next(iter(data_service_rules(other_capture).items()))
    widened = [*rules, {"cidrIpv4": network, "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432}]
    assert reaches(pod_groups(capture), network, widened), service


def test_the_team_security_group_lives_in_the_clusters_vpc_and_crosses_the_hub(shared_teams):
    for teams in shared_teams.values():
        for stack, network, capture in teams:
            bp = renders()[stack][0]
            pods = next(r for r in capture.by_type("aws:ec2/securityGroup:SecurityGroup") if r.name.endswith("-pods-sg"))
            assert pods.inputs["vpcId"] == bp.primary.shared_cluster.vpc_id, pods.urn
            assert not pods.inputs.get("ingress") and not pods.inputs.get("egress"), f"{pods.urn}: an identity only"
            attachment = capture.one("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
            assert attachment.inputs["securityGroupReferencingSupport"] == "enable", attachment.urn
            routes = [r for r in capture.by_type("aws:ec2/route:Route") if r.inputs.get("destinationCidrBlock") == network]
            assert [r.inputs["transitGatewayId"] for r in routes] == [bp.primary.aws.hub.transit_gateway_id], \
                f"{stack}: the data tier has no way back to the cluster's pods but through the hub"


def test_the_hub_enables_security_group_referencing():
    hubs = [capture.one("aws:ec2transitgateway/transitGateway:TransitGateway")
            for bp, capture in renders().values() if bp.spec.network_hub]
    assert hubs
    for hub in hubs:
        assert hub.inputs["securityGroupReferencingSupport"] == "enable", hub.urn


@pytest.mark.parametrize("field", ["vpc_id", "security_group_id"])
def test_a_shared_cluster_the_sites_map_leaves_unidentified_is_refused_at_plan(field):
    bp = next(bp for bp, _ in renders().values()
              if bp.request.target == "aws" and bp.spec.cluster == "shared" and bp.data_services)
    assert plan(bp).pod_security_group is not None
    shared = bp.primary.shared_cluster.model_copy(update={field: None})
    blind = bp.model_copy(update={"placements": (bp.primary.model_copy(update={"shared_cluster": shared}),)})
    with pytest.raises(PlanError, match=rf"^placements\[0\]\.shared_cluster\.{field}: "):
        plan(blind)


def test_no_pod_security_group_without_data_services_to_admit_it():
    bp = next(bp for bp, _ in renders().values() if bp.request.target == "aws" and bp.spec.cluster == "shared")
    bare = bp.model_copy(update={"data_services": ()})
    assert plan(bare).pod_security_group is None
    assert plan(bare).network.cluster_cidrs == ()
    assert plan(bp).network.cluster_cidrs == (str(bp.primary.shared_cluster.cidr),)
