"""PostgresDatabase: RDS for PostgreSQL in the data tier, with the master password kept by RDS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.aws._common import (
    Account,
    assume_role_policy,
    kms_key,
    log_group,
    require_private_cidrs,
    security_group,
)
from components.aws.tagging import named
from components.ownership import require_ownership

PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")

PARAMETERS = {
    "rds.force_ssl": "1",
    "log_connections": "1",
    "log_disconnections": "1",
    "log_min_duration_statement": "1000",
    "log_statement": "ddl",
    "log_lock_waits": "1",
    "log_temp_files": "0",
}
"""TLS only, and the logs an auditor asks for: sessions, DDL, slow statements, lock waits."""


@dataclass(frozen=True)
class PostgresDatabaseArgs:
    """Inputs of a PostgreSQL database."""

    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]] | pulumi.Input[Sequence[str]]
    """Data-tier subnets."""
    prod: bool
    """Prod: deletion protection, a final snapshot, automated backups kept after deletion, `protect`."""
    tags: Mapping[str, str]
    instance_class: str
    """RDS instance class (the plan's, from the catalog size)."""
    storage_gib: int
    """Allocated storage, GiB; autoscaling may grow it to four times."""
    engine_version: str
    """Major version; RDS keeps the minor current (auto minor upgrades)."""
    replicas: int
    """Copies of the data: 1 (single instance) or 2 (Multi-AZ: a synchronous standby in another AZ)."""
    backup_retention_days: int
    """Days automated backups are kept (1..35)."""
    allowed_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """The cluster's or application's security groups, admitted on 5432."""
    allowed_cidrs: Sequence[str] = ()
    database_name: str = "app"
    master_username: str = "dbadmin"

    def __post_init__(self) -> None:
        require_ownership(self.tags, "PostgresDatabaseArgs")
        require_private_cidrs(self.allowed_cidrs, "PostgresDatabaseArgs.allowed_cidrs")
        if self.replicas not in (1, 2):
            raise ValueError(f"PostgresDatabaseArgs: replicas {self.replicas}: an RDS instance keeps 1 or 2 (Multi-AZ) copies")
        if not 1 <= self.backup_retention_days <= 35:
            raise ValueError(f"PostgresDatabaseArgs: backup_retention_days {self.backup_retention_days} is outside 1..35")


class PostgresDatabase(pulumi.ComponentResource):
    """RDS PostgreSQL: private, KMS-encrypted, TLS-only, IAM authentication, password managed by RDS."""

    address: pulumi.Output[str]
    """Host name of the instance."""
    endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    database_name: pulumi.Output[str]
    instance_arn: pulumi.Output[str]
    master_user_secret_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: PostgresDatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:aws:PostgresDatabase", name, None, opts)
        tags = args.tags
        child = pulumi.ResourceOptions(parent=self)
        account = Account.of(self)
        identifier = name.lower()

        key = kms_key(
            f"{name}-db",
            description=f"Encrypts storage, Performance Insights, logs and the master secret of {name}",
            account=account,
            prod=args.prod,
            tags=tags,
            parent=self,
            log_service=True,
        )
        logs = [
            log_group(
                f"{name}-{kind}-logs",
                log_group_name=f"/aws/rds/instance/{identifier}/{kind}",
                key=key,
                prod=args.prod,
                tags=tags,
                parent=self,
            )
            for kind in LOG_EXPORTS
        ]
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=args.subnet_ids,
            description=f"Data-tier subnets of {name}",
            tags=named(tags, f"{name}-subnets"),
            opts=child,
        )
        sg = security_group(
            name,
            description=f"PostgreSQL clients of {name}",
            vpc_id=args.vpc_id,
            port=PORT,
            allowed_security_group_ids=args.allowed_security_group_ids,
            allowed_cidrs=args.allowed_cidrs,
            tags=tags,
            parent=self,
        )
        params = aws.rds.ParameterGroup(
            f"{name}-params",
            family=f"postgres{args.engine_version.split('.')[0]}",
            description=f"TLS-only, audited PostgreSQL for {name}",
            parameters=[aws.rds.ParameterGroupParameterArgs(name=k, value=v, apply_method="immediate") for k, v in PARAMETERS.items()],
            tags=named(tags, f"{name}-params"),
            opts=child,
        )
        monitoring = aws.iam.Role(
            f"{name}-monitoring-role",
            assume_role_policy=assume_role_policy("monitoring.rds.amazonaws.com"),
            tags=named(tags, f"{name}-monitoring-role"),
            opts=child,
        )
        monitoring_policy = aws.iam.RolePolicyAttachment(
            f"{name}-AmazonRDSEnhancedMonitoringRole",
            role=monitoring.name,
            policy_arn=account.managed_policy("service-role/AmazonRDSEnhancedMonitoringRole"),
            opts=pulumi.ResourceOptions(parent=monitoring),
        )

        storage = args.storage_gib
        db = aws.rds.Instance(
            f"{name}-db",
            identifier=identifier,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            allocated_storage=storage,
            max_allocated_storage=storage * 4,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key.arn,
            db_name=args.database_name,
            username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key.key_id,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[sg.id],
            parameter_group_name=params.name,
            port=PORT,
            publicly_accessible=False,
            multi_az=args.replicas == 2,
            backup_retention_period=args.backup_retention_days,
            backup_window="03:00-04:00",
            maintenance_window="sun:04:30-sun:05:30",
            copy_tags_to_snapshot=True,
            delete_automated_backups=not args.prod,
            deletion_protection=args.prod,
            skip_final_snapshot=not args.prod,
            final_snapshot_identifier=f"{identifier}-final" if args.prod else None,
            auto_minor_version_upgrade=True,
            # The stack file pins the major version, so a major change only arrives through a reviewed `bp upgrade`.
            allow_major_version_upgrade=True,
            apply_immediately=not args.prod,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.arn,
            performance_insights_retention_period=7,
            monitoring_interval=60,
            monitoring_role_arn=monitoring.arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            ca_cert_identifier="rds-ca-rsa2048-g1",
            tags=named(tags, identifier),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*logs, monitoring_policy], protect=args.prod),
        )

        self.address = db.address
        self.endpoint = db.endpoint
        self.port = db.port
        self.database_name = db.db_name
        self.instance_arn = db.arn
        self.master_user_secret_arn = db.master_user_secrets.apply(lambda s: s[0].secret_arn)
        self.security_group_id = sg.id
        self.kms_key_arn = key.arn
        self.register_outputs(
            {
                "address": self.address,
                "endpoint": self.endpoint,
                "port": self.port,
                "database_name": self.database_name,
                "instance_arn": self.instance_arn,
                "master_user_secret_arn": self.master_user_secret_arn,
                "security_group_id": self.security_group_id,
                "kms_key_arn": self.kms_key_arn,
            }
        )
