"""NetworkFabric at its edges: every subnet on its own tier's route table and no other, each default route to the one
gateway its tier may use, NAT gateways fewer than the AZs, the NACL's deny rules ahead of its allow rule, flow logs
that only this account's flow-log service writes to one log group, endpoints reachable on HTTPS from the VPC only,
and the hub tables a same-account attachment joins (any of them may be absent)."""

from __future__ import annotations

import pytest
from aws_support import TAGS, TGW_ASSOCIATION, TGW_PROPAGATION, component, log_keys_admit_cloudwatch_logs, policy, run

from blueprints.plan import subnet_plan
from components.aws.network import NetworkFabric, NetworkFabricArgs

ACCOUNT = "111111111111"
AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
CIDR = "10.20.0.0/16"
SUPERNETS = ["10.0.0.0/10", "172.16.0.0/12"]
CLUSTERS = ["100.64.0.0/20"]
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
SUBNET = "aws:ec2/subnet:Subnet"


def args(**extra) -> NetworkFabricArgs:
    azs = extra.pop("availability_zones", AZS)
    base = {"cidr": CIDR, "prod": True, "tags": TAGS, "availability_zones": azs, "nat_gateways": len(azs),
            "subnets": subnet_plan(CIDR, len(azs))}
    return NetworkFabricArgs(**{**base, **extra})


def build(**extra):
    made = args(**extra)
    return run(lambda: NetworkFabric("payments", made), stack="payments-prod" if made.prod else "payments-dev")


@pytest.fixture(scope="module")
def cap():
    """Three AZs behind two NAT gateways, two interconnect supernets and a shared cluster across the hub."""
    return build(nat_gateways=2, interconnect_cidrs=SUPERNETS, cluster_cidrs=CLUSTERS, transit_gateway_id="tgw-0hub",
                 transit_gateway_route_table_id="tgw-rtb-prod", transit_gateway_interconnect_route_table_id="tgw-rtb-ic")


@pytest.fixture(scope="module")
def dev():
    return build(prod=False, availability_zones=AZS[:2], nat_gateways=1)


def rid(resource) -> str:
    """An EC2 resource's id, the last part of its ARN (the capture keeps outputs, not ids)."""
    return resource.outputs["arn"].rsplit("/", 1)[-1]


def ids(resources) -> list[str]:
    return [rid(r) for r in resources]


def by_name(cap, type_token: str) -> dict:
    return {r.name: r for r in cap.by_type(type_token)}


def tier_of(cap) -> dict[str, str]:
    """Subnet and route table id -> its tier tag."""
    return {rid(r): r.inputs["tags"]["tier"] for t in (SUBNET, ROUTE_TABLE) for r in cap.by_type(t)}


# --- subnets and route tables ----------------------------------------------------------------------------------------


def test_each_subnet_sits_at_the_plans_cidr_in_its_az_with_its_tiers_load_balancer_role(cap):
    plan = subnet_plan(CIDR, len(AZS))
    subnets = by_name(cap, SUBNET)
    roles = {"public": {"kubernetes.io/role/elb": "1"}, "private": {"kubernetes.io/role/internal-elb": "1"}, "data": {}}
    for tier, cidrs in plan.items():
        for az, cidr in zip(AZS, cidrs):
            s = subnets.pop(f"payments-{tier}-{az[-1]}").inputs
            assert (s["availabilityZone"], s["cidrBlock"], s["mapPublicIpOnLaunch"]) == (az, cidr, False), s
            role = {k: v for k, v in s["tags"].items() if k.startswith("kubernetes.io/role/")}
            assert role == roles[tier], f"{tier} subnet in {az}: load balancer role {role}"
    assert not subnets, f"subnets outside the plan: {sorted(subnets)}"


def test_every_subnet_is_associated_with_one_route_table_of_its_own_tier(cap):
    tiers = tier_of(cap)
    associated = [(a.inputs["subnetId"], a.inputs["routeTableId"])
                  for a in cap.by_type("aws:ec2/routeTableAssociation:RouteTableAssociation")]
    subnets = ids(cap.by_type(SUBNET))
    assert sorted(s for s, _ in associated) == sorted(subnets), "each subnet exactly once"
    assert all(tiers[s] == tiers[rt] for s, rt in associated), [(tiers[s], tiers[rt]) for s, rt in associated]
    tables = [r.inputs["tags"]["tier"] for r in cap.by_type(ROUTE_TABLE)]
    assert sorted(tables) == ["data", "private", "private", "private", "public"], "one private table per AZ"


def test_each_tiers_default_route_leaves_through_its_own_gateway_and_the_data_tier_has_none(cap):
    tiers = tier_of(cap)
    defaults = [r.inputs for r in cap.by_type(ROUTE) if r.inputs["destinationCidrBlock"] == "0.0.0.0/0"]
    igw = rid(cap.one("aws:ec2/internetGateway:InternetGateway"))
    nats = set(ids(cap.by_type("aws:ec2/natGateway:NatGateway")))
    by_tier: dict[str, list[dict]] = {}
    for route in defaults:
        by_tier.setdefault(tiers[route["routeTableId"]], []).append(route)
    assert sorted(by_tier) == ["private", "public"], "the data tier reaches no internet"
    (public,) = by_tier["public"]
    assert public.get("gatewayId") == igw and "natGatewayId" not in public, public
    assert len(by_tier["private"]) == len(AZS), "one default route per private table"
    for route in by_tier["private"]:
        assert route.get("natGatewayId") in nats and "gatewayId" not in route, route


def test_fewer_nat_gateways_than_azs_sit_in_the_first_public_subnets_and_serve_the_rest_in_turn(cap):
    subnets = {rid(s): s.inputs for s in cap.by_type(SUBNET)}
    eips = by_name(cap, "aws:ec2/eip:Eip")
    nats = by_name(cap, "aws:ec2/natGateway:NatGateway")
    igw = cap.one("aws:ec2/internetGateway:InternetGateway").urn
    assert sorted(nats) == ["payments-nat-0", "payments-nat-1"]
    for i, az in enumerate(AZS[:2]):
        nat = nats[f"payments-nat-{i}"]
        placed = subnets[nat.inputs["subnetId"]]
        assert (placed["tags"]["tier"], placed["availabilityZone"]) == ("public", az), nat.urn
        assert nat.inputs["allocationId"] == eips[f"payments-nat-eip-{i}"].outputs["allocationId"], nat.urn
        assert nat.inputs["connectivityType"] == "public" and igw in nat.dependencies, nat.urn
        assert eips[f"payments-nat-eip-{i}"].inputs["domain"] == "vpc"
    nat_az = {rid(n): subnets[n.inputs["subnetId"]]["availabilityZone"] for n in nats.values()}
    private_az = {a.inputs["routeTableId"]: subnets[a.inputs["subnetId"]]["availabilityZone"]
                  for a in cap.by_type("aws:ec2/routeTableAssociation:RouteTableAssociation")}
    served = {private_az[r.inputs["routeTableId"]]: nat_az[r.inputs["natGatewayId"]]
              for r in cap.by_type(ROUTE) if r.inputs.get("natGatewayId")}
    assert served == {"us-east-1a": "us-east-1a", "us-east-1b": "us-east-1b", "us-east-1c": "us-east-1a"}
    outputs = cap.component_outputs[cap.one("cloud-blueprints:aws:NetworkFabric").urn]
    assert outputs["nat_public_ips"] == [eips[f"payments-nat-eip-{i}"].outputs["publicIp"] for i in range(2)]


def test_the_vpc_resolves_private_dns_names_as_the_interface_endpoints_need(cap):
    vpc = cap.one("aws:ec2/vpc:Vpc").inputs
    assert (vpc["cidrBlock"], vpc["enableDnsHostnames"], vpc["enableDnsSupport"]) == (CIDR, True, True)


# --- the locked defaults ---------------------------------------------------------------------------------------------


def test_the_default_nacl_denies_ssh_and_rdp_ahead_of_its_allow_rule_on_every_subnet(cap):
    nacl = cap.one("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl").inputs
    rules = [(r["ruleNo"], r["action"], r["protocol"], r["fromPort"], r["toPort"], r["cidrBlock"]) for r in nacl["ingress"]]
    # NACL rules are evaluated lowest number first: a deny numbered above the allow would never match.
    assert sorted(rules) == [(10, "deny", "tcp", 22, 22, "0.0.0.0/0"), (11, "deny", "tcp", 3389, 3389, "0.0.0.0/0"),
                             (100, "allow", "-1", 0, 0, "0.0.0.0/0")]
    assert [(r["ruleNo"], r["action"], r["protocol"]) for r in nacl["egress"]] == [(100, "allow", "-1")]
    assert sorted(nacl["subnetIds"]) == sorted(ids(cap.by_type(SUBNET))), "the NACL must cover every tier's subnets"
    assert nacl["defaultNetworkAclId"] == cap.one("aws:ec2/vpc:Vpc").outputs["defaultNetworkAclId"]


# --- flow logs -------------------------------------------------------------------------------------------------------


def test_flow_logs_go_every_minute_to_a_log_group_under_the_fabrics_own_key(cap, dev):
    for fabric, window in ((cap, 30), (dev, 7)):
        flow = fabric.one("aws:ec2/flowLog:FlowLog").inputs
        group = fabric.one("aws:cloudwatch/logGroup:LogGroup")
        (key,) = fabric.by_type("aws:kms/key:Key")
        assert (flow["trafficType"], flow["logDestinationType"], flow["logDestination"]) == (
            "ALL", "cloud-watch-logs", group.outputs["arn"])
        assert flow["vpcId"] == rid(fabric.one("aws:ec2/vpc:Vpc"))
        assert flow["maxAggregationInterval"] == 60, "AWS accepts 60 or 600 seconds; a minute for incident response"
        assert flow["iamRoleArn"] == fabric.one("aws:iam/role:Role").outputs["arn"]
        assert group.inputs["kmsKeyId"] == key.outputs["arn"]
        assert key.inputs["deletionWindowInDays"] == window, "prod keys wait longer before deletion"
        assert log_keys_admit_cloudwatch_logs(fabric) == 1


def test_only_this_accounts_flow_log_service_assumes_the_role_and_it_writes_to_one_log_group(cap):
    (trust,) = policy(cap.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust == {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole",
                     "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
    (write,) = policy(cap.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    arn = cap.one("aws:cloudwatch/logGroup:LogGroup").outputs["arn"]
    assert write == {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                     "Resource": [arn, f"{arn}:*"]}
    assert cap.one("aws:iam/rolePolicy:RolePolicy").inputs["role"] == cap.one("aws:iam/role:Role").outputs["name"]


@pytest.mark.parametrize("prod, explicit, zone, days", [
    (True, None, 0, 365),
    (False, None, 0, 90),
    (False, None, 400, 400),  # the zone's longer retention wins
    (True, None, 180, 365),  # a shorter zone never shortens the tier's
    (True, 731, 0, 731),
    (False, 30, 400, 30),  # stated on purpose
])
def test_flow_log_retention_is_the_stated_one_else_the_longer_of_the_tiers_and_the_zones(prod, explicit, zone, days):
    assert args(prod=prod, flow_log_retention_days=explicit, zone_retention_days=zone).retention_days == days


# --- endpoints -------------------------------------------------------------------------------------------------------


def test_s3_is_routed_from_the_private_and_data_tables_only(cap, dev):
    for fabric in (cap, dev):
        s3 = component(fabric, "aws:ec2/vpcEndpoint:VpcEndpoint", "payments-s3").inputs
        assert (s3["vpcEndpointType"], s3["serviceName"]) == ("Gateway", "com.amazonaws.us-east-1.s3")
        inner = [rid(r) for r in fabric.by_type(ROUTE_TABLE) if r.inputs["tags"]["tier"] != "public"]
        assert sorted(s3["routeTableIds"]) == sorted(inner), "the public tier reaches S3 through the internet gateway"


def test_interface_endpoints_admit_https_from_the_vpc_only_and_live_in_the_private_subnets(cap, dev):
    sg = cap.one("aws:ec2/securityGroup:SecurityGroup")
    assert not sg.inputs.get("ingress") and not sg.inputs.get("egress"), "rules live in their own resources"
    (rule,) = cap.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    r = rule.inputs
    assert (r["securityGroupId"], r["ipProtocol"], r["fromPort"], r["toPort"], r["cidrIpv4"]) == (
        rid(sg), "tcp", 443, 443, CIDR)
    assert not cap.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    private = sorted(rid(s) for s in cap.by_type(SUBNET) if s.inputs["tags"]["tier"] == "private")
    interface = [e.inputs for e in cap.by_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Interface"]
    assert len(interface) == 4
    for e in interface:
        assert sorted(e["subnetIds"]) == private and e["securityGroupIds"] == [rid(sg)], e
    assert not dev.by_type("aws:ec2/securityGroup:SecurityGroup"), "nonprod has no interface endpoints to guard"


# --- the hub ---------------------------------------------------------------------------------------------------------


def test_the_interconnect_is_routed_from_every_inner_table_and_the_shared_cluster_from_the_data_table_only(cap):
    tables = by_name(cap, ROUTE_TABLE)
    attachment = cap.one("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    via_hub = [r for r in cap.by_type(ROUTE) if r.inputs.get("transitGatewayId")]
    found = sorted((r.parent, r.name, r.inputs["routeTableId"], r.inputs["destinationCidrBlock"]) for r in via_hub)
    inner = ["payments-private-rt-0", "payments-private-rt-1", "payments-private-rt-2", "payments-data-rt"]
    expected = [(tables[t].urn, f"{t}-interconnect-{j}", rid(tables[t]), c)
                for t in inner for j, c in enumerate(SUPERNETS)]
    expected += [(tables["payments-data-rt"].urn, f"payments-data-rt-cluster-{j}", rid(tables["payments-data-rt"]), c)
                 for j, c in enumerate(CLUSTERS)]
    assert found == sorted(expected)
    for r in via_hub:
        assert r.inputs["transitGatewayId"] == "tgw-0hub" and attachment.urn in r.dependencies, r.urn
    private = [rid(s) for s in cap.by_type(SUBNET) if s.inputs["tags"]["tier"] == "private"]
    assert sorted(attachment.inputs["subnetIds"]) == sorted(private)
    assert (attachment.inputs["transitGatewayId"], attachment.inputs["dnsSupport"]) == ("tgw-0hub", "enable")
    outputs = cap.component_outputs[cap.one("cloud-blueprints:aws:NetworkFabric").urn]
    assert outputs["transit_gateway_attachment_id"] == rid(attachment)


@pytest.mark.parametrize("segment, interconnect", [("tgw-rtb-prod", None), (None, "tgw-rtb-ic"), (None, None)])
def test_a_same_account_attachment_joins_exactly_the_hub_tables_it_is_given(segment, interconnect):
    fabric = build(availability_zones=AZS[:2], transit_gateway_id="tgw-0hub", transit_gateway_route_table_id=segment,
                   transit_gateway_interconnect_route_table_id=interconnect)
    attachment = rid(fabric.one("aws:ec2transitgateway/vpcAttachment:VpcAttachment"))
    associated = [(a.inputs["transitGatewayAttachmentId"], a.inputs["transitGatewayRouteTableId"])
                  for a in fabric.by_type(TGW_ASSOCIATION)]
    assert associated == ([(attachment, segment)] if segment else [])
    propagated = sorted((p.inputs["transitGatewayAttachmentId"], p.inputs["transitGatewayRouteTableId"])
                        for p in fabric.by_type(TGW_PROPAGATION))
    assert propagated == sorted((attachment, t) for t in (segment, interconnect) if t)


def test_without_a_hub_nothing_is_attached_or_routed_through_one(dev):
    assert not dev.by_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert not [r for r in dev.by_type(ROUTE) if r.inputs.get("transitGatewayId")]
    assert dev.component_outputs[dev.one("cloud-blueprints:aws:NetworkFabric").urn].get("transit_gateway_attachment_id") is None


# --- arguments -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [{"nat_gateways": 1}, {"nat_gateways": 3}, {"availability_zones": AZS[:2], "nat_gateways": 2}])
def test_one_to_as_many_nat_gateways_as_azs_are_accepted(extra):
    assert args(**extra).nat_gateways == extra["nat_gateways"]


def _with_subnet(tier: str, cidrs: list[str]) -> dict:
    return {"subnets": {**subnet_plan(CIDR, len(AZS)), tier: cidrs}}


@pytest.mark.parametrize("extra, match", [
    ({"nat_gateways": 0}, "nat_gateways 0 is not 1 to the 3 AZs"),
    ({"nat_gateways": 4}, "nat_gateways 4 is not 1 to the 3 AZs"),
    ({"availability_zones": ["us-east-1a", "us-east-1a"], "nat_gateways": 1}, "two AZs or more needed"),
    (_with_subnet("data", subnet_plan(CIDR, 3)["data"][:2]), r"subnets.data holds 2 CIDRs for 3 AZs"),
    (_with_subnet("data", subnet_plan(CIDR, 4)["data"]), r"subnets.data holds 4 CIDRs for 3 AZs"),
    ({"subnets": {t: c for t, c in subnet_plan(CIDR, 3).items() if t != "data"}}, r"subnets.data holds 0 CIDRs for 3 AZs"),
    (_with_subnet("data", [*subnet_plan(CIDR, 3)["data"][:2], "10.21.0.0/24"]), r"subnets.data .* are not all inside"),
    ({"interconnect_cidrs": ["10.0.0.0/33"], "transit_gateway_id": "tgw-0hub"}, "does not appear to be an IPv4"),
    ({"cluster_cidrs": ["10.0.0.0/33"], "transit_gateway_id": "tgw-0hub"}, "does not appear to be an IPv4"),
    ({"cluster_cidrs": CLUSTERS, "transit_gateway_id": ""}, "cluster_cidrs need a transit_gateway_id"),
])
def test_arguments_a_real_vpc_could_not_take_are_refused(extra, match):
    with pytest.raises(ValueError, match=match):
        args(**extra)

