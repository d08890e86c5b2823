"""RedisCache: an ElastiCache (Redis OSS) replication group, encrypted and authenticated."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from blueprints.plan import ElastiCacheRedis
from components.aws._common import Account, DataTierAccess, clients_only, kms_key, log_group
from components.aws.tagging import named

PORT = ElastiCacheRedis.client_port
TOKEN_SPECIALS = "!&#$^<>-"
"""The punctuation ElastiCache accepts in an AUTH token (no @, /, quote or space)."""


@dataclass(frozen=True)
class RedisCacheArgs:
    """Inputs of a Redis cache: the plan's ElastiCache values and the data tier it sits in."""

    plan: ElastiCacheRedis
    """Node type, Redis OSS engine version, nodes (a primary and replicas in other AZs with automatic failover
    when more than one) and the days daily snapshots are kept (None: no snapshots)."""
    access: DataTierAccess
    """VPC, data-tier subnets, tier, tags and the clients admitted on 6379."""

    def __post_init__(self) -> None:
        if not 1 <= self.plan.replicas <= 6:
            raise ValueError(f"RedisCacheArgs: replicas {self.plan.replicas} is outside 1..6")


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
        access = args.access
        key = kms_key(
            f"{name}-cache",
            description=f"Encrypts the data, snapshots, logs and AUTH token of {name}",
            account=Account.of(self),
            prod=access.prod,
            tags=access.tags,
            parent=self,
            log_service=True,
        )
        secret, token = self._auth_token_in_secrets_manager(name, access, key, args.plan)
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=access.subnet_ids,
            description=f"Data-tier subnets of {name}",
            tags=named(access.tags, f"{name}-subnets"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        sg = clients_only(name, access, PORT, f"Redis clients of {name}", self)
        slow_log = log_group(
            f"{name}-slow-log",
            log_group_name=f"/cloud-blueprints/elasticache/{name}/slow-log",
            key=key,
            prod=access.prod,
            zone_retention_days=access.zone_retention_days,
            tags=access.tags,
            parent=self,
        )
        group = self._replication_group(name, args, key, token, subnets.name, sg.id, slow_log.name)
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

    def _auth_token_in_secrets_manager(self, name: str, access: DataTierAccess, key: aws.kms.Key,
                                       plan: ElastiCacheRedis) -> tuple[aws.secretsmanager.Secret, pulumi.Output[str]]:
        """A random AUTH token, kept only in a KMS-encrypted secret that Secrets Manager rotates every
        `plan.token_rotation_days`; the group reads the first token from the secret version."""
        token = random.RandomPassword(
            f"{name}-auth-token",
            length=64,
            special=True,
            override_special=TOKEN_SPECIALS,
            min_lower=4,
            min_upper=4,
            min_numeric=4,
            opts=pulumi.ResourceOptions(parent=self),
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-auth-token",
            description=f"AUTH token of Redis {name}",
            kms_key_id=key.arn,
            recovery_window_in_days=30 if access.prod else 7,
            tags=named(access.tags, f"{name}-auth-token"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The first token comes from here; after that the rotation function owns it (ElastiCache's ROTATE then SET),
        # so a later `pulumi up` must not put the first one back.
        version = aws.secretsmanager.SecretVersion(
            f"{name}-auth-token",
            secret_id=secret.id,
            secret_string=token.result,
            opts=pulumi.ResourceOptions(parent=secret, ignore_changes=["secretString"]),
        )
        aws.secretsmanager.SecretRotation(
            f"{name}-auth-token-rotation",
            secret_id=secret.id,
            rotation_lambda_arn=plan.token_rotation_function_arn,
            rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                automatically_after_days=plan.token_rotation_days),
            opts=pulumi.ResourceOptions(parent=secret, depends_on=[version]),
        )
        return secret, version.secret_string

    def _replication_group(self, name: str, args: RedisCacheArgs, key: aws.kms.Key, token: pulumi.Output[str],
                           subnet_group: pulumi.Output[str], security_group_id: pulumi.Output[str],
                           slow_log: pulumi.Output[str]) -> aws.elasticache.ReplicationGroup:
        """The nodes: TLS required, encrypted at rest with the key, AUTH token, failover across AZs when replicated;
        protected in prod, with a final snapshot."""
        plan, access = args.plan, args.access
        replicated = plan.replicas > 1
        group_id = name.lower()[:40]
        return aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            replication_group_id=group_id,
            description=f"Redis of {name}",
            engine="redis",
            engine_version=plan.engine_version,
            node_type=plan.instance_class,
            num_cache_clusters=plan.replicas,
            port=PORT,
            subnet_group_name=subnet_group,
            security_group_ids=[security_group_id],
            at_rest_encryption_enabled=True,
            kms_key_id=key.arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=token,
            auth_token_update_strategy="ROTATE",
            automatic_failover_enabled=replicated,
            multi_az_enabled=replicated,
            snapshot_retention_limit=plan.backup_retention_days or 0,
            snapshot_window="03:00-04:00",
            # Prod keeps a last snapshot if the group is ever deleted, as RDS keeps its final snapshot.
            final_snapshot_identifier=f"{group_id}-final" if access.prod else None,
            maintenance_window="sun:05:00-sun:06:00",
            auto_minor_version_upgrade=True,
            apply_immediately=not access.prod,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=slow_log,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type="slow-log",
                )
            ],
            tags=named(access.tags, f"{name}-redis"),
            # Rotation changes the token in place (ROTATE, then SET): the stack keeps the group, not the first token.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["authToken"], protect=access.prod),
        )
