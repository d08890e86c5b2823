"""NetworkFabric: a team's VPC with public, private and data tiers, flow logs, endpoints and a TGW attachment."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.aws._common import (
    LOG_RETENTION_DAYS,
    Account,
    kms_key,
    policy_json,
)
from components.aws.tagging import named
from components.ownership import require_ownership

TIERS = ("public", "private", "data")
MAX_AZS = 4
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "logs")


def subnet_plan(cidr: str, azs: int) -> dict[str, list[str]]:
    """Carve the allocation into per-AZ subnets, the same every time for the same input.

    The first half of the VPC holds the private tier (one eighth of the VPC per AZ, where the
    pods and nodes live); the second half gives a sixteenth per AZ to the data tier and to the
    public tier (load balancers and NAT only). Four AZ slots are kept per tier, so a later AZ
    never moves an existing subnet.
    """
    net = ipaddress.ip_network(cidr)
    if net.prefixlen > 24:
        raise ValueError(f"VPC CIDR {cidr} is smaller than /24: its data and public subnets would be under /28")
    if not 1 <= azs <= MAX_AZS:
        raise ValueError(f"{azs} AZs: between 1 and {MAX_AZS} are supported")
    first, second = net.subnets(prefixlen_diff=1)
    data_half, public_half = second.subnets(prefixlen_diff=1)
    private = list(first.subnets(prefixlen_diff=2))
    data = list(data_half.subnets(prefixlen_diff=2))
    public = list(public_half.subnets(prefixlen_diff=2))
    return {
        "public": [str(s) for s in public[:azs]],
        "private": [str(s) for s in private[:azs]],
        "data": [str(s) for s in data[:azs]],
    }


@dataclass(frozen=True)
class NetworkFabricArgs:
    """Inputs of a team's VPC."""

    cidr: str
    """The VPC CIDR allocated by IPAM (a /24 or larger)."""
    prod: bool
    """Prod: a NAT gateway per AZ, interface endpoints, a year of flow logs."""
    tags: Mapping[str, str]
    """Ownership tags (components.ownership.OWNERSHIP_KEYS), as ResolvedBlueprint.tags() builds them."""
    availability_zones: Sequence[str]
    """The AZs the plan chose from the sites map: one subnet of each tier in each."""
    interconnect_cidrs: Sequence[str] = ()
    """Data-center interconnect supernets routed through the Transit Gateway from the private and data tiers."""
    transit_gateway_id: str | None = None
    """The region hub's Transit Gateway; None: no attachment."""
    transit_gateway_route_table_id: str | None = None
    """The hub route table of this VPC's tier (prod or nonprod), to associate and propagate the attachment.
    Only when the hub lives in the same account; across accounts the hub owner associates it."""
    transit_gateway_interconnect_route_table_id: str | None = None
    """The hub's interconnect route table, which the attachment propagates into so that the data
    centers and peer regions can answer this VPC (same-account hubs only, as above)."""
    flow_log_retention_days: int | None = None
    """Flow-log retention; None: 365 days in prod, 90 in nonprod."""

    def __post_init__(self) -> None:
        require_ownership(self.tags, "NetworkFabricArgs")
        if len(set(self.availability_zones)) < 2:
            raise ValueError(f"NetworkFabricArgs: two AZs or more needed, got {list(self.availability_zones)}")
        subnet_plan(self.cidr, len(self.availability_zones))
        for c in self.interconnect_cidrs:
            ipaddress.ip_network(c)
        if self.interconnect_cidrs and not self.transit_gateway_id:
            raise ValueError("NetworkFabricArgs: interconnect_cidrs need a transit_gateway_id to route through")

    @property
    def retention_days(self) -> int:
        return self.flow_log_retention_days or LOG_RETENTION_DAYS[self.prod]


class NetworkFabric(pulumi.ComponentResource):
    """A three-tier VPC: public (IGW, NAT), private (nodes and pods, NAT egress) and data (no internet route).

    Flow logs of all traffic go to a KMS-encrypted log group; the default security group has no rules and
    the default network ACL denies remote administration ports from anywhere.
    """

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    availability_zones: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    data_subnet_ids: pulumi.Output[list[str]]
    private_route_table_ids: pulumi.Output[list[str]]
    data_route_table_ids: pulumi.Output[list[str]]
    nat_public_ips: pulumi.Output[list[str]]
    flow_log_group_name: pulumi.Output[str]
    transit_gateway_attachment_id: pulumi.Output[str | None]

    def __init__(self, name: str, args: NetworkFabricArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:aws:NetworkFabric", name, None, opts)
        tags = args.tags
        child = pulumi.ResourceOptions(parent=self)
        account = Account.of(self)

        azs = list(args.availability_zones)
        n_az = len(azs)
        plan = subnet_plan(args.cidr, n_az)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=named(tags, f"{name}-vpc"),
            opts=child,
        )
        in_vpc = pulumi.ResourceOptions(parent=vpc)

        # CIS 5.4 / EC2.2: the default security group must allow nothing.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=named(tags, f"{name}-default-sg", note="unused: no rules by design"),
            opts=in_vpc,
        )

        subnets: dict[str, list[aws.ec2.Subnet]] = {t: [] for t in TIERS}
        for tier in TIERS:
            for az, cidr in zip(azs, plan[tier]):
                suffix = az[-1]
                extra = {"tier": tier}
                if tier == "public":
                    extra["kubernetes.io/role/elb"] = "1"
                elif tier == "private":
                    extra["kubernetes.io/role/internal-elb"] = "1"
                subnets[tier].append(
                    aws.ec2.Subnet(
                        f"{name}-{tier}-{suffix}",
                        vpc_id=vpc.id,
                        cidr_block=cidr,
                        availability_zone=az,
                        map_public_ip_on_launch=False,
                        tags=named(tags, f"{name}-{tier}-{suffix}", **extra),
                        opts=in_vpc,
                    )
                )
        all_subnet_ids = [s.id for tier in TIERS for s in subnets[tier]]

        # CIS 5.1 / EC2.21: no NACL admits SSH or RDP from anywhere.
        aws.ec2.DefaultNetworkAcl(
            f"{name}-default-nacl",
            default_network_acl_id=vpc.default_network_acl_id,
            subnet_ids=all_subnet_ids,
            ingress=[
                aws.ec2.DefaultNetworkAclIngressArgs(
                    rule_no=10 + i, action="deny", protocol="tcp", from_port=port, to_port=port, cidr_block="0.0.0.0/0"
                )
                for i, port in enumerate((22, 3389))
            ]
            + [
                aws.ec2.DefaultNetworkAclIngressArgs(
                    rule_no=100, action="allow", protocol="-1", from_port=0, to_port=0, cidr_block="0.0.0.0/0"
                )
            ],
            egress=[
                aws.ec2.DefaultNetworkAclEgressArgs(
                    rule_no=100, action="allow", protocol="-1", from_port=0, to_port=0, cidr_block="0.0.0.0/0"
                )
            ],
            tags=named(tags, f"{name}-default-nacl"),
            opts=in_vpc,
        )

        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=named(tags, f"{name}-igw"), opts=in_vpc)

        # One NAT in nonprod (cost), one per AZ in prod (an AZ outage keeps the others' egress).
        nats: list[aws.ec2.NatGateway] = []
        nat_ips: list[pulumi.Output[str]] = []
        for i, public in enumerate(subnets["public"][: n_az if args.prod else 1]):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{i}", domain="vpc", tags=named(tags, f"{name}-nat-eip-{i}"), opts=in_vpc)
            nat_ips.append(eip.public_ip)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.allocation_id,
                    subnet_id=public.id,
                    connectivity_type="public",
                    tags=named(tags, f"{name}-nat-{i}"),
                    opts=pulumi.ResourceOptions(parent=vpc, depends_on=[igw]),
                )
            )

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags=named(tags, f"{name}-public-rt", tier="public"), opts=in_vpc
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=pulumi.ResourceOptions(parent=public_rt),
        )
        route_tables: dict[str, list[aws.ec2.RouteTable]] = {"public": [public_rt], "private": [], "data": []}
        for i, subnet in enumerate(subnets["public"]):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{i}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=pulumi.ResourceOptions(parent=public_rt)
            )

        for i, subnet in enumerate(subnets["private"]):
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}", vpc_id=vpc.id, tags=named(tags, f"{name}-private-rt-{i}", tier="private"), opts=in_vpc
            )
            route_tables["private"].append(rt)
            aws.ec2.Route(
                f"{name}-private-default-{i}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nats[i % len(nats)].id,
                opts=pulumi.ResourceOptions(parent=rt),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{i}", subnet_id=subnet.id, route_table_id=rt.id, opts=pulumi.ResourceOptions(parent=rt)
            )

        # The data tier has no route to the internet at all: only the VPC, S3 and the interconnect.
        data_rt = aws.ec2.RouteTable(
            f"{name}-data-rt", vpc_id=vpc.id, tags=named(tags, f"{name}-data-rt", tier="data"), opts=in_vpc
        )
        route_tables["data"].append(data_rt)
        for i, subnet in enumerate(subnets["data"]):
            aws.ec2.RouteTableAssociation(
                f"{name}-data-rta-{i}", subnet_id=subnet.id, route_table_id=data_rt.id, opts=pulumi.ResourceOptions(parent=data_rt)
            )

        # Flow logs: all traffic, KMS-encrypted, retained by tier (CIS 3.7 / EC2.6, CloudWatch.16).
        key = kms_key(
            f"{name}-flow-logs",
            description=f"Encrypts the VPC flow logs of {name}",
            account=account,
            prod=args.prod,
            tags=tags,
            parent=self,
            log_service=True,
        )
        flow_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/cloud-blueprints/vpc-flow-logs/{name}",
            kms_key_id=key.arn,
            retention_in_days=args.retention_days,
            tags=named(tags, f"{name}-flow-logs"),
            opts=child,
        )
        flow_role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=pulumi.Output.all(account.account_id).apply(
                lambda a: policy_json(
                    [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": a[0]}},
                        }
                    ]
                )
            ),
            tags=named(tags, f"{name}-flow-logs-role"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=flow_role.id,
            policy=flow_group.arn.apply(
                lambda arn: policy_json(
                    [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                            "Resource": [arn, f"{arn}:*"],
                        }
                    ]
                )
            ),
            opts=pulumi.ResourceOptions(parent=flow_role),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_group.arn,
            iam_role_arn=flow_role.arn,
            max_aggregation_interval=60,
            tags=named(tags, f"{name}-flow-log"),
            opts=in_vpc,
        )

        # S3 through a gateway endpoint (free, keeps image layers and backups off the NAT).
        inner_rts = route_tables["private"] + route_tables["data"]
        inner_labels = [f"private-rt-{i}" for i in range(len(route_tables["private"]))] + ["data-rt"]
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=pulumi.Output.concat("com.amazonaws.", account.region, ".s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in inner_rts],
            tags=named(tags, f"{name}-s3"),
            opts=in_vpc,
        )
        if args.prod:
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints-sg",
                description="HTTPS from the VPC to the interface endpoints",
                vpc_id=vpc.id,
                tags=named(tags, f"{name}-endpoints-sg"),
                opts=in_vpc,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-endpoints-https",
                security_group_id=endpoint_sg.id,
                cidr_ipv4=args.cidr,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="HTTPS from the VPC",
                tags=named(tags, f"{name}-endpoints-https"),
                opts=pulumi.ResourceOptions(parent=endpoint_sg),
            )
            for service in INTERFACE_ENDPOINTS:
                label = service.replace(".", "-")
                aws.ec2.VpcEndpoint(
                    f"{name}-{label}",
                    vpc_id=vpc.id,
                    service_name=pulumi.Output.concat("com.amazonaws.", account.region, f".{service}"),
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=[s.id for s in subnets["private"]],
                    security_group_ids=[endpoint_sg.id],
                    tags=named(tags, f"{name}-{label}"),
                    opts=in_vpc,
                )

        attachment_id: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if args.transit_gateway_id:
            attachment = aws.ec2transitgateway.VpcAttachment(
                f"{name}-tgw-attachment",
                transit_gateway_id=args.transit_gateway_id,
                vpc_id=vpc.id,
                subnet_ids=[s.id for s in subnets["private"]],
                dns_support="enable",
                tags=named(tags, f"{name}-tgw-attachment"),
                opts=in_vpc,
            )
            attachment_id = attachment.id
            if args.transit_gateway_route_table_id:
                aws.ec2transitgateway.RouteTableAssociation(
                    f"{name}-tgw-association",
                    transit_gateway_attachment_id=attachment.id,
                    transit_gateway_route_table_id=args.transit_gateway_route_table_id,
                    opts=pulumi.ResourceOptions(parent=attachment),
                )
            for label, table in (
                ("segment", args.transit_gateway_route_table_id),
                ("interconnect", args.transit_gateway_interconnect_route_table_id),
            ):
                if table:
                    aws.ec2transitgateway.RouteTablePropagation(
                        f"{name}-tgw-propagation-{label}",
                        transit_gateway_attachment_id=attachment.id,
                        transit_gateway_route_table_id=table,
                        opts=pulumi.ResourceOptions(parent=attachment),
                    )
            for label, rt in zip(inner_labels, inner_rts):
                for j, supernet in enumerate(args.interconnect_cidrs):
                    aws.ec2.Route(
                        f"{name}-{label}-interconnect-{j}",
                        route_table_id=rt.id,
                        destination_cidr_block=supernet,
                        transit_gateway_id=args.transit_gateway_id,
                        opts=pulumi.ResourceOptions(parent=rt, depends_on=[attachment]),
                    )

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.availability_zones = pulumi.Output.from_input(azs)
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["public"]])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["private"]])
        self.data_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["data"]])
        self.private_route_table_ids = pulumi.Output.all(*[rt.id for rt in route_tables["private"]])
        self.data_route_table_ids = pulumi.Output.all(*[rt.id for rt in route_tables["data"]])
        self.nat_public_ips = pulumi.Output.all(*nat_ips)
        self.flow_log_group_name = flow_group.name
        self.transit_gateway_attachment_id = attachment_id
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "availability_zones": self.availability_zones,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "data_subnet_ids": self.data_subnet_ids,
                "private_route_table_ids": self.private_route_table_ids,
                "data_route_table_ids": self.data_route_table_ids,
                "nat_public_ips": self.nat_public_ips,
                "flow_log_group_name": self.flow_log_group_name,
                "transit_gateway_attachment_id": self.transit_gateway_attachment_id,
            }
        )

