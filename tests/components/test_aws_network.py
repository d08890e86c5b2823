"""NetworkFabric: tiers and subnets per AZ, NAT by tier, flow logs, endpoints, TGW routes, locked defaults."""

from __future__ import annotations

import ipaddress

import pytest

from aws_support import TAGS, assert_owned_and_tagged, component, keys_rotate, run
from blueprints.plan import subnet_plan
from components.aws.network import NetworkFabric, NetworkFabricArgs

TYPE = "cloud-blueprints:aws:NetworkFabric"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"


def fabric(prod: bool, **extra):
    args = NetworkFabricArgs(
        cidr="10.20.0.0/16",
        prod=prod,
        tags=TAGS,
        availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"] if prod else ["us-east-1a", "us-east-1b"],
        nat_gateways=3 if prod else 1,
        subnets=subnet_plan("10.20.0.0/16", 3 if prod else 2),
        **extra,
    )
    return run(lambda: NetworkFabric("payments", args), stack="payments-prod" if prod else "payments-dev")


@pytest.fixture(scope="module")
def prod():
    return fabric(True, interconnect_cidrs=["10.0.0.0/10"], transit_gateway_id="tgw-0hub",
                  transit_gateway_route_table_id="tgw-rtb-prod", transit_gateway_interconnect_route_table_id="tgw-rtb-ic")


@pytest.fixture(scope="module")
def dev():
    return fabric(False)


def subnets_by_tier(cap):
    out: dict[str, list[dict]] = {}
    for s in cap.by_type(SUBNET):
        out.setdefault(s.inputs["tags"]["tier"], []).append(s.inputs)
    return out


def test_subnet_plan_is_disjoint_and_inside_the_vpc():
    plan = subnet_plan("10.20.0.0/16", 3)
    nets = [ipaddress.ip_network(c) for tier in plan.values() for c in tier]
    assert all(n.subnet_of(ipaddress.ip_network("10.20.0.0/16")) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert subnet_plan("10.20.0.0/16", 2)["private"] == plan["private"][:2], "adding an AZ must not move subnets"
    with pytest.raises(ValueError, match="is smaller than /24"):
        subnet_plan("10.20.0.0/25", 2)


@pytest.mark.parametrize("fixture,azs", [("prod", 3), ("dev", 2)])
def test_one_subnet_per_az_and_tier_none_public_by_default(fixture, azs, request):
    cap = request.getfixturevalue(fixture)
    tiers = subnets_by_tier(cap)
    assert sorted(tiers) == ["data", "private", "public"]
    for tier, subnets in tiers.items():
        assert len(subnets) == azs, f"{tier}: {len(subnets)} subnets for {azs} AZs"
        assert len({s["availabilityZone"] for s in subnets}) == azs, f"{tier} subnets share an AZ"
        assert all(s["mapPublicIpOnLaunch"] is False for s in subnets), f"{tier} subnet assigns public IPs"


def test_nat_per_az_in_prod_one_in_dev(prod, dev):
    assert len(prod.by_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(prod.by_type("aws:ec2/eip:Eip")) == 3
    assert len(dev.by_type("aws:ec2/natGateway:NatGateway")) == 1
    private_defaults = [r.inputs for r in prod.by_type(ROUTE) if r.inputs.get("natGatewayId")]
    assert len({r["natGatewayId"] for r in private_defaults}) == 3, "each prod AZ must egress through its own NAT"


def test_data_tier_has_no_internet_route(prod, dev):
    for cap in (prod, dev):
        data_rt = component(cap, "aws:ec2/routeTable:RouteTable", "payments-data-rt")
        routes = [r for r in cap.by_type(ROUTE) if r.parent == data_rt.urn]
        assert all(r.inputs["destinationCidrBlock"] != "0.0.0.0/0" for r in routes), f"{data_rt.urn} reaches the internet"


def test_interconnect_routes_through_the_transit_gateway(prod):
    tgw_routes = [r.inputs for r in prod.by_type(ROUTE) if r.inputs.get("transitGatewayId")]
    assert len(tgw_routes) == 4, "three private route tables and the data route table route the interconnect"
    assert {r["destinationCidrBlock"] for r in tgw_routes} == {"10.0.0.0/10"}
    attachment = prod.one("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert len(attachment.inputs["subnetIds"]) == 3
    assert prod.one("aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation").inputs["transitGatewayRouteTableId"] == "tgw-rtb-prod"
    propagated = {r.inputs["transitGatewayRouteTableId"] for r in prod.by_type("aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation")}
    assert propagated == {"tgw-rtb-prod", "tgw-rtb-ic"}


def test_endpoints_by_tier(prod, dev):
    def services(cap):
        return sorted(
            (e.inputs["vpcEndpointType"], e.inputs["serviceName"].removeprefix("com.amazonaws.us-east-1."))
            for e in cap.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        )
    assert services(dev) == [("Gateway", "s3")]
    assert services(prod) == [("Gateway", "s3"), ("Interface", "ecr.api"), ("Interface", "ecr.dkr"), ("Interface", "logs"), ("Interface", "sts")]
    for e in prod.by_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        if e.inputs["vpcEndpointType"] == "Interface":
            assert e.inputs["privateDnsEnabled"] is True and len(e.inputs["subnetIds"]) == 3, e.urn


def test_flow_logs_all_traffic_encrypted_and_retained_by_tier(prod, dev):
    for cap, days in ((prod, 365), (dev, 90)):
        flow = cap.one("aws:ec2/flowLog:FlowLog")
        group = cap.one("aws:cloudwatch/logGroup:LogGroup")
        assert flow.inputs["trafficType"] == "ALL", flow.urn
        assert flow.inputs["logDestination"] == group.outputs["arn"], flow.urn
        assert group.inputs["retentionInDays"] == days, group.urn
        assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:"), group.urn
        keys_rotate(cap)


def test_default_security_group_and_nacl_are_locked(dev):
    sg = dev.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not sg.inputs.get("ingress") and not sg.inputs.get("egress"), f"{sg.urn} keeps rules"
    nacl = dev.one("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
    denied = {(r["fromPort"], r["cidrBlock"]) for r in nacl.inputs["ingress"] if r["action"] == "deny"}
    assert denied == {(22, "0.0.0.0/0"), (3389, "0.0.0.0/0")}, nacl.urn
    assert len(nacl.inputs["subnetIds"]) == 6


def test_azs_come_from_the_region_when_the_sites_map_has_none(dev):
    subnets = [s.inputs["availabilityZone"] for s in dev.by_type(SUBNET)]
    assert set(subnets) == {"us-east-1a", "us-east-1b"}


def test_everything_tagged_and_parented(prod, dev):
    for cap in (prod, dev):
        fabric_urn = cap.one(TYPE).urn
        assert_owned_and_tagged(cap, fabric_urn)
        outputs = cap.component_outputs[fabric_urn]
        assert len(outputs["private_subnet_ids"]) == len(outputs["availability_zones"]), fabric_urn


@pytest.mark.parametrize(
    "extra, match",
    [
        ({"interconnect_cidrs": ["10.0.0.0/8"]}, "interconnect_cidrs need a transit_gateway_id"),
        ({"cluster_cidrs": ["100.64.0.0/20"]}, "cluster_cidrs need a transit_gateway_id"),
        ({"availability_zones": ["us-east-1a"]}, "two AZs or more needed"),
        ({"tags": {"team": "payments"}}, r"tags lack required keys \['owner'"),
    ],
)
def test_bad_args_fail_early(extra, match):
    with pytest.raises(ValueError, match=match):
        NetworkFabricArgs(**{"cidr": "10.20.0.0/16", "prod": False, "tags": TAGS,
                             "availability_zones": ["us-east-1a", "us-east-1b"], "nat_gateways": 1,
                             "subnets": subnet_plan("10.20.0.0/16", 2), **extra})
