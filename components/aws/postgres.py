"""PostgresDatabase: RDS for PostgreSQL in the data tier, with the master password kept by RDS."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from blueprints.plan import RdsPostgres
from components.aws._common import Account, DataTierAccess, assume_role_policy, clients_only, kms_key, log_group
from components.aws.tagging import named

PORT = RdsPostgres.client_port
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
    """Inputs of a PostgreSQL database: the plan's RDS values and the data tier it sits in."""

    plan: RdsPostgres
    """Instance class, storage (GiB; autoscaling may grow it to four times), major version (RDS keeps the minor
    current), copies (1, or 2 for Multi-AZ: a synchronous standby in another AZ) and backup days (1..35)."""
    access: DataTierAccess
    """VPC, data-tier subnets, tier, tags and the clients admitted on 5432."""
    database_name: str = "app"
    master_username: str = "dbadmin"

    def __post_init__(self) -> None:
        if self.plan.replicas not in (1, 2):
            raise ValueError(f"PostgresDatabaseArgs: replicas {self.plan.replicas}: an RDS instance keeps 1 or 2 (Multi-AZ) copies")
        if not 1 <= self.plan.backup_retention_days <= 35:
            raise ValueError(f"PostgresDatabaseArgs: backup_retention_days {self.plan.backup_retention_days} is outside 1..35")


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
        access = args.access
        account = Account.of(self)
        key = kms_key(
            f"{name}-db",
            description=f"Encrypts storage, Performance Insights, logs and the master secret of {name}",
            account=account,
            prod=access.prod,
            tags=access.tags,
            parent=self,
            log_service=True,
        )
        logs = self._audit_logs(name, access, key)
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=access.subnet_ids,
            description=f"Data-tier subnets of {name}",
            tags=named(access.tags, f"{name}-subnets"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        sg = clients_only(name, access, PORT, f"PostgreSQL clients of {name}", self)
        params = self._tls_only_parameters(name, args)
        monitoring, monitoring_policy = self._enhanced_monitoring(name, access, account)
        db = self._instance(name, args, key, subnets.name, sg.id, params.name, monitoring.arn,
                            depends_on=[*logs, monitoring_policy])
        self._export(db, sg, key)

    def _audit_logs(self, name: str, access: DataTierAccess, key: aws.kms.Key) -> list[aws.cloudwatch.LogGroup]:
        """The log groups RDS exports to, created first so that they carry our key and retention."""
        return [
            log_group(
                f"{name}-{kind}-logs",
                log_group_name=f"/aws/rds/instance/{name.lower()}/{kind}",
                key=key,
                prod=access.prod,
                zone_retention_days=access.zone_retention_days,
                tags=access.tags,
                parent=self,
            )
            for kind in LOG_EXPORTS
        ]

    def _tls_only_parameters(self, name: str, args: PostgresDatabaseArgs) -> aws.rds.ParameterGroup:
        """TLS only, and the audit logging PARAMETERS lists."""
        return aws.rds.ParameterGroup(
            f"{name}-params",
            family=f"postgres{args.plan.engine_version.split('.')[0]}",
            description=f"TLS-only, audited PostgreSQL for {name}",
            parameters=[aws.rds.ParameterGroupParameterArgs(name=k, value=v, apply_method="immediate") for k, v in PARAMETERS.items()],
            tags=named(args.access.tags, f"{name}-params"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _enhanced_monitoring(self, name: str, access: DataTierAccess, account: Account) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        """The role RDS Enhanced Monitoring publishes OS metrics with."""
        monitoring = aws.iam.Role(
            f"{name}-monitoring-role",
            assume_role_policy=assume_role_policy("monitoring.rds.amazonaws.com"),
            tags=named(access.tags, f"{name}-monitoring-role"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        monitoring_policy = aws.iam.RolePolicyAttachment(
            f"{name}-AmazonRDSEnhancedMonitoringRole",
            role=monitoring.name,
            policy_arn=account.managed_policy("service-role/AmazonRDSEnhancedMonitoringRole"),
            opts=pulumi.ResourceOptions(parent=monitoring),
        )
        return monitoring, monitoring_policy

    def _instance(self, name: str, args: PostgresDatabaseArgs, key: aws.kms.Key, subnet_group: pulumi.Output[str],
                  security_group_id: pulumi.Output[str], parameter_group: pulumi.Output[str],
                  monitoring_role_arn: pulumi.Output[str], depends_on: list[pulumi.Resource]) -> aws.rds.Instance:
        """The instance: private, encrypted with the key, password kept by RDS, IAM authentication, protected in prod."""
        identifier = name.lower()
        storage = args.plan.storage_gib
        return aws.rds.Instance(
            f"{name}-db",
            identifier=identifier,
            engine="postgres",
            engine_version=args.plan.engine_version,
            instance_class=args.plan.instance_class,
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
            db_subnet_group_name=subnet_group,
            vpc_security_group_ids=[security_group_id],
            parameter_group_name=parameter_group,
            port=PORT,
            publicly_accessible=False,
            multi_az=args.plan.replicas == 2,
            backup_retention_period=args.plan.backup_retention_days,
            backup_window="03:00-04:00",
            maintenance_window="sun:04:30-sun:05:30",
            copy_tags_to_snapshot=True,
            delete_automated_backups=not args.access.prod,
            deletion_protection=args.access.prod,
            skip_final_snapshot=not args.access.prod,
            final_snapshot_identifier=f"{identifier}-final" if args.access.prod else None,
            auto_minor_version_upgrade=True,
            # The stack file pins the major version, so a major change only arrives through a reviewed `bp upgrade`.
            allow_major_version_upgrade=True,
            apply_immediately=not args.access.prod,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.arn,
            performance_insights_retention_period=7,
            monitoring_interval=60,
            monitoring_role_arn=monitoring_role_arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            ca_cert_identifier="rds-ca-rsa2048-g1",
            tags=named(args.access.tags, identifier),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on, protect=args.access.prod),
        )

    def _export(self, db: aws.rds.Instance, sg: aws.ec2.SecurityGroup, key: aws.kms.Key) -> None:
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
