"""NetworkHub and HubAttachment at their edges: the private ASN ranges exactly, a Direct Connect gateway brought or
made (with its own ASN or the hub's next), every peer's and principal's resources and none other, a team attachment
joined to its own segment's table and the interconnect's only, and overlaps found however far down the lists."""

from __future__ import annotations

import json

import pulumi
import pytest
from aws_support import TAGS, TGW_ASSOCIATION, TGW_PROPAGATION, run

from components.aws.hub import HubAttachment, HubAttachmentArgs, HubPeer, NetworkHub, NetworkHubArgs

TYPE = "cloud-blueprints:aws:NetworkHub"
ROUTE = "aws:ec2transitgateway/route:Route"
DX_ASSOCIATION = "aws:directconnect/gatewayAssociation:GatewayAssociation"
ACCEPTER = "aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter"


def hub_args(**extra) -> NetworkHubArgs:
    return NetworkHubArgs(**{"region": "us-east-1", "amazon_side_asn": 64512, "tags": TAGS, **extra})


def build(**extra):
    def program():
        hub = NetworkHub("hub", hub_args(**extra))
        pulumi.export("prod_table", hub.route_table_id(True))
        pulumi.export("nonprod_table", hub.route_table_id(False))
    return run(program, stack="platform-prod")


def outputs(cap) -> dict:
    return cap.component_outputs[cap.one(TYPE).urn]


@pytest.mark.parametrize("asn", [64512, 65534, 4200000000, 4294967294])
def test_the_first_and_last_private_asns_of_both_ranges_are_accepted(asn):
    assert hub_args(amazon_side_asn=asn).amazon_side_asn == asn


@pytest.mark.parametrize("asn", [64511, 65535, 4199999999, 4294967295])
def test_the_public_or_reserved_asns_next_to_the_private_ranges_are_refused(asn):
    with pytest.raises(ValueError, match=f"amazon_side_asn {asn} is not a private ASN"):
        hub_args(amazon_side_asn=asn)


@pytest.mark.parametrize("extra, match", [
    ({"onprem_supernets": ["192.168.0.0/16", "10.64.0.0/12"], "advertised_prefixes": ["10.128.0.0/10", "10.64.0.0/10"]},
     "on-prem 10.64.0.0/12 overlaps advertised AWS prefix 10.64.0.0/10"),
    ({"peers": [HubPeer(region="eu-west-1", transit_gateway_id="t1", prod_cidrs=["10.128.0.0/12"], nonprod_cidrs=["10.144.0.0/12"]),
                HubPeer(region="ap-south-1", transit_gateway_id="t2", prod_cidrs=["10.160.0.0/12", "10.176.0.0/12"],
                        nonprod_cidrs=["10.192.0.0/12", "10.176.0.0/16"])]},
     "peer ap-south-1 prod 10.176.0.0/12 overlaps nonprod 10.176.0.0/16"),
    ({"advertised_prefixes": ["10.64.0.0/33"]}, "does not appear to be an IPv4"),
    ({"onprem_supernets": ["10.0.0.0/33"]}, "does not appear to be an IPv4"),
])
def test_overlaps_and_malformed_prefixes_are_found_however_far_down_the_lists(extra, match):
    with pytest.raises(ValueError, match=match):
        hub_args(**extra)


def test_segments_next_to_each_other_or_to_on_prem_are_not_overlaps():
    made = hub_args(onprem_supernets=["10.0.0.0/10"], advertised_prefixes=["10.64.0.0/10"],
                    peers=[HubPeer(region="eu-west-1", transit_gateway_id="t", prod_cidrs=["10.128.0.0/12"],
                                   nonprod_cidrs=["10.144.0.0/12"])])
    assert made.advertised_prefixes == ["10.64.0.0/10"]


def test_a_team_vpc_is_routed_by_its_own_tiers_table():
    cap = build()
    assert cap.stack_outputs["prod_table"] == outputs(cap)["prod_route_table_id"]
    assert cap.stack_outputs["nonprod_table"] == outputs(cap)["nonprod_route_table_id"]
    assert cap.stack_outputs["prod_table"] != cap.stack_outputs["nonprod_table"]


def test_without_direct_connect_peers_or_principals_the_hub_is_the_gateway_and_its_tables_alone():
    cap = build()
    kinds = sorted({r.type for r in cap.resources if r.custom})
    assert kinds == ["aws:ec2transitgateway/routeTable:RouteTable", "aws:ec2transitgateway/transitGateway:TransitGateway"]
    assert outputs(cap).get("direct_connect_gateway_id") is None and outputs(cap).get("resource_share_arn") is None


@pytest.mark.parametrize("extra, made_asn, gateway", [
    ({"advertised_prefixes": ["10.64.0.0/10"]}, "64513", None),
    ({"advertised_prefixes": ["10.64.0.0/10"], "direct_connect_asn": 64600}, "64600", None),
    ({"direct_connect_gateway_id": "dxgw-existing"}, None, "dxgw-existing"),
])
def test_a_direct_connect_gateway_is_made_with_its_own_asn_or_the_hubs_next_or_an_existing_one_is_used(extra, made_asn, gateway):
    cap = build(**extra)
    made = cap.by_type("aws:directconnect/gateway:Gateway")
    assert [g.inputs["amazonSideAsn"] for g in made] == ([made_asn] if made_asn else [])
    association = cap.one(DX_ASSOCIATION)
    expected = gateway or made[0].outputs["arn"].rsplit("/", 1)[-1]
    assert association.inputs["dxGatewayId"] == outputs(cap)["direct_connect_gateway_id"] == expected
    assert association.inputs["allowedPrefixes"] == extra.get("advertised_prefixes", [])
    tgw = cap.one("aws:ec2transitgateway/transitGateway:TransitGateway").outputs["arn"].rsplit("/", 1)[-1]
    assert association.inputs["associatedGatewayId"] == tgw
    dx = association.outputs["transitGatewayAttachmentId"]
    (joined,) = cap.by_type(TGW_ASSOCIATION)
    tables = outputs(cap)
    assert (joined.inputs["transitGatewayAttachmentId"], joined.inputs["transitGatewayRouteTableId"]) == (
        dx, tables["interconnect_route_table_id"])
    propagated = sorted((p.inputs["transitGatewayAttachmentId"], p.inputs["transitGatewayRouteTableId"]) for p in cap.by_type(TGW_PROPAGATION))
    assert propagated == sorted((dx, tables[f"{s}_route_table_id"]) for s in ("prod", "nonprod"))


def test_every_peers_tier_cidrs_are_routed_from_that_tiers_table_through_its_own_peering():
    peers = [HubPeer(region="eu-west-1", transit_gateway_id="tgw-eu", account_id="222222222222",
                     prod_cidrs=["10.128.0.0/12"], nonprod_cidrs=["10.144.0.0/12", "10.160.0.0/12"]),
             HubPeer(region="ap-south-1", transit_gateway_id="tgw-ap", attachment_id="tgw-attach-fromap",
                     prod_cidrs=["10.176.0.0/12", "10.192.0.0/12"])]
    cap = build(peers=peers)
    tables = outputs(cap)
    requested = cap.one("aws:ec2transitgateway/peeringAttachment:PeeringAttachment")
    assert (requested.inputs["peerRegion"], requested.inputs["peerTransitGatewayId"], requested.inputs["peerAccountId"]) == (
        "eu-west-1", "tgw-eu", "222222222222")
    accepted = cap.one("aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter")
    ids = {"eu-west-1": requested.outputs["arn"].rsplit("/", 1)[-1], "ap-south-1": "tgw-attach-fromap"}
    assert accepted.inputs["transitGatewayAttachmentId"] == "tgw-attach-fromap"
    assert tables["peering_attachment_ids"] == ids
    routes = sorted((r.inputs["transitGatewayRouteTableId"], r.inputs["destinationCidrBlock"], r.inputs["transitGatewayAttachmentId"])
                    for r in cap.by_type(ROUTE))
    assert routes == sorted(
        [(tables[f"{segment}_route_table_id"], cidr, ids[p.region])
         for p in peers for segment, cidrs in (("prod", p.prod_cidrs), ("nonprod", p.nonprod_cidrs)) for cidr in cidrs])
    joined = sorted((a.inputs["transitGatewayAttachmentId"], a.inputs["transitGatewayRouteTableId"]) for a in cap.by_type(TGW_ASSOCIATION))
    assert joined == sorted((i, tables["interconnect_route_table_id"]) for i in ids.values())
    assert not cap.by_type(TGW_PROPAGATION), "peerings do not propagate"


def test_every_principal_is_invited_to_the_share_and_no_one_outside_the_organization():
    principals = ["arn:aws:organizations::111111111111:ou/o-abc123/ou-team", "333333333333"]
    cap = build(share_principals=principals)
    share = cap.one("aws:ram/resourceShare:ResourceShare")
    assert share.inputs["allowExternalPrincipals"] is False
    invited = [(p.inputs["principal"], p.inputs["resourceShareArn"]) for p in cap.by_type("aws:ram/principalAssociation:PrincipalAssociation")]
    assert sorted(invited) == sorted((p, share.outputs["arn"]) for p in principals)
    assert outputs(cap)["resource_share_arn"] == share.outputs["arn"]


# --- a team's attachment, as the hub's account sees it ---------------------------------------------------------------


def attach(accept: bool):
    args = HubAttachmentArgs(attachment_id="tgw-attach-team", segment_route_table_id="tgw-rtb-nonprod",
                             interconnect_route_table_id="tgw-rtb-ic", accept=accept, tags=TAGS)
    return run(lambda: HubAttachment("team", args))


@pytest.mark.parametrize("accept", [True, False])
def test_a_team_attachment_joins_its_segments_table_and_propagates_there_and_to_the_interconnect_only(accept):
    cap = attach(accept)
    accepters = cap.by_type(ACCEPTER)
    assert len(accepters) == int(accept), "only an attachment from another account is accepted"
    for a in accepters:
        assert a.inputs["transitGatewayAttachmentId"] == "tgw-attach-team"
        assert a.inputs["transitGatewayDefaultRouteTableAssociation"] is False
        assert a.inputs["transitGatewayDefaultRouteTablePropagation"] is False
    (association,) = cap.by_type(TGW_ASSOCIATION)
    assert (association.inputs["transitGatewayAttachmentId"], association.inputs["transitGatewayRouteTableId"]) == (
        "tgw-attach-team", "tgw-rtb-nonprod")
    propagated = sorted((p.inputs["transitGatewayAttachmentId"], p.inputs["transitGatewayRouteTableId"]) for p in cap.by_type(TGW_PROPAGATION))
    assert propagated == [("tgw-attach-team", "tgw-rtb-ic"), ("tgw-attach-team", "tgw-rtb-nonprod")]
    for r in [association, *cap.by_type(TGW_PROPAGATION)]:
        assert [a.urn for a in accepters] == [d for d in r.dependencies if d.endswith("::team-accept")], r.urn
    out = cap.component_outputs[cap.one("cloud-blueprints:aws:HubAttachment").urn]
    assert out["association_id"].startswith("tgw-rtb-nonprod")


def test_an_attachment_to_one_table_for_both_roles_is_refused():
    # The two ids are read from separate places of the sites map: equal strings, not one object.
    segment, interconnect = json.loads('["tgw-rtb-0abc", "tgw-rtb-0abc"]')
    assert segment is not interconnect
    with pytest.raises(ValueError, match="the segment and interconnect route tables must differ"):
        HubAttachmentArgs(attachment_id="a", segment_route_table_id=segment, interconnect_route_table_id=interconnect,
                          accept=False, tags=TAGS)
