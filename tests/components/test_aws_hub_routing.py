"""The hub routes what the catalog promises: peerings with the other regions, team attachments per tier."""

from __future__ import annotations

import pytest

from blueprints.catalog import Catalog
from blueprints.placement.resolve import resolve
from blueprints.plan import plan
from blueprints.sites import load_sites
from engine.stacks import preview
from tests.conftest import ROOT, make_request

CATALOG = Catalog()
SITES = load_sites()
ASSOCIATION = "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation"
PROPAGATION = "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation"


def render(**request):
    bp = resolve(make_request(**request), CATALOG, SITES)
    return bp, preview(ROOT, bp, SITES)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_a_team_vpc_is_accepted_and_routed_in_its_tier_only(env):
    bp, cap = render(team="routed", blueprint="web-service", target="aws", site="us-east-1", env=env)
    tables = bp.primary.aws.hub.route_tables
    own, other = (tables.prod, tables.nonprod) if env == "prod" else (tables.nonprod, tables.prod)
    hub_side = [r for r in cap.resources if "cloud-blueprints:aws:HubAttachment" in r.urn and r.custom]
    assert hub_side and all(r.provider and "-hub-aws::" in r.provider for r in hub_side), [r.urn for r in hub_side]
    accepter = cap.one("aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter")
    assert accepter.inputs["transitGatewayDefaultRouteTableAssociation"] is False, accepter.urn
    association = [r for r in cap.by_type(ASSOCIATION) if r in hub_side]
    assert [r.inputs["transitGatewayRouteTableId"] for r in association] == [own], [r.urn for r in association]
    propagated = {r.inputs["transitGatewayRouteTableId"] for r in cap.by_type(PROPAGATION) if r in hub_side}
    assert propagated == {own, tables.interconnect} and other not in propagated, propagated


def test_the_hub_requests_and_accepts_its_peerings_and_routes_each_tier_apart():
    bp, cap = render(team="platform-net", blueprint="network-hub", site="us-east-1", env="prod")
    hub = plan(bp).hub
    requested = cap.by_type("aws:ec2transitgateway/peeringAttachment:PeeringAttachment")
    accepted = cap.by_type("aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter")
    assert sorted(r.inputs["peerRegion"] for r in requested) == sorted(p.region for p in hub.peers if not p.attachment_id)
    assert sorted(r.inputs["transitGatewayAttachmentId"] for r in accepted) == \
        sorted(p.attachment_id for p in hub.peers if p.attachment_id)
    routes = cap.by_type("aws:ec2transitgateway/route:Route")
    for peer in hub.peers:
        for route in (r for r in routes if f"-peer-{peer.region}-" in r.name):
            segment = "prod" if f"-peer-{peer.region}-prod-" in route.name else "nonprod"
            cidrs = peer.prod_cidrs if segment == "prod" else peer.nonprod_cidrs
            assert route.inputs["destinationCidrBlock"] in cidrs, route.urn
        assert len([r for r in routes if f"-peer-{peer.region}-" in r.name]) == len(peer.prod_cidrs) + len(peer.nonprod_cidrs)
