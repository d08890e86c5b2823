"""Data services: Postgres, Redis, Kafka and object storage, each secure by default and tiered."""

from __future__ import annotations

import pytest

from aws_support import TAGS, assert_owned_and_tagged, keys_rotate, log_keys_admit_cloudwatch_logs, policy, run
from blueprints.plan import ElastiCacheRedis, MskKafka, RdsPostgres, S3Bucket
from components.aws import (
    DataTierAccess,
    KafkaCluster,
    KafkaClusterArgs,
    ObjectStore,
    ObjectStoreArgs,
    PostgresDatabase,
    PostgresDatabaseArgs,
    RedisCache,
    RedisCacheArgs,
)
from engine import SECRET

APP_SG = "sg-0app"
COMPONENTS = (
    "cloud-blueprints:aws:PostgresDatabase",
    "cloud-blueprints:aws:RedisCache",
    "cloud-blueprints:aws:KafkaCluster",
    "cloud-blueprints:aws:ObjectStore",
)
SUBNETS = ["subnet-d1", "subnet-d2", "subnet-d3"]


ROTATION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:cloud-blueprints-elasticache-token-rotation"


def data_args(prod: bool) -> dict:
    return dict(vpc_id="vpc-0abc", subnet_ids=SUBNETS if prod else SUBNETS[:2], prod=prod, tags=TAGS, allowed_security_group_ids=[APP_SG])


PROMISE = dict(size="M", vcpu=2, memory_gib=8, storage_gib=100, version=None, backup_retention_days=None)


def service_args(cls, prod: bool, **extra) -> dict:
    """Every value the plan would hand each component, by tier; `extra` overrides a plan, access or Args field."""
    plan_type, specific = {
        PostgresDatabaseArgs: (RdsPostgres, dict(instance_class="db.m7g.large" if prod else "db.t4g.medium", storage_gib=100,
                                                 engine_version="16", replicas=2 if prod else 1, backup_retention_days=30 if prod else 7)),
        RedisCacheArgs: (ElastiCacheRedis, dict(instance_class="cache.m7g.large", engine_version="7.1", replicas=3 if prod else 1,
                                                backup_retention_days=7 if prod else 1, token_rotation_days=30,
                                                token_rotation_function_arn=ROTATION_ARN)),
        KafkaClusterArgs: (MskKafka, dict(instance_class="kafka.m7g.large", storage_gib=500, engine_version="3.9.x",
                                          replicas=3 if prod else 2)),
    }[cls]
    plan = {**PROMISE, **specific}
    access = data_args(prod)
    rest = {}
    for key, value in extra.items():
        (plan if key in plan else access if key in access or key == "allowed_cidrs" else rest)[key] = value
    return dict(plan=plan_type(**plan), access=DataTierAccess(**access), **rest)


def build(prod: bool):
    def program():
        PostgresDatabase("payments-pg", PostgresDatabaseArgs(**service_args(PostgresDatabaseArgs, prod)))
        RedisCache("payments-redis", RedisCacheArgs(**service_args(RedisCacheArgs, prod)))
        KafkaCluster("payments-kafka", KafkaClusterArgs(**service_args(KafkaClusterArgs, prod)))
        ObjectStore("payments-objects", ObjectStoreArgs(
            plan=S3Bucket(**{**PROMISE, "backup_retention_days": 90 if prod else 30}, replicas=1), prod=prod, tags=TAGS))

    return run(program, stack="payments-prod" if prod else "payments-dev")


@pytest.fixture(scope="module")
def prod():
    return build(True)


@pytest.fixture(scope="module")
def dev():
    return build(False)


def only_from_app(cap, component_type: str, port: int) -> None:
    comp = cap.one(component_type)
    sgs = [r for r in cap.by_type("aws:ec2/securityGroup:SecurityGroup") if r.parent == comp.urn]
    assert len(sgs) == 1, comp.urn
    rules = [r.inputs for r in cap.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r.parent == sgs[0].urn]
    assert rules == [rules[0]] and rules[0]["referencedSecurityGroupId"] == APP_SG, f"{comp.urn}: {rules}"
    assert rules[0]["fromPort"] == rules[0]["toPort"] == port, comp.urn
    assert not sgs[0].inputs.get("ingress") and not sgs[0].inputs.get("egress"), sgs[0].urn


def test_postgres_secure_defaults(prod, dev):
    for cap in (prod, dev):
        db = cap.one("aws:rds/instance:Instance")
        i = db.inputs
        assert i["storageEncrypted"] is True and i["kmsKeyId"].startswith("arn:aws:kms:"), db.urn
        assert i["manageMasterUserPassword"] is True and "password" not in i, db.urn
        assert i["masterUserSecretKmsKeyId"], db.urn
        assert i["iamDatabaseAuthenticationEnabled"] is True and i["publiclyAccessible"] is False, db.urn
        assert i["performanceInsightsEnabled"] is True and i["monitoringInterval"] == 60, db.urn
        assert set(i["enabledCloudwatchLogsExports"]) == {"postgresql", "upgrade"}, db.urn
        params = {p["name"]: p["value"] for p in cap.one("aws:rds/parameterGroup:ParameterGroup").inputs["parameters"]}
        assert params["rds.force_ssl"] == "1" and params["log_connections"] == "1", db.urn
        only_from_app(cap, "cloud-blueprints:aws:PostgresDatabase", 5432)
        outputs = cap.component_outputs[cap.one("cloud-blueprints:aws:PostgresDatabase").urn]
        assert outputs["master_user_secret_arn"].startswith("arn:aws:secretsmanager:")


def test_postgres_prod_differs(prod, dev):
    p, d = prod.one("aws:rds/instance:Instance"), dev.one("aws:rds/instance:Instance")
    assert p.inputs["multiAz"] is True and d.inputs["multiAz"] is False
    assert p.inputs["backupRetentionPeriod"] >= 14 and d.inputs["backupRetentionPeriod"] >= 7
    assert p.inputs["deletionProtection"] is True and d.inputs["deletionProtection"] is False
    assert p.inputs["skipFinalSnapshot"] is False and p.inputs["finalSnapshotIdentifier"] == "payments-pg-final"
    assert d.inputs["skipFinalSnapshot"] is True
    assert p.protect and not d.protect, p.urn
    assert not p.inputs["instanceClass"].startswith("db.t"), "prod does not run on burstable instances"


def test_prod_redis_is_protected_and_keeps_a_final_snapshot(prod, dev):
    group = "aws:elasticache/replicationGroup:ReplicationGroup"
    p, d = prod.one(group), dev.one(group)
    assert p.protect and not d.protect, p.urn
    assert p.inputs["finalSnapshotIdentifier"] == f"{p.inputs['replicationGroupId']}-final", p.urn
    assert "finalSnapshotIdentifier" not in d.inputs, d.urn


def test_redis_auth_token_only_through_secrets_manager(prod, dev):
    for cap in (prod, dev):
        rg = cap.one("aws:elasticache/replicationGroup:ReplicationGroup")
        i = rg.inputs
        assert i["atRestEncryptionEnabled"] is True and i["kmsKeyId"].startswith("arn:aws:kms:"), rg.urn
        assert i["transitEncryptionEnabled"] is True and i["transitEncryptionMode"] == "required", rg.urn
        assert i["authToken"] == SECRET, f"{rg.urn} auth token is not a secret"
        version = cap.one("aws:secretsmanager/secretVersion:SecretVersion")
        assert version.inputs["secretString"] == SECRET, version.urn
        secret = cap.one("aws:secretsmanager/secret:Secret")
        assert secret.inputs["kmsKeyId"].startswith("arn:aws:kms:"), secret.urn
        password = cap.one("random:index/randomPassword:RandomPassword")
        assert set(password.inputs["overrideSpecial"]).isdisjoint('@/" '), password.urn
        assert i["snapshotRetentionLimit"] >= 1, rg.urn
        only_from_app(cap, "cloud-blueprints:aws:RedisCache", 6379)
    p, d = (c.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs for c in (prod, dev))
    assert p["automaticFailoverEnabled"] is True and p["multiAzEnabled"] is True and p["numCacheClusters"] >= 2
    assert d["automaticFailoverEnabled"] is False and d["numCacheClusters"] == 1


def test_kafka_tls_kms_authenticated_and_one_broker_per_az(prod, dev):
    for cap, brokers in ((prod, 3), (dev, 2)):
        msk = cap.one("aws:msk/cluster:Cluster")
        i = msk.inputs
        assert i["numberOfBrokerNodes"] == brokers == len(i["brokerNodeGroupInfo"]["clientSubnets"]), msk.urn
        enc = i["encryptionInfo"]
        assert enc["encryptionInTransit"] == {"clientBroker": "TLS", "inCluster": True}, msk.urn
        assert enc["encryptionAtRestKmsKeyArn"].startswith("arn:aws:kms:"), msk.urn
        assert i["clientAuthentication"] == {"sasl": {"iam": True, "scram": False}, "unauthenticated": False}, msk.urn
        assert i["brokerNodeGroupInfo"]["connectivityInfo"]["publicAccess"]["type"] == "DISABLED"
        assert i["loggingInfo"]["brokerLogs"]["cloudwatchLogs"]["enabled"] is True
        props = cap.one("aws:msk/configuration:Configuration").inputs["serverProperties"]
        assert "auto.create.topics.enable=false" in props and f"default.replication.factor={brokers}" in props
        only_from_app(cap, "cloud-blueprints:aws:KafkaCluster", 9098)


def test_object_store_private_encrypted_versioned_tls_only(prod, dev):
    for cap, days in ((prod, 90), (dev, 30)):
        block = cap.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
        assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
        sse = cap.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs["rules"][0]
        assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
        assert cap.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"]["status"] == "Enabled"
        assert cap.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
        statements = policy(cap.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
        assert {"Bool": {"aws:SecureTransport": "false"}} in [s["Condition"] for s in statements if s["Effect"] == "Deny"]
        rule = cap.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"][0]
        assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == days
    assert prod.one("aws:s3/bucket:Bucket").protect and not prod.one("aws:s3/bucket:Bucket").inputs["forceDestroy"]


def test_everything_tagged_parented_and_keys_rotate(prod, dev):
    for cap in (prod, dev):
        keys_rotate(cap)
        assert log_keys_admit_cloudwatch_logs(cap) == 4  # Postgres' two exports, Redis' slow log, Kafka's brokers
        components = [cap.one(token) for token in COMPONENTS]
        assert all(c.parent is None or "pulumi:pulumi:Stack" in c.parent for c in components)
        assert_owned_and_tagged(cap, *[c.urn for c in components])


@pytest.mark.parametrize(
    "cls,extra,match",
    [
        (PostgresDatabaseArgs, {"allowed_cidrs": ["0.0.0.0/0"]}, "0.0.0.0/0 would open the resource to the whole internet"),
        (PostgresDatabaseArgs, {"replicas": 3}, "replicas 3: an RDS instance keeps 1 or 2"),
        (PostgresDatabaseArgs, {"backup_retention_days": 0}, r"backup_retention_days 0 is outside 1\.\.35"),
        (RedisCacheArgs, {"replicas": 0}, r"replicas 0 is outside 1\.\.6"),
        (KafkaClusterArgs, {"client_authentication": "none"}, "client_authentication must be one of"),
        (KafkaClusterArgs, {"subnet_ids": ["subnet-d1"]}, "MSK needs subnets in at least two AZs"),
        (KafkaClusterArgs, {"replicas": 3}, "3 brokers do not spread evenly over 2 subnets"),
    ],
)
def test_bad_args_fail_early(cls, extra, match):
    cls(**service_args(cls, False))
    with pytest.raises(ValueError, match=match):
        cls(**service_args(cls, False, **extra))


def test_the_redis_auth_token_rotates_and_the_stack_does_not_undo_it(prod):
    (rotation,) = prod.by_type("aws:secretsmanager/secretRotation:SecretRotation")
    secret = prod.one("aws:secretsmanager/secret:Secret")
    assert rotation.inputs["rotationLambdaArn"] == ROTATION_ARN, rotation.urn
    assert rotation.inputs["rotationRules"]["automaticallyAfterDays"] == 30, rotation.urn
    assert rotation.parent == secret.urn, rotation.urn
    group = prod.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert "authToken" in group.ignore_changes, f"{group.urn}: the next pulumi up would put the first token back"
    version = prod.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert "secretString" in version.ignore_changes, f"{version.urn}: the next pulumi up would undo a rotation"


@pytest.mark.parametrize(
    "cls,field,bad",
    [
        (PostgresDatabaseArgs, "plan", {"replicas": 3, "backup_retention_days": 0}),
        (RedisCacheArgs, "plan", {"replicas": 0}),
        (KafkaClusterArgs, "client_authentication", "none"),
        (ObjectStoreArgs, "tags", {}),
    ],
)
def test_checked_args_cannot_be_changed_after_their_checks(cls, field, bad):
    """What __post_init__ refused at construction must not get in by assignment afterwards."""
    from dataclasses import FrozenInstanceError

    if cls is ObjectStoreArgs:
        plan = S3Bucket(**{**PROMISE, "backup_retention_days": 30}, replicas=1)
        args = ObjectStoreArgs(plan=plan, prod=True, tags=TAGS)
    else:
        args = cls(**service_args(cls, True))
    value = service_args(cls, True, **bad)["plan"] if field == "plan" else bad
    with pytest.raises(FrozenInstanceError):
        setattr(args, field, value)


POSTGRES_BY_TIER = {
    # Prod keeps its automated backups past deletion, waits for the maintenance window and ends in a final snapshot.
    True: {"deleteAutomatedBackups": False, "applyImmediately": False, "deletionProtection": True,
           "skipFinalSnapshot": False, "multiAz": True, "backupRetentionPeriod": 30},
    False: {"deleteAutomatedBackups": True, "applyImmediately": True, "deletionProtection": False,
            "skipFinalSnapshot": True, "multiAz": False, "backupRetentionPeriod": 7},
}
POSTGRES_ALWAYS = {
    "engine": "postgres", "port": 5432, "storageType": "gp3", "allocatedStorage": 100, "maxAllocatedStorage": 400,
    "copyTagsToSnapshot": True, "autoMinorVersionUpgrade": True, "allowMajorVersionUpgrade": True,
    "caCertIdentifier": "rds-ca-rsa2048-g1",
    # 7 days is Performance Insights' free retention; AWS accepts only 7 or a multiple of 31.
    "performanceInsightsRetentionPeriod": 7, "backupWindow": "03:00-04:00", "maintenanceWindow": "sun:04:30-sun:05:30",
}


def test_postgres_durability_and_patching_by_tier(prod, dev):
    for cap, tier in ((prod, True), (dev, False)):
        db = cap.one("aws:rds/instance:Instance")
        expected = {**POSTGRES_ALWAYS, **POSTGRES_BY_TIER[tier]}
        assert {k: db.inputs.get(k) for k in expected} == expected, db.urn
        pg_key = next(k for k in cap.by_type("aws:kms/key:Key") if k.name == "payments-pg-db-key")
        assert db.inputs["performanceInsightsKmsKeyId"] == db.inputs["kmsKeyId"] == pg_key.outputs["arn"], db.urn


@pytest.mark.parametrize(
    "cls,edge,past,match",
    [
        (PostgresDatabaseArgs, {"replicas": 1}, {"replicas": 0}, "replicas 0: an RDS instance keeps 1 or 2"),
        (PostgresDatabaseArgs, {"replicas": 2}, {"replicas": 3}, "replicas 3: an RDS instance keeps 1 or 2"),
        (PostgresDatabaseArgs, {"backup_retention_days": 1}, {"backup_retention_days": 0}, r"0 is outside 1\.\.35"),
        (PostgresDatabaseArgs, {"backup_retention_days": 35}, {"backup_retention_days": 36}, r"36 is outside 1\.\.35"),
        (RedisCacheArgs, {"replicas": 1}, {"replicas": 0}, r"replicas 0 is outside 1\.\.6"),
        (RedisCacheArgs, {"replicas": 6}, {"replicas": 7}, r"replicas 7 is outside 1\.\.6"),
        (KafkaClusterArgs, {"subnet_ids": SUBNETS[:2], "replicas": 4}, {"subnet_ids": SUBNETS[:2], "replicas": 5},
         "5 brokers do not spread evenly over 2 subnets"),
        (KafkaClusterArgs, {"subnet_ids": SUBNETS[:2], "replicas": 2}, {"subnet_ids": SUBNETS[:1], "replicas": 2},
         "MSK needs subnets in at least two AZs"),
        (KafkaClusterArgs, {"client_authentication": "scram"}, {"client_authentication": "SCRAM"},
         "client_authentication must be one of"),
    ],
)
def test_each_limit_admits_its_edge_and_refuses_one_past_it(cls, edge, past, match):
    cls(**service_args(cls, True, **edge))
    with pytest.raises(ValueError, match=match):
        cls(**service_args(cls, True, **past))


def test_redis_token_strength_secret_window_and_patching_by_tier(prod, dev):
    for cap, tier in ((prod, True), (dev, False)):
        password = cap.one("random:index/randomPassword:RandomPassword")
        assert {k: password.inputs[k] for k in ("length", "special", "minLower", "minUpper", "minNumeric")} == {
            "length": 64, "special": True, "minLower": 4, "minUpper": 4, "minNumeric": 4}, password.urn
        secret = cap.one("aws:secretsmanager/secret:Secret")
        assert secret.inputs["recoveryWindowInDays"] == (30 if tier else 7), secret.urn
        group = cap.one("aws:elasticache/replicationGroup:ReplicationGroup")
        patching = (group.inputs["applyImmediately"], group.inputs["autoMinorVersionUpgrade"])
        assert patching == (not tier, True), group.urn
        assert group.inputs["snapshotRetentionLimit"] == (7 if tier else 1), group.urn


@pytest.mark.parametrize("days,kept", [(None, 0), (1, 1), (35, 35)])
def test_redis_keeps_snapshots_the_plans_days_and_none_without(days, kept):
    args = RedisCacheArgs(**service_args(RedisCacheArgs, False, backup_retention_days=days))
    cap = run(lambda: RedisCache("payments-redis", args))
    group = cap.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["snapshotRetentionLimit"] == kept, group.urn


@pytest.mark.parametrize("name", ["Payments-Prod-Customer-Sessions-Cache-Tier-2026", "r" * 40, "r" * 41])
def test_a_long_name_keeps_the_longest_replication_group_id_elasticache_accepts(name):
    cap = run(lambda: RedisCache(name, RedisCacheArgs(**service_args(RedisCacheArgs, False))))
    group = cap.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["replicationGroupId"] == name.lower()[:40] and not cap.violations, cap.violations


@pytest.mark.parametrize("brokers,factor,in_sync", [(2, 2, 1), (3, 3, 2), (4, 3, 2), (6, 3, 2)])
def test_kafka_replicates_over_at_most_three_brokers_and_survives_losing_one(brokers, factor, in_sync):
    from components.aws.kafka import server_properties

    props = dict(line.split("=") for line in server_properties(brokers).splitlines())
    assert (props["default.replication.factor"], props["min.insync.replicas"]) == (str(factor), str(in_sync))
    assert props["unclean.leader.election.enable"] == props["allow.everyone.if.no.acl.found"] == "false"


def test_kafka_monitoring_and_protection_by_tier(prod, dev):
    for cap, tier in ((prod, True), (dev, False)):
        msk = cap.one("aws:msk/cluster:Cluster")
        assert msk.inputs["enhancedMonitoring"] == ("PER_TOPIC_PER_BROKER" if tier else "DEFAULT"), msk.urn
        assert msk.protect is tier, msk.urn


@pytest.mark.parametrize("method,port", [("iam", 9098), ("scram", 9096)])
def test_kafka_clients_authenticate_one_way_on_its_own_port(method, port):
    # Built at run time, as a value read from a file is: the same text, not the same object as the module's literal.
    chosen = "".join(method)
    args = KafkaClusterArgs(**service_args(KafkaClusterArgs, False, client_authentication=chosen))
    cap = run(lambda: KafkaCluster("payments-kafka", args))
    msk = cap.one("aws:msk/cluster:Cluster")
    sasl = {"iam": method == "iam", "scram": method == "scram"}
    assert msk.inputs["clientAuthentication"] == {"sasl": sasl, "unauthenticated": False}, msk.urn
    only_from_app(cap, "cloud-blueprints:aws:KafkaCluster", port)
    brokers = cap.component_outputs[cap.one("cloud-blueprints:aws:KafkaCluster").urn]["bootstrap_brokers"]
    assert {b.rsplit(":", 1)[1] for b in brokers.split(",")} == {str(port)}, brokers


@pytest.mark.parametrize("version,family", [("16", "postgres16"), ("16.4", "postgres16"), ("17.2", "postgres17")])
def test_the_parameter_group_family_is_the_engines_major_version(version, family):
    args = PostgresDatabaseArgs(**service_args(PostgresDatabaseArgs, False, engine_version=version))
    cap = run(lambda: PostgresDatabase("payments-pg", args))
    params = cap.one("aws:rds/parameterGroup:ParameterGroup")
    assert params.inputs["family"] == family, params.urn
    assert cap.one("aws:rds/instance:Instance").inputs["engineVersion"] == version
    assert not cap.violations, cap.violations


@pytest.mark.parametrize("nodes,fails_over", [(1, False), (2, True)])
def test_redis_fails_over_across_azs_from_its_first_replica(nodes, fails_over):
    args = RedisCacheArgs(**service_args(RedisCacheArgs, False, replicas=nodes))
    cap = run(lambda: RedisCache("payments-redis", args))
    group = cap.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert (group.inputs["automaticFailoverEnabled"], group.inputs["multiAzEnabled"]) == (fails_over, fails_over)
    assert group.inputs["numCacheClusters"] == nodes and not cap.violations, cap.violations
