"""AWS data services: RDS, ElastiCache and MSK encrypted, backed up, private, authenticated and logged."""

from __future__ import annotations

from policy_packs.spec import CRITICAL, HIGH, MEDIUM, Rule, customer_key, is_prod, on, resource_rule

RULES: list[Rule] = []

RDS = ("aws:rds/instance:Instance",)
ELASTICACHE = ("aws:elasticache/replicationGroup:ReplicationGroup",)
MSK = ("aws:msk/cluster:Cluster",)

LOG_EXPORTS = {"postgres": {"postgresql"}, "mysql": {"audit", "error"}, "mariadb": {"audit", "error"}}
"""The log exports each RDS engine must ship to CloudWatch."""


@resource_rule(
    RULES, "aws-rds-instance-storage-encrypted",
    "Encrypt each RDS instance's storage with a customer-managed KMS key.",
    HIGH,
    remediation="Set storage_encrypted=True and kms_key_id to the database's own key (the PostgresDatabase component does).",
    themes=("encryption-at-rest", "key-management"), types=RDS,
)
def rds_encrypted(args, report, config) -> None:
    if not on(args.props.get("storageEncrypted")):
        report("storageEncrypted is not true")
    elif not customer_key(args.props.get("kmsKeyId")):
        report("storage is encrypted with the AWS-managed key; set kmsKeyId to a customer-managed key")


@resource_rule(
    RULES, "aws-rds-instance-backup-retention",
    "Keep automated RDS backups for at least the configured number of days.",
    MEDIUM,
    remediation="Set backup_retention_period to at least minimumDays (the component keeps 7 days, 14 in prod).",
    themes=("backup-recovery",), types=RDS,
    config={"minimumDays": {"type": "integer", "minimum": 1, "default": 7, "description": "Fewest days of automated backups."}},
)
def rds_backups(args, report, config) -> None:
    days = int(args.props.get("backupRetentionPeriod") or 0)
    if days < config["minimumDays"]:
        report(f"backupRetentionPeriod is {days}, below {int(config['minimumDays'])} days")


@resource_rule(
    RULES, "aws-rds-instance-deletion-protection",
    "Protect each prod RDS instance from deletion.",
    HIGH,
    remediation="Set deletion_protection=True (and a final snapshot) for prod databases.",
    themes=("backup-recovery", "availability"), types=RDS,
)
def rds_deletion_protection(args, report, config) -> None:
    if not is_prod(args.props):
        args.not_applicable("not a prod database")
    if not on(args.props.get("deletionProtection")):
        report("deletionProtection is not true on a prod database")


@resource_rule(
    RULES, "aws-rds-instance-multi-az",
    "Run each prod RDS instance in Multi-AZ so the loss of one zone does not stop it.",
    HIGH,
    remediation="Set multi_az=True for prod databases.",
    themes=("availability",), types=RDS,
)
def rds_multi_az(args, report, config) -> None:
    if not is_prod(args.props):
        args.not_applicable("not a prod database")
    if not on(args.props.get("multiAz")):
        report("multiAz is not true on a prod database")


@resource_rule(
    RULES, "aws-rds-instance-not-public",
    "Keep each RDS instance off the internet.",
    CRITICAL,
    remediation="Set publicly_accessible=False and place the instance in data-tier subnets.",
    themes=("public-access", "network-segmentation"), types=RDS,
)
def rds_not_public(args, report, config) -> None:
    if on(args.props.get("publiclyAccessible")):
        report("publiclyAccessible is true")


@resource_rule(
    RULES, "aws-rds-instance-managed-password",
    "Let RDS generate and rotate each master password in Secrets Manager instead of passing one in.",
    HIGH,
    remediation="Set manage_master_user_password=True (with master_user_secret_kms_key_id) and remove password.",
    themes=("secret-handling", "strong-authentication"), types=RDS,
)
def rds_managed_password(args, report, config) -> None:
    if args.props.get("password"):
        report("a master password is passed in; let RDS manage it")
    if not on(args.props.get("manageMasterUserPassword")):
        report("manageMasterUserPassword is not true")


@resource_rule(
    RULES, "aws-rds-instance-iam-auth",
    "Enable IAM database authentication on each RDS instance so people and services sign in with short-lived tokens.",
    MEDIUM,
    remediation="Set iam_database_authentication_enabled=True.",
    themes=("strong-authentication",), types=RDS,
)
def rds_iam_auth(args, report, config) -> None:
    if not on(args.props.get("iamDatabaseAuthenticationEnabled")):
        report("iamDatabaseAuthenticationEnabled is not true")


@resource_rule(
    RULES, "aws-rds-instance-log-exports",
    "Export each RDS instance's engine logs to CloudWatch Logs.",
    MEDIUM,
    remediation="Set enabled_cloudwatch_logs_exports to the engine's logs (postgres: postgresql; mysql: audit, error).",
    themes=("audit-logging",), types=RDS,
)
def rds_log_exports(args, report, config) -> None:
    engine = args.props.get("engine") or ""
    needed = LOG_EXPORTS.get(engine)
    if needed is None:
        args.not_applicable(f"no log exports defined for engine {engine!r}")
    missing = needed - set(args.props.get("enabledCloudwatchLogsExports") or [])
    if missing:
        report(f"enabledCloudwatchLogsExports lacks {', '.join(sorted(missing))}")


@resource_rule(
    RULES, "aws-elasticache-replicationgroup-at-rest-encryption",
    "Encrypt each ElastiCache replication group at rest with a customer-managed KMS key.",
    HIGH,
    remediation="Set at_rest_encryption_enabled=True and kms_key_id.",
    themes=("encryption-at-rest", "key-management"), types=ELASTICACHE,
)
def elasticache_at_rest(args, report, config) -> None:
    if not on(args.props.get("atRestEncryptionEnabled")):
        report("atRestEncryptionEnabled is not true")
    elif not customer_key(args.props.get("kmsKeyId")):
        report("encrypted with the AWS-managed key; set kmsKeyId")


@resource_rule(
    RULES, "aws-elasticache-replicationgroup-transit-auth",
    "Require TLS and authentication for every client of each ElastiCache replication group.",
    HIGH,
    remediation="Set transit_encryption_enabled=True, transit_encryption_mode='required', and an auth_token generated by "
                "random.RandomPassword (or user_group_ids).",
    themes=("encryption-in-transit", "strong-authentication"), types=ELASTICACHE,
)
def elasticache_transit_auth(args, report, config) -> None:
    props = args.props
    if not on(props.get("transitEncryptionEnabled")):
        report("transitEncryptionEnabled is not true")
    elif props.get("transitEncryptionMode") == "preferred":
        report("transitEncryptionMode is 'preferred'; clients may still connect without TLS")
    if not props.get("authToken") and not props.get("userGroupIds"):
        report("no authToken or user groups: any client in the network can connect")


@resource_rule(
    RULES, "aws-msk-cluster-encryption",
    "Encrypt each MSK cluster at rest with a customer-managed key and in transit with TLS only.",
    HIGH,
    remediation="Set encryption_info.encryption_at_rest_kms_key_arn, encryption_in_transit.client_broker='TLS' and "
                "in_cluster=True.",
    themes=("encryption-at-rest", "encryption-in-transit"), types=MSK,
)
def msk_encryption(args, report, config) -> None:
    info = args.props.get("encryptionInfo") or {}
    transit = info.get("encryptionInTransit") or {}
    if not customer_key(info.get("encryptionAtRestKmsKeyArn")):
        report("no customer-managed key for encryption at rest")
    if transit.get("clientBroker", "TLS") != "TLS":
        report(f"clientBroker is {transit.get('clientBroker')!r}, not TLS")
    if transit.get("inCluster") is False:
        report("inCluster encryption is off")


@resource_rule(
    RULES, "aws-msk-cluster-private-authenticated",
    "Keep each MSK cluster private and require client authentication.",
    HIGH,
    remediation="Leave broker public access DISABLED and set client_authentication (IAM or SCRAM) with unauthenticated=False.",
    themes=("public-access", "strong-authentication"), types=MSK,
)
def msk_private(args, report, config) -> None:
    props = args.props
    access = ((props.get("brokerNodeGroupInfo") or {}).get("connectivityInfo") or {}).get("publicAccess") or {}
    if access.get("type", "DISABLED") != "DISABLED":
        report(f"broker public access is {access.get('type')}")
    auth = props.get("clientAuthentication") or {}
    if not auth or auth.get("unauthenticated") is True:
        report("unauthenticated clients are allowed")
