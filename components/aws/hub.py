"""NetworkHub: the platform team's regional Transit Gateway, with prod and nonprod kept apart."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.aws.tagging import named
from components.ownership import require_ownership

SEGMENTS = ("prod", "nonprod")


@dataclass(frozen=True)
class HubPeer:
    """Another region's hub this hub peers with."""

    region: str
    """The peer hub's region."""
    transit_gateway_id: str
    """The peer hub's Transit Gateway."""
    prod_cidrs: Sequence[str] = ()
    """The peer region's prod supernets, routed from this hub's prod route table only."""
    nonprod_cidrs: Sequence[str] = ()
    """The peer region's nonprod supernets, routed from this hub's nonprod route table only."""
    account_id: str | None = None
    """The peer's account when it differs from this one."""
    attachment_id: str | None = None
    """Set when the peer created the peering: this hub accepts that attachment instead of requesting one."""


@dataclass(frozen=True)
class NetworkHubArgs:
    """Inputs of a regional hub."""

    region: str
    """The hub's region (descriptions and names; the provider in `opts` decides where it is built)."""
    amazon_side_asn: int
    """The Transit Gateway's private BGP ASN, unique across the fleet's hubs."""
    tags: Mapping[str, str]
    """Ownership tags of the platform team."""
    onprem_supernets: Sequence[str] = ()
    """The data centers' supernets, learned over Direct Connect (BGP; TGW takes no static route to a DX
    gateway). Checked against the advertised prefixes and exported for the team fabrics' interconnect routes."""
    advertised_prefixes: Sequence[str] = ()
    """The region's AWS supernets advertised to the data centers through the Direct Connect gateway."""
    direct_connect_gateway_id: str | None = None
    """An existing Direct Connect gateway; None with advertised prefixes: one is created."""
    direct_connect_asn: int | None = None
    """ASN of a Direct Connect gateway created here (defaults to the TGW's ASN + 1)."""
    peers: Sequence[HubPeer] = ()
    """Hubs of the other regions."""
    share_principals: Sequence[str] = ()
    """Account ids, organization or OU ARNs allowed to attach their VPCs (RAM, inside the organization)."""

    def __post_init__(self) -> None:
        require_ownership(self.tags, "NetworkHubArgs")
        if not (64512 <= self.amazon_side_asn <= 65534 or 4200000000 <= self.amazon_side_asn <= 4294967294):
            raise ValueError(f"NetworkHubArgs: amazon_side_asn {self.amazon_side_asn} is not a private ASN")
        self._on_prem_apart_from_aws()
        self._peer_tiers_apart()

    def _on_prem_apart_from_aws(self) -> None:
        for cidr in [*self.onprem_supernets, *self.advertised_prefixes]:
            ipaddress.ip_network(cidr)
        for onprem in self.onprem_supernets:
            for adv in self.advertised_prefixes:
                if ipaddress.ip_network(onprem).overlaps(ipaddress.ip_network(adv)):
                    raise ValueError(f"NetworkHubArgs: on-prem {onprem} overlaps advertised AWS prefix {adv}")

    def _peer_tiers_apart(self) -> None:
        for peer in self.peers:
            for p in peer.prod_cidrs:
                for n in peer.nonprod_cidrs:
                    if ipaddress.ip_network(p).overlaps(ipaddress.ip_network(n)):
                        raise ValueError(f"NetworkHubArgs: peer {peer.region} prod {p} overlaps nonprod {n}")


class NetworkHub(pulumi.ComponentResource):
    """A Transit Gateway with one route table per segment (prod, nonprod) and one for the interconnect.

    No attachment is associated by default and shared attachments are never accepted automatically,
    so a VPC reaches nothing until it is placed in a segment. Prod and nonprod route tables never hold
    a route to each other; both reach the data centers and the peer regions through the interconnect
    table's attachments (Direct Connect gateway, peerings), which propagate into both.
    """

    transit_gateway_id: pulumi.Output[str]
    transit_gateway_arn: pulumi.Output[str]
    prod_route_table_id: pulumi.Output[str]
    nonprod_route_table_id: pulumi.Output[str]
    interconnect_route_table_id: pulumi.Output[str]
    direct_connect_gateway_id: pulumi.Output[str | None]
    resource_share_arn: pulumi.Output[str | None]
    peering_attachment_ids: pulumi.Output[dict[str, str]]
    interconnect_cidrs: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NetworkHubArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:aws:NetworkHub", name, None, opts)
        tgw = self._transit_gateway_attaches_nothing_by_itself(name, args)
        tables = {
            segment: aws.ec2transitgateway.RouteTable(
                f"{name}-{segment}",
                transit_gateway_id=tgw.id,
                tags=named(args.tags, f"{name}-{segment}", segment=segment),
                opts=pulumi.ResourceOptions(parent=tgw),
            )
            for segment in (*SEGMENTS, "interconnect")
        }
        dx_gateway_id = self._direct_connect(name, args, tgw, tables)
        peering_ids = {peer.region: self._peering(name, args, tgw, tables, peer) for peer in args.peers}
        share_arn = self._organization_share(name, args, tgw)

        self.transit_gateway_id = tgw.id
        self.transit_gateway_arn = tgw.arn
        self.prod_route_table_id = tables["prod"].id
        self.nonprod_route_table_id = tables["nonprod"].id
        self.interconnect_route_table_id = tables["interconnect"].id
        self.direct_connect_gateway_id = dx_gateway_id
        self.resource_share_arn = share_arn
        self.peering_attachment_ids = pulumi.Output.from_input(peering_ids)
        self.interconnect_cidrs = pulumi.Output.from_input(list(args.onprem_supernets))
        self.register_outputs(
            {
                "transit_gateway_id": self.transit_gateway_id,
                "transit_gateway_arn": self.transit_gateway_arn,
                "prod_route_table_id": self.prod_route_table_id,
                "nonprod_route_table_id": self.nonprod_route_table_id,
                "interconnect_route_table_id": self.interconnect_route_table_id,
                "direct_connect_gateway_id": self.direct_connect_gateway_id,
                "resource_share_arn": self.resource_share_arn,
                "peering_attachment_ids": self.peering_attachment_ids,
                "interconnect_cidrs": self.interconnect_cidrs,
            }
        )

    def _transit_gateway_attaches_nothing_by_itself(self, name: str, args: NetworkHubArgs) -> aws.ec2transitgateway.TransitGateway:
        """No shared attachment accepted automatically, no default table: a VPC reaches nothing until placed in a segment."""
        return aws.ec2transitgateway.TransitGateway(
            f"{name}-tgw",
            description=f"Cloud Blueprints hub for {args.region}",
            amazon_side_asn=args.amazon_side_asn,
            auto_accept_shared_attachments="disable",
            default_route_table_association="disable",
            default_route_table_propagation="disable",
            dns_support="enable",
            # Team data services admit a shared cluster's pods by security group across the hub (inbound rules,
            # this region only); off by default on a Transit Gateway.
            security_group_referencing_support="enable",
            vpn_ecmp_support="enable",
            tags=named(args.tags, f"{name}-tgw"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _connect_interconnect(self, name: str, label: str, attachment_id: pulumi.Input[str], parent: pulumi.Resource,
                              tables: dict[str, aws.ec2transitgateway.RouteTable]) -> None:
        """Associate an interconnect attachment with the interconnect table."""
        aws.ec2transitgateway.RouteTableAssociation(
            f"{name}-{label}-association",
            transit_gateway_attachment_id=attachment_id,
            transit_gateway_route_table_id=tables["interconnect"].id,
            opts=pulumi.ResourceOptions(parent=parent),
        )

    def _direct_connect(self, name: str, args: NetworkHubArgs, tgw: aws.ec2transitgateway.TransitGateway,
                        tables: dict[str, aws.ec2transitgateway.RouteTable]) -> pulumi.Output[str | None]:
        """Direct Connect toward the data centers: only the advertised prefixes are announced."""
        dx_gateway_id: pulumi.Output[str | None] = pulumi.Output.from_input(args.direct_connect_gateway_id)
        if not (args.direct_connect_gateway_id or args.advertised_prefixes):
            return dx_gateway_id
        if not args.direct_connect_gateway_id:
            dx = aws.directconnect.Gateway(
                f"{name}-dxgw",
                name=f"{name}-dxgw",
                amazon_side_asn=str(args.direct_connect_asn or args.amazon_side_asn + 1),
                tags=named(args.tags, f"{name}-dxgw"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            dx_gateway_id = dx.id
        association = aws.directconnect.GatewayAssociation(
            f"{name}-dx-association",
            dx_gateway_id=dx_gateway_id,
            associated_gateway_id=tgw.id,
            allowed_prefixes=list(args.advertised_prefixes),
            opts=pulumi.ResourceOptions(parent=tgw),
        )
        self._connect_interconnect(name, "dx", association.transit_gateway_attachment_id, association, tables)
        # Routes learned from the data centers over BGP reach both segments.
        for segment in SEGMENTS:
            aws.ec2transitgateway.RouteTablePropagation(
                f"{name}-dx-to-{segment}",
                transit_gateway_attachment_id=association.transit_gateway_attachment_id,
                transit_gateway_route_table_id=tables[segment].id,
                opts=pulumi.ResourceOptions(parent=association),
            )
        return dx_gateway_id

    def _peering(self, name: str, args: NetworkHubArgs, tgw: aws.ec2transitgateway.TransitGateway,
                 tables: dict[str, aws.ec2transitgateway.RouteTable], peer: HubPeer) -> pulumi.Output[str]:
        """A peering with another region: static routes only (peerings do not propagate), each tier's from its own table."""
        label = f"peer-{peer.region}"
        in_tgw = pulumi.ResourceOptions(parent=tgw)
        if peer.attachment_id:
            peering = aws.ec2transitgateway.PeeringAttachmentAccepter(
                f"{name}-{label}",
                transit_gateway_attachment_id=peer.attachment_id,
                tags=named(args.tags, f"{name}-{label}"),
                opts=in_tgw,
            )
        else:
            peering = aws.ec2transitgateway.PeeringAttachment(
                f"{name}-{label}",
                transit_gateway_id=tgw.id,
                peer_region=peer.region,
                peer_transit_gateway_id=peer.transit_gateway_id,
                peer_account_id=peer.account_id,
                tags=named(args.tags, f"{name}-{label}"),
                opts=in_tgw,
            )
        self._connect_interconnect(name, label, peering.id, peering, tables)
        for segment, cidrs in (("prod", peer.prod_cidrs), ("nonprod", peer.nonprod_cidrs)):
            for i, cidr in enumerate(cidrs):
                aws.ec2transitgateway.Route(
                    f"{name}-{label}-{segment}-{i}",
                    destination_cidr_block=cidr,
                    transit_gateway_attachment_id=peering.id,
                    transit_gateway_route_table_id=tables[segment].id,
                    opts=pulumi.ResourceOptions(parent=peering),
                )
        return peering.id

    def _organization_share(self, name: str, args: NetworkHubArgs,
                            tgw: aws.ec2transitgateway.TransitGateway) -> pulumi.Output[str | None]:
        """A RAM share inside the organization only, so that team VPCs in its other accounts can attach."""
        if not args.share_principals:
            return pulumi.Output.from_input(None)
        share = aws.ram.ResourceShare(
            f"{name}-share",
            name=f"{name}-tgw",
            allow_external_principals=False,
            tags=named(args.tags, f"{name}-share"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ram.ResourceAssociation(
            f"{name}-share-tgw",
            resource_arn=tgw.arn,
            resource_share_arn=share.arn,
            opts=pulumi.ResourceOptions(parent=share),
        )
        for i, principal in enumerate(args.share_principals):
            aws.ram.PrincipalAssociation(
                f"{name}-share-principal-{i}",
                principal=principal,
                resource_share_arn=share.arn,
                opts=pulumi.ResourceOptions(parent=share),
            )
        return share.arn

    def route_table_id(self, prod: bool) -> pulumi.Output[str]:
        """The segment route table a team VPC of this tier associates with and propagates into.

        The VPC also propagates into the interconnect table (`interconnect_route_table_id`) so that the
        data centers and peer regions can answer it.
        """
        return self.prod_route_table_id if prod else self.nonprod_route_table_id


@dataclass(frozen=True)
class HubAttachmentArgs:
    """A team VPC's attachment as the hub's account sees it. Pass the hub account's provider in `opts`."""

    attachment_id: pulumi.Input[str]
    """The team's VPC attachment (NetworkFabric.transit_gateway_attachment_id)."""
    segment_route_table_id: str
    """The tier's route table: prod or nonprod, never both."""
    interconnect_route_table_id: str
    """The interconnect table, so that the data centers and peer regions can answer the VPC."""
    accept: bool
    """The attachment comes from another account: accept it first (the hub never accepts automatically)."""
    tags: Mapping[str, str]
    """Ownership tags of the team."""

    def __post_init__(self) -> None:
        require_ownership(self.tags, "HubAttachmentArgs")
        if self.segment_route_table_id == self.interconnect_route_table_id:
            raise ValueError("HubAttachmentArgs: the segment and interconnect route tables must differ")


class HubAttachment(pulumi.ComponentResource):
    """Accepts a team's VPC attachment, associates it with its tier's route table and propagates it into
    that table and the interconnect table only, so prod and nonprod VPCs never learn each other's routes."""

    association_id: pulumi.Output[str]

    def __init__(self, name: str, args: HubAttachmentArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:aws:HubAttachment", name, None, opts)
        ready: list[pulumi.Resource] = []
        if args.accept:
            ready.append(aws.ec2transitgateway.VpcAttachmentAccepter(
                f"{name}-accept",
                transit_gateway_attachment_id=args.attachment_id,
                transit_gateway_default_route_table_association=False,
                transit_gateway_default_route_table_propagation=False,
                tags=named(args.tags, f"{name}-accept"),
                opts=pulumi.ResourceOptions(parent=self),
            ))
        after = pulumi.ResourceOptions(parent=self, depends_on=ready)
        association = aws.ec2transitgateway.RouteTableAssociation(
            f"{name}-association",
            transit_gateway_attachment_id=args.attachment_id,
            transit_gateway_route_table_id=args.segment_route_table_id,
            opts=after,
        )
        for label, table in (("segment", args.segment_route_table_id), ("interconnect", args.interconnect_route_table_id)):
            aws.ec2transitgateway.RouteTablePropagation(
                f"{name}-to-{label}",
                transit_gateway_attachment_id=args.attachment_id,
                transit_gateway_route_table_id=table,
                opts=after,
            )
        self.association_id = association.id
        self.register_outputs({"association_id": self.association_id})
