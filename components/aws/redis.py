"""RedisCache: an ElastiCache (Redis OSS) replication group, encrypted and authenticated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.aws._common import Account, kms_key, log_group, require_private_cidrs, security_group
from components.aws.tagging import named
from components.ownership import require_ownership

PORT = 6379
TOKEN_SPECIALS = "!&#$^<>-"
"""The punctuation ElastiCache accepts in an AUTH token (no @, /, quote or space)."""


@dataclass(frozen=True)
class RedisCacheArgs:
    """Inputs of a Redis cache."""

    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]] | pulumi.Input[Sequence[str]]
    """Data-tier subnets."""
    prod: bool
    """Prod: a 30-day window before the AUTH token secret is deleted, changes in the maintenance window."""
    tags: Mapping[str, str]
    node_type: str
    """ElastiCache node type (the plan's, from the catalog size)."""
    engine_version: str
    """Redis OSS engine version."""
    replicas: int
    """Nodes: a primary and replicas in other AZs with automatic failover when more than one."""
    snapshot_retention_days: int
    """Days daily snapshots are kept; 0: no snapshots."""
    allowed_security_group_ids: Sequence[pulumi.Input[str]] = ()
    allowed_cidrs: Sequence[str] = ()

    def __post_init__(self) -> None:
        require_ownership(self.tags, "RedisCacheArgs")
        require_private_cidrs(self.allowed_cidrs, "RedisCacheArgs.allowed_cidrs")
        if not 1 <= self.replicas <= 6:
            raise ValueError(f"RedisCacheArgs: replicas {self.replicas} is outside 1..6")


class RedisCache(pulumi.ComponentResource):
    """Redis with TLS required, encryption at rest (KMS) and an AUTH token kept in Secrets Manager."""

    primary_endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    auth_token_secret_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    replication_group_arn: pulumi.Output[str]

    def __init__(self, name: str, args: RedisCacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:aws:RedisCache", name, None, opts)
        tags = args.tags
        child = pulumi.ResourceOptions(parent=self)
        account = Account.of(self)

        key = kms_key(
            f"{name}-cache",
            description=f"Encrypts the data, snapshots, logs and AUTH token of {name}",
            account=account,
            prod=args.prod,
            tags=tags,
            parent=self,
            log_service=True,
        )
        token = random.RandomPassword(
            f"{name}-auth-token",
            length=64,
            special=True,
            override_special=TOKEN_SPECIALS,
            min_lower=4,
            min_upper=4,
            min_numeric=4,
            opts=child,
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-auth-token",
            description=f"AUTH token of Redis {name}",
            kms_key_id=key.arn,
            recovery_window_in_days=30 if args.prod else 7,
            tags=named(tags, f"{name}-auth-token"),
            opts=child,
        )
        version = aws.secretsmanager.SecretVersion(
            f"{name}-auth-token",
            secret_id=secret.id,
            secret_string=token.result,
            opts=pulumi.ResourceOptions(parent=secret),
        )
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=args.subnet_ids,
            description=f"Data-tier subnets of {name}",
            tags=named(tags, f"{name}-subnets"),
            opts=child,
        )
        sg = security_group(
            name,
            description=f"Redis clients of {name}",
            vpc_id=args.vpc_id,
            port=PORT,
            allowed_security_group_ids=args.allowed_security_group_ids,
            allowed_cidrs=args.allowed_cidrs,
            tags=tags,
            parent=self,
        )
        slow_log = log_group(
            f"{name}-slow-log",
            log_group_name=f"/cloud-blueprints/elasticache/{name}/slow-log",
            key=key,
            prod=args.prod,
            tags=tags,
            parent=self,
        )
        replicated = args.replicas > 1
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            replication_group_id=name.lower()[:40],
            description=f"Redis of {name}",
            engine="redis",
            engine_version=args.engine_version,
            node_type=args.node_type,
            num_cache_clusters=args.replicas,
            port=PORT,
            subnet_group_name=subnets.name,
            security_group_ids=[sg.id],
            at_rest_encryption_enabled=True,
            kms_key_id=key.arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=version.secret_string,
            auth_token_update_strategy="ROTATE",
            automatic_failover_enabled=replicated,
            multi_az_enabled=replicated,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window="03:00-04:00",
            maintenance_window="sun:05:00-sun:06:00",
            auto_minor_version_upgrade=True,
            apply_immediately=not args.prod,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=slow_log.name,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type="slow-log",
                )
            ],
            tags=named(tags, f"{name}-redis"),
            opts=child,
        )

        self.primary_endpoint = group.primary_endpoint_address
        self.reader_endpoint = group.reader_endpoint_address
        self.port = group.port
        self.auth_token_secret_arn = secret.arn
        self.security_group_id = sg.id
        self.replication_group_arn = group.arn
        self.register_outputs(
            {
                "primary_endpoint": self.primary_endpoint,
                "reader_endpoint": self.reader_endpoint,
                "port": self.port,
                "auth_token_secret_arn": self.auth_token_secret_arn,
                "security_group_id": self.security_group_id,
                "replication_group_arn": self.replication_group_arn,
            }
        )
