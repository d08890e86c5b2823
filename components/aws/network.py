"""NetworkFabric: a team's VPC with public, private and data tiers, flow logs, endpoints and a TGW attachment."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from blueprints.plan.aws import TIERS
from components.aws._common import (
    LOG_RETENTION_DAYS,
    Account,
    kms_key,
    policy_json,
)
from components.aws.tagging import named
from components.ownership import require_ownership

INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "logs")
REMOTE_ADMIN_PORTS = (22, 3389)
"""SSH and RDP: refused from anywhere by the default network ACL."""


@dataclass(frozen=True)
class NetworkFabricArgs:
    """Inputs of a team's VPC."""

    cidr: str
    """The VPC CIDR allocated by IPAM (a /24 or larger)."""
    prod: bool
    """Prod: interface endpoints, a year of flow logs."""
    tags: Mapping[str, str]
    """Ownership tags (components.ownership.OWNERSHIP_KEYS), as ResolvedBlueprint.tags() builds them."""
    availability_zones: Sequence[str]
    """The AZs the plan chose from the sites map: one subnet of each tier in each."""
    subnets: Mapping[str, Sequence[str]]
    """Tier (public, private, data) -> one CIDR per AZ, in the AZs' order: the plan's `subnet_plan`."""
    nat_gateways: int
    """NAT gateways, in the first AZs' public subnets (the plan's count)."""
    interconnect_cidrs: Sequence[str] = ()
    """Data-center interconnect supernets routed through the Transit Gateway from the private and data tiers."""
    transit_gateway_id: str | None = None
    """The region hub's Transit Gateway; None: no attachment."""
    cluster_cidrs: Sequence[str] = ()
    """A shared cluster's network in another VPC on the hub, routed from the data tier so that the data services
    answer its pods. Default: none."""
    transit_gateway_route_table_id: str | None = None
    """The hub route table of this VPC's tier (prod or nonprod), to associate and propagate the attachment.
    Only when the hub lives in the same account; across accounts the hub owner associates it."""
    transit_gateway_interconnect_route_table_id: str | None = None
    """The hub's interconnect route table, which the attachment propagates into so that the data
    centers and peer regions can answer this VPC (same-account hubs only, as above)."""
    flow_log_retention_days: int | None = None
    """Flow-log retention; None: 365 days in prod, 90 in nonprod, or the zone's when longer."""
    zone_retention_days: int = 0
    """The compliance zone's least log retention, days (the plan's zone). Default: 0."""

    def __post_init__(self) -> None:
        require_ownership(self.tags, "NetworkFabricArgs")
        if not 1 <= self.nat_gateways <= len(self.availability_zones):
            raise ValueError(f"NetworkFabricArgs: nat_gateways {self.nat_gateways} is not 1 to the {len(self.availability_zones)} AZs")
        if len(set(self.availability_zones)) < 2:
            raise ValueError(f"NetworkFabricArgs: two AZs or more needed, got {list(self.availability_zones)}")
        vpc = ipaddress.ip_network(self.cidr)
        for tier in TIERS:
            cidrs = list(self.subnets.get(tier, ()))
            if len(cidrs) != len(self.availability_zones):
                raise ValueError(f"NetworkFabricArgs: subnets.{tier} holds {len(cidrs)} CIDRs for {len(self.availability_zones)} AZs")
            if not all(ipaddress.ip_network(c).subnet_of(vpc) for c in cidrs):
                raise ValueError(f"NetworkFabricArgs: subnets.{tier} {cidrs} are not all inside {self.cidr}")
        for c in self.interconnect_cidrs:
            ipaddress.ip_network(c)
        for c in self.cluster_cidrs:
            ipaddress.ip_network(c)
        for field in ("interconnect_cidrs", "cluster_cidrs"):
            if getattr(self, field) and not self.transit_gateway_id:
                raise ValueError(f"NetworkFabricArgs: {field} need a transit_gateway_id to route through")

    @property
    def retention_days(self) -> int:
        return self.flow_log_retention_days or max(LOG_RETENTION_DAYS[self.prod], self.zone_retention_days)


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
        account = Account.of(self)
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=named(args.tags, f"{name}-vpc"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._default_security_group_allows_nothing(name, args, vpc)
        subnets = self._subnets(name, args, vpc)
        self._default_nacl_denies_remote_admin(name, args, vpc, [s.id for tier in TIERS for s in subnets[tier]])
        igw, nats, nat_ips = self._egress(name, args, vpc, subnets["public"])
        route_tables = self._route_tables(name, args, vpc, subnets, igw, nats)
        flow_group = self._flow_logs(name, args, vpc, account)
        inner = route_tables["private"] + route_tables["data"]
        self._endpoints(name, args, vpc, account, inner, subnets["private"])
        attachment_id = self._transit(name, args, vpc, inner, subnets["private"])

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.availability_zones = pulumi.Output.from_input(list(args.availability_zones))
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

    def _default_security_group_allows_nothing(self, name: str, args: NetworkFabricArgs, vpc: aws.ec2.Vpc) -> None:
        """CIS 5.4 / EC2.2: the default security group must allow nothing."""
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=named(args.tags, f"{name}-default-sg", note="unused: no rules by design"),
            opts=pulumi.ResourceOptions(parent=vpc),
        )

    def _subnets(self, name: str, args: NetworkFabricArgs, vpc: aws.ec2.Vpc) -> dict[str, list[aws.ec2.Subnet]]:
        """One subnet per tier and AZ at the plan's CIDRs; none gives its instances a public address."""
        subnets: dict[str, list[aws.ec2.Subnet]] = {t: [] for t in TIERS}
        for tier in TIERS:
            for az, cidr in zip(args.availability_zones, args.subnets[tier]):
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
                        tags=named(args.tags, f"{name}-{tier}-{suffix}", **extra),
                        opts=pulumi.ResourceOptions(parent=vpc),
                    )
                )
        return subnets

    def _default_nacl_denies_remote_admin(self, name: str, args: NetworkFabricArgs, vpc: aws.ec2.Vpc,
                                          subnet_ids: list[pulumi.Output[str]]) -> None:
        """CIS 5.1 / EC2.21: no NACL admits SSH or RDP from anywhere."""
        everything = dict(protocol="-1", from_port=0, to_port=0, cidr_block="0.0.0.0/0")
        aws.ec2.DefaultNetworkAcl(
            f"{name}-default-nacl",
            default_network_acl_id=vpc.default_network_acl_id,
            subnet_ids=subnet_ids,
            ingress=[
                aws.ec2.DefaultNetworkAclIngressArgs(
                    rule_no=10 + i, action="deny", protocol="tcp", from_port=port, to_port=port, cidr_block="0.0.0.0/0"
                )
                for i, port in enumerate(REMOTE_ADMIN_PORTS)
            ]
            + [aws.ec2.DefaultNetworkAclIngressArgs(rule_no=100, action="allow", **everything)],
            egress=[aws.ec2.DefaultNetworkAclEgressArgs(rule_no=100, action="allow", **everything)],
            tags=named(args.tags, f"{name}-default-nacl"),
            opts=pulumi.ResourceOptions(parent=vpc),
        )

    def _egress(self, name: str, args: NetworkFabricArgs, vpc: aws.ec2.Vpc,
                public: list[aws.ec2.Subnet]) -> tuple[aws.ec2.InternetGateway, list[aws.ec2.NatGateway], list[pulumi.Output[str]]]:
        """The internet gateway and the NAT gateways behind it, with their public IPs."""
        tags = args.tags
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=named(tags, f"{name}-igw"),
                                      opts=pulumi.ResourceOptions(parent=vpc))
        nats: list[aws.ec2.NatGateway] = []
        nat_ips: list[pulumi.Output[str]] = []
        for i, subnet in enumerate(public[: args.nat_gateways]):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{i}", domain="vpc", tags=named(tags, f"{name}-nat-eip-{i}"),
                              opts=pulumi.ResourceOptions(parent=vpc))
            nat_ips.append(eip.public_ip)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.allocation_id,
                    subnet_id=subnet.id,
                    connectivity_type="public",
                    tags=named(tags, f"{name}-nat-{i}"),
                    opts=pulumi.ResourceOptions(parent=vpc, depends_on=[igw]),
                )
            )
        return igw, nats, nat_ips

    def _route_tables(self, name: str, args: NetworkFabricArgs, vpc: aws.ec2.Vpc, subnets: dict[str, list[aws.ec2.Subnet]],
                      igw: aws.ec2.InternetGateway, nats: list[aws.ec2.NatGateway]) -> dict[str, list[aws.ec2.RouteTable]]:
        """Public through the internet gateway, private through a NAT, data with no internet route at all."""
        tags = args.tags
        in_vpc = pulumi.ResourceOptions(parent=vpc)
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
        return route_tables

    def _flow_logs(self, name: str, args: NetworkFabricArgs, vpc: aws.ec2.Vpc, account: Account) -> aws.cloudwatch.LogGroup:
        """Flow logs: all traffic, KMS-encrypted, retained by tier (CIS 3.7 / EC2.6, CloudWatch.16)."""
        tags = args.tags
        child = pulumi.ResourceOptions(parent=self)
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
        flow_role = self._flow_log_role(name, args, account, flow_group)
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_group.arn,
            iam_role_arn=flow_role.arn,
            max_aggregation_interval=60,
            tags=named(tags, f"{name}-flow-log"),
            opts=pulumi.ResourceOptions(parent=vpc),
        )
        return flow_group

    def _flow_log_role(self, name: str, args: NetworkFabricArgs, account: Account,
                       flow_group: aws.cloudwatch.LogGroup) -> aws.iam.Role:
        """The role the flow-log service assumes, for this account only, writing to this one log group."""
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
            tags=named(args.tags, f"{name}-flow-logs-role"),
            opts=pulumi.ResourceOptions(parent=self),
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
        return flow_role

    def _endpoints(self, name: str, args: NetworkFabricArgs, vpc: aws.ec2.Vpc, account: Account,
                   inner_rts: list[aws.ec2.RouteTable], private: list[aws.ec2.Subnet]) -> None:
        """S3 through a gateway endpoint (free, keeps image layers and backups off the NAT); in prod, interface
        endpoints for ECR, STS and CloudWatch Logs, reachable on HTTPS from the VPC only."""
        tags = args.tags
        in_vpc = pulumi.ResourceOptions(parent=vpc)
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=pulumi.Output.concat("com.amazonaws.", account.region, ".s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in inner_rts],
            tags=named(tags, f"{name}-s3"),
            opts=in_vpc,
        )
        if not args.prod:
            return
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
                subnet_ids=[s.id for s in private],
                security_group_ids=[endpoint_sg.id],
                tags=named(tags, f"{name}-{label}"),
                opts=in_vpc,
            )

    def _transit(self, name: str, args: NetworkFabricArgs, vpc: aws.ec2.Vpc, inner_rts: list[aws.ec2.RouteTable],
                 private: list[aws.ec2.Subnet]) -> pulumi.Output[str | None]:
        """The attachment to the region's hub, and routes to the interconnect from the private and data tiers."""
        if not args.transit_gateway_id:
            return pulumi.Output.from_input(None)
        attachment = aws.ec2transitgateway.VpcAttachment(
            f"{name}-tgw-attachment",
            transit_gateway_id=args.transit_gateway_id,
            vpc_id=vpc.id,
            subnet_ids=[s.id for s in private],
            dns_support="enable",
            # The data services' security groups admit a shared cluster's pods by their security group, a
            # reference the hub carries only where the hub and both attachments enable it.
            security_group_referencing_support="enable",
            tags=named(args.tags, f"{name}-tgw-attachment"),
            opts=pulumi.ResourceOptions(parent=vpc),
        )
        self._hub_tables(name, args, attachment)
        inner_labels = [f"private-rt-{i}" for i in range(len(inner_rts) - 1)] + ["data-rt"]
        for label, rt in zip(inner_labels, inner_rts):
            for j, supernet in enumerate(args.interconnect_cidrs):
                aws.ec2.Route(
                    f"{name}-{label}-interconnect-{j}",
                    route_table_id=rt.id,
                    destination_cidr_block=supernet,
                    transit_gateway_id=args.transit_gateway_id,
                    opts=pulumi.ResourceOptions(parent=rt, depends_on=[attachment]),
                )
        for j, cidr in enumerate(args.cluster_cidrs):
            aws.ec2.Route(
                f"{name}-data-rt-cluster-{j}",
                route_table_id=inner_rts[-1].id,
                destination_cidr_block=cidr,
                transit_gateway_id=args.transit_gateway_id,
                opts=pulumi.ResourceOptions(parent=inner_rts[-1], depends_on=[attachment]),
            )
        return attachment.id

    def _hub_tables(self, name: str, args: NetworkFabricArgs, attachment: aws.ec2transitgateway.VpcAttachment) -> None:
        """A same-account hub: associate with the tier's table, propagate into it and into the interconnect's."""
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
