"""Pieces every AWS component shares: validation, account facts, KMS keys, log groups, IAM JSON."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.aws.tagging import named
from components.ownership import require_ownership

Statement = dict[str, Any]

OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})

LOG_RETENTION_DAYS = {True: 365, False: 90}
"""CloudWatch log retention by tier (prod: one year, as CIS/FSBP CloudWatch.16 expect)."""

def require_private_cidrs(cidrs: Iterable[str], what: str) -> None:
    """Reject malformed CIDRs, and open-to-the-world ones alone or together (0.0.0.0/1 and 128.0.0.0/1 admit every
    address, as 0.0.0.0/0 does)."""
    by_version: dict[int, list] = {}
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr, strict=False)
        if cidr in OPEN_CIDRS or net.prefixlen == 0:
            raise ValueError(f"{what}: {cidr} would open the resource to the whole internet")
        by_version.setdefault(net.version, []).append(net)
    for nets in by_version.values():
        if any(n.prefixlen == 0 for n in ipaddress.collapse_addresses(nets)):
            raise ValueError(f"{what}: {', '.join(map(str, nets))} together open the resource to the whole internet")


def policy_json(statements: Sequence[Statement]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(service: str) -> str:
    """Trust policy for an AWS service principal."""
    return policy_json([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])


@dataclass(frozen=True)
class Account:
    """The caller's account id, partition and region, as outputs."""

    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    region: pulumi.Output[str]

    @classmethod
    def of(cls, parent: pulumi.Resource) -> "Account":
        opts = pulumi.InvokeOutputOptions(parent=parent)
        return cls(
            account_id=aws.get_caller_identity_output(opts=opts).account_id,
            partition=aws.get_partition_output(opts=opts).partition,
            region=aws.get_region_output(opts=opts).region,
        )

    def managed_policy(self, policy_name: str) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::aws:policy/", policy_name)


def kms_key(
    name: str,
    *,
    description: str,
    account: Account,
    prod: bool,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    log_service: bool = False,
    extra_statements: Sequence[pulumi.Input[Statement]] = (),
) -> aws.kms.Key:
    """A customer-managed key with yearly rotation, an alias, and a policy that keeps IAM in charge.

    `log_service` lets CloudWatch Logs of this account and region use the key (needed for encrypted
    log groups); `extra_statements` grant further principals such as a service-linked role.
    """

    key = aws.kms.Key(
        f"{name}-key",
        description=description,
        enable_key_rotation=True,
        rotation_period_in_days=365,
        deletion_window_in_days=30 if prod else 7,
        policy=pulumi.Output.all(account.account_id, account.partition, account.region, *extra_statements).apply(
            lambda a: key_policy(*a[:3], log_service=log_service, extra=a[3:])
        ),
        tags=named(tags, f"{name}-key"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.kms.Alias(
        f"{name}-key-alias",
        name=f"alias/{name}",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=key),
    )
    return key



def key_policy(account_id: str, partition: str, region: str, log_service: bool, extra: Sequence[Statement]) -> str:
    """IAM of the account administers the key; with `log_service`, this account's CloudWatch Logs may use it."""
    statements: list[Statement] = [
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if log_service:
        statements.append(
            {
                "Sid": "CloudWatchLogsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:*"}
                },
            }
        )
    statements.extend(extra)
    return policy_json(statements)

def log_group(
    name: str,
    *,
    log_group_name: pulumi.Input[str],
    key: aws.kms.Key,
    prod: bool,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    zone_retention_days: int = 0,
) -> aws.cloudwatch.LogGroup:
    """A KMS-encrypted log group kept the tier's retention, or the compliance zone's when that is longer."""
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        kms_key_id=key.arn,
        retention_in_days=max(LOG_RETENTION_DAYS[prod], zone_retention_days),
        tags=named(tags, name),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def security_group(
    name: str,
    *,
    description: str,
    vpc_id: pulumi.Input[str],
    port: int,
    allowed_security_group_ids: Sequence[pulumi.Input[str]],
    allowed_cidrs: Sequence[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """A security group that admits only the given groups and CIDRs on one TCP port, with no egress.

    Rules are separate resources (one per source) so that adding a source never replaces the group.
    """
    sg = aws.ec2.SecurityGroup(
        f"{name}-sg",
        description=description,
        vpc_id=vpc_id,
        tags=named(tags, f"{name}-sg"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for i, source in enumerate(allowed_security_group_ids):
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-sg-{i}",
            security_group_id=sg.id,
            referenced_security_group_id=source,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"clients on {port}",
            tags=named(tags, f"{name}-from-sg-{i}"),
            opts=pulumi.ResourceOptions(parent=sg),
        )
    for i, cidr in enumerate(allowed_cidrs):
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-cidr-{i}",
            security_group_id=sg.id,
            cidr_ipv4=cidr,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"clients in {cidr} on {port}",
            tags=named(tags, f"{name}-from-cidr-{i}"),
            opts=pulumi.ResourceOptions(parent=sg),
        )
    return sg


@dataclass(frozen=True)
class DataTierAccess:
    """Where a managed data service sits and who may reach it: the team VPC's data tier and the cluster's clients."""

    vpc_id: pulumi.Input[str]
    """The team VPC."""
    subnet_ids: Sequence[pulumi.Input[str]] | pulumi.Input[Sequence[str]]
    """Data-tier subnets (MSK: one per AZ, as a list)."""
    prod: bool
    """Prod tier: deletion protection, longer key and secret windows, `protect`."""
    tags: Mapping[str, str]
    """Ownership tags (components.ownership.OWNERSHIP_KEYS)."""
    allowed_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """The cluster's or application's security groups, admitted on the service port."""
    allowed_cidrs: Sequence[str] = ()
    """Private networks admitted on the service port (a shared cluster's nodes and pods)."""
    zone_retention_days: int = 0
    """The compliance zone's least log retention, days (the plan's zone); the tier's applies when longer. Default: 0."""

    def __post_init__(self) -> None:
        require_ownership(self.tags, "DataTierAccess")
        require_private_cidrs(self.allowed_cidrs, "DataTierAccess.allowed_cidrs")


def clients_only(name: str, access: DataTierAccess, port: int, description: str, parent: pulumi.Resource) -> aws.ec2.SecurityGroup:
    """The security group of a data service: its allowed clients on its port, nothing else in or out."""
    return security_group(
        name,
        description=description,
        vpc_id=access.vpc_id,
        port=port,
        allowed_security_group_ids=access.allowed_security_group_ids,
        allowed_cidrs=access.allowed_cidrs,
        tags=access.tags,
        parent=parent,
    )
