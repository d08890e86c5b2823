"""NetworkHub: segment route tables kept apart, Direct Connect, peerings, RAM share inside the organization."""

from __future__ import annotations

import pytest

from aws_support import TAGS, assert_owned_and_tagged, run
from components.aws.hub import HubPeer, NetworkHub, NetworkHubArgs

TYPE = "cloud-blueprints:aws:NetworkHub"
RT = "aws:ec2transitgateway/routeTable:RouteTable"
ROUTE = "aws:ec2transitgateway/route:Route"
PROPAGATION = "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation"
ASSOCIATION = "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation"

PEERS = [
    HubPeer(region="eu-west-1", transit_gateway_id="tgw-0eu", prod_cidrs=["10.128.0.0/12"], nonprod_cidrs=["10.144.0.0/12"]),
    HubPeer(region="ap-southeast-1", transit_gateway_id="tgw-0ap", attachment_id="tgw-attach-0fromap",
            prod_cidrs=["10.160.0.0/12"], nonprod_cidrs=["10.176.0.0/12"]),
]


@pytest.fixture(scope="module")
def cap():
    args = NetworkHubArgs(
        region="us-east-1",
        amazon_side_asn=64512,
        tags=TAGS,
        onprem_supernets=["10.0.0.0/10"],
        advertised_prefixes=["10.64.0.0/10"],
        peers=PEERS,
        share_principals=["arn:aws:organizations::111111111111:organization/o-abc123"],
    )
    return run(lambda: NetworkHub("hub-use1", args), stack="platform-prod")


def test_transit_gateway_accepts_and_routes_nothing_by_default(cap):
    tgw = cap.one("aws:ec2transitgateway/transitGateway:TransitGateway")
    assert tgw.inputs["autoAcceptSharedAttachments"] == "disable", tgw.urn
    assert tgw.inputs["defaultRouteTableAssociation"] == "disable", tgw.urn
    assert tgw.inputs["defaultRouteTablePropagation"] == "disable", tgw.urn
    assert sorted(r.inputs["tags"]["segment"] for r in cap.by_type(RT)) == ["interconnect", "nonprod", "prod"]


def test_no_route_between_prod_and_nonprod(cap):
    outputs = cap.component_outputs[cap.one(TYPE).urn]
    prod_id, nonprod_id = outputs["prod_route_table_id"], outputs["nonprod_route_table_id"]
    prod_cidrs = {c for p in PEERS for c in p.prod_cidrs}
    nonprod_cidrs = {c for p in PEERS for c in p.nonprod_cidrs}
    for route in cap.by_type(ROUTE):
        table, dest = route.inputs["transitGatewayRouteTableId"], route.inputs["destinationCidrBlock"]
        if table == prod_id:
            assert dest in prod_cidrs, f"{route.urn}: prod table routes {dest}"
        elif table == nonprod_id:
            assert dest in nonprod_cidrs, f"{route.urn}: nonprod table routes {dest}"
    # Nothing propagates from one segment into the other: only the Direct Connect attachment propagates here.
    dx = cap.one("aws:directconnect/gatewayAssociation:GatewayAssociation").outputs["transitGatewayAttachmentId"]
    for p in cap.by_type(PROPAGATION):
        assert p.inputs["transitGatewayAttachmentId"] == dx, p.urn
    assert {p.inputs["transitGatewayRouteTableId"] for p in cap.by_type(PROPAGATION)} == {prod_id, nonprod_id}


def test_direct_connect_advertises_only_the_aws_supernets(cap):
    dx = cap.one("aws:directconnect/gatewayAssociation:GatewayAssociation")
    assert dx.inputs["allowedPrefixes"] == ["10.64.0.0/10"], dx.urn
    assert cap.one("aws:directconnect/gateway:Gateway").inputs["amazonSideAsn"] == "64513"
    outputs = cap.component_outputs[cap.one(TYPE).urn]
    assert outputs["interconnect_cidrs"] == ["10.0.0.0/10"]


def test_peerings_requested_or_accepted_and_on_the_interconnect_table(cap):
    requested = cap.one("aws:ec2transitgateway/peeringAttachment:PeeringAttachment")
    assert requested.inputs["peerRegion"] == "eu-west-1" and requested.inputs["peerTransitGatewayId"] == "tgw-0eu"
    accepted = cap.one("aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter")
    assert accepted.inputs["transitGatewayAttachmentId"] == "tgw-attach-0fromap"
    interconnect = cap.component_outputs[cap.one(TYPE).urn]["interconnect_route_table_id"]
    associations = cap.by_type(ASSOCIATION)
    assert len(associations) == 3, "DX and two peerings sit on the interconnect table"
    assert all(a.inputs["transitGatewayRouteTableId"] == interconnect for a in associations)
    assert len(cap.by_type(ROUTE)) == 4


def test_ram_share_stays_inside_the_organization(cap):
    share = cap.one("aws:ram/resourceShare:ResourceShare")
    assert share.inputs["allowExternalPrincipals"] is False, share.urn
    tgw_arn = cap.one("aws:ec2transitgateway/transitGateway:TransitGateway").outputs["arn"]
    assert cap.one("aws:ram/resourceAssociation:ResourceAssociation").inputs["resourceArn"] == tgw_arn
    assert cap.one("aws:ram/principalAssociation:PrincipalAssociation").inputs["principal"].endswith("o-abc123")


def test_everything_tagged_and_parented(cap):
    assert_owned_and_tagged(cap, cap.one(TYPE).urn)


@pytest.mark.parametrize(
    "extra, match",
    [
        ({"amazon_side_asn": 7224}, "amazon_side_asn 7224 is not a private ASN"),
        ({"onprem_supernets": ["10.64.0.0/12"], "advertised_prefixes": ["10.64.0.0/10"]}, "overlaps advertised AWS prefix"),
        ({"peers": [HubPeer(region="eu-west-1", transit_gateway_id="t", prod_cidrs=["10.0.0.0/8"], nonprod_cidrs=["10.1.0.0/16"])]},
         "peer eu-west-1 prod 10.0.0.0/8 overlaps nonprod"),
    ],
)
def test_bad_args_fail_early(extra, match):
    with pytest.raises(ValueError, match=match):
        NetworkHubArgs(**{"region": "us-east-1", "amazon_side_asn": 64512, "tags": TAGS, **extra})
