"""AWS networking: no admin or database port open to the internet, every VPC with flow logs and a locked default
security group, and providers only in allowed regions."""

from __future__ import annotations

import ipaddress
from functools import cache

from blueprints.sites import load_sites
from policy_packs.spec import CRITICAL, HIGH, MEDIUM, Rule, of_type, resource_rule, stack_rule

RULES: list[Rule] = []

OPEN = ("0.0.0.0/0", "::/0")
SENSITIVE_PORTS = [22, 3389, 5432, 3306, 1433, 1521, 6379, 9092, 9094, 9096, 9098, 27017, 5439, 2379, 6443, 10250]
"""SSH, RDP, databases, caches, Kafka, etcd and Kubernetes APIs."""

VPC = "aws:ec2/vpc:Vpc"


def _ingress_entries(args) -> list[tuple[str, int, int, list[str]]]:
    """(protocol, from, to, cidrs) of every ingress a resource opens, whatever resource type declares it."""
    p = args.props
    if args.resource_type == "aws:ec2/securityGroup:SecurityGroup":
        return [(r.get("protocol", "tcp"), r.get("fromPort", 0), r.get("toPort", 65535),
                 [*(r.get("cidrBlocks") or []), *(r.get("ipv6CidrBlocks") or [])]) for r in p.get("ingress") or []]
    if args.resource_type == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if p.get("type") != "ingress":
            return []
        return [(p.get("protocol", "tcp"), p.get("fromPort", 0), p.get("toPort", 65535),
                 [*(p.get("cidrBlocks") or []), *(p.get("ipv6CidrBlocks") or [])])]
    cidrs = [c for c in (p.get("cidrIpv4"), p.get("cidrIpv6")) if c]
    return [(p.get("ipProtocol", "tcp"), p.get("fromPort", 0), p.get("toPort", 65535), cidrs)]


# Every resource type that can carry a security group's ingress (`_ingress_entries` reads each).
INGRESS_TYPES = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/securityGroupRule:SecurityGroupRule",
                 "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")


@resource_rule(
    RULES, "aws-ec2-securitygroup-open-admin-ports",
    "Forbid security group ingress from 0.0.0.0/0 or ::/0 to administration or database ports.",
    CRITICAL,
    remediation="Admit only the client security groups or private CIDRs (components take allowed_security_group_ids); "
                "reach hosts through SSM Session Manager, never an open SSH or RDP port.",
    themes=("network-segmentation", "public-access"),
    types=INGRESS_TYPES,
    config={"ports": {"type": "array", "items": {"type": "integer"}, "default": SENSITIVE_PORTS,
                      "description": "Ports that must never be open to the internet."}},
)
def open_admin_ports(args, report, config) -> None:
    entries = [(cidrs, _exposed(protocol, low, high, config["ports"])) for protocol, low, high, cidrs in _ingress_entries(args)]
    for cidrs, exposed in entries:
        world = [c for c in cidrs if c in OPEN]
        if world and exposed:
            report(f"{', '.join(world)} may reach port(s) {', '.join(map(str, exposed))}")
    # Ranges that only together admit every address (0.0.0.0/1 and 128.0.0.0/1), in one rule or across rules.
    for port in config["ports"]:
        reaching = sorted({c for cidrs, exposed in entries if int(port) in exposed for c in cidrs if c not in OPEN})
        if whole_internet(reaching):
            report(f"{', '.join(reaching)} together may reach port {int(port)}")


def _exposed(protocol, low: int, high: int, ports: list) -> list[int]:
    """The sensitive ports an ingress entry opens."""
    all_ports = str(protocol) in ("-1", "all")
    return [int(port) for port in ports if all_ports or low <= port <= high]


def _networks(cidrs: list[str]) -> list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    """(as written, network) for each CIDR that parses: a malformed one admits nothing (the provider refuses it)."""
    nets = []
    for cidr in cidrs:
        try:
            nets.append((cidr, ipaddress.ip_network(cidr, strict=False)))
        except ValueError:
            continue
    return nets


def whole_internet(cidrs: list[str]) -> bool:
    """Whether the CIDRs taken together admit every address (a malformed one admits nothing)."""
    nets = [net for _, net in _networks(cidrs)]
    return any(n.prefixlen == 0 for version in (4, 6)
               for n in ipaddress.collapse_addresses(n for n in nets if n.version == version))


@stack_rule(
    RULES, "aws-ec2-vpc-flow-logs",
    "Capture flow logs of all traffic for every VPC.",
    MEDIUM,
    remediation="Add an aws.ec2.FlowLog with traffic_type='ALL' for the VPC to an encrypted log group (NetworkFabric does).",
    themes=("audit-logging",),
)
def vpc_flow_logs(args, report, config) -> None:
    logs = of_type(args.resources, "aws:ec2/flowLog:FlowLog")
    for vpc in of_type(args.resources, VPC):
        mine = [f for f in logs if vpc in f.property_dependencies.get("vpcId", ())]
        if not mine:
            report(f"VPC {vpc.name} has no flow log", vpc.urn)
        elif not any(f.props.get("trafficType") == "ALL" for f in mine):
            report(f"VPC {vpc.name} logs only part of its traffic", vpc.urn)


@stack_rule(
    RULES, "aws-ec2-vpc-default-security-group-locked",
    "Strip every rule from each VPC's default security group, so nothing lands in an open group by accident.",
    HIGH,
    remediation="Manage the VPC's aws.ec2.DefaultSecurityGroup with no ingress and no egress rules.",
    themes=("network-segmentation", "least-functionality"),
)
def default_sg_locked(args, report, config) -> None:
    groups = of_type(args.resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    for vpc in of_type(args.resources, VPC):
        mine = [g for g in groups if vpc in g.property_dependencies.get("vpcId", ())]
        if not mine:
            report(f"VPC {vpc.name}: the default security group is not managed, so it keeps AWS's allow-all rules", vpc.urn)
        for g in mine:
            if g.props.get("ingress") or g.props.get("egress"):
                report(f"VPC {vpc.name}: the default security group has rules", g.urn)


@cache
def _sites():
    """The shipped sites map, read once for the defaults below."""
    return load_sites()


def _shared_cluster_networks() -> list[str]:
    return sorted({str(pool.shared_cluster.cidr) for _, _, pool in _sites().pools()
                   if pool.shared_cluster and pool.shared_cluster.cidr})


@resource_rule(
    RULES, "aws-ec2-securitygroup-no-shared-cluster-network",
    "Forbid security group ingress from a shared cluster's network, which every team's pods share.",
    CRITICAL,
    remediation="Admit the team's pod security group instead (security groups for pods: the sites map's "
                "shared_cluster.vpc_id and the namespace's SecurityGroupPolicy), referenced across the hub.",
    themes=("network-segmentation", "namespace-isolation"),
    types=INGRESS_TYPES,
    config={"sharedNetworks": {"type": "array", "items": {"type": "string"}, "default": _shared_cluster_networks(),
                               "description": "Shared clusters' node and pod networks (default: the sites map's)."}},
)
def no_shared_cluster_network(args, report, config) -> None:
    shared = [ipaddress.ip_network(n) for n in config["sharedNetworks"]]
    for _, _, _, cidrs in _ingress_entries(args):
        for cidr, block in _networks(cidrs):
            # The whole internet (/0) is aws-ec2-securitygroup-open-admin-ports' concern; ranges of another IP version
            # never overlap.
            hit = [str(n) for n in shared if block.overlaps(n) and block.prefixlen > 0]
            if hit:
                report(f"{cidr} admits the shared cluster network {', '.join(hit)}: any team's pod")


def _site_regions() -> list[str]:
    return sorted({dc.aws.region for _, dc in _sites().data_centers() if getattr(dc, "aws", None)})


@resource_rule(
    RULES, "aws-providers-provider-allowed-region",
    "Deploy AWS resources only in the regions the platform operates.",
    HIGH,
    remediation="Place the stack in a data center of the sites map; add a region there (and here) before using it.",
    themes=("data-residency",), types=("pulumi:providers:aws",),
    config={"allowedRegions": {"type": "array", "items": {"type": "string"}, "default": _site_regions(),
                               "description": "AWS regions resources may be created in (default: the sites map's)."}},
)
def allowed_region(args, report, config) -> None:
    region = args.props.get("region")
    if not region:
        report("the provider names no region; it would follow the caller's environment")
    elif region not in config["allowedRegions"]:
        report(f"region {region} is not allowed")
