"""The one table of provider rules: each with where the provider or API says so, and an accepted and a refused value.

Where AWS states a limit in its API model the rule reads it from botocore (`api`, `api_shape`, `tag_limits`);
the rest cite the terraform-provider-aws / terraform-provider-vsphere validator (file and function), the Kubernetes
API validation, or the API reference page that states it.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from typing import Any

from engine.provider_rules import autonaming, aws_model
from engine.provider_rules.checks import api, api_shape, name, network, tag_limits, tags, zones_of
from engine.provider_rules.model import Example, Refused, Registration, Rule

TF_AWS = "terraform-provider-aws"
K8S_VALIDATION = "kubernetes staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go"
LOWER_ALNUM = "lowercase letters, digits and '-'"
# IAM, CloudWatch Logs and RDS accept only these characters in tag keys and values.
AWS_TAG_CHARSET = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"
OWNERSHIP = {"team": "payments", "owner": "lead@example.com", "cost-center": "CC-4711"}


def _autoname(value: Any, reg: Registration) -> str | None:
    return autonaming.refused(reg.type, value, reg.inputs)


def _subnet_in_vpc(value: Any, reg: Registration) -> str | None:
    vpc = reg.index.get(reg.state.get("vpcId", ""))
    if not vpc or not vpc[1].get("cidrBlock"):
        return None
    try:
        inside = IPv4Network(str(value)).subnet_of(IPv4Network(vpc[1]["cidrBlock"]))
    except (ValueError, TypeError):
        return None  # the CIDR rule says what is wrong with it
    return None if inside else f"is not inside the VPC's {vpc[1]['cidrBlock']}"


def _two_zones(value: Any, reg: Registration) -> str | None:
    zones = zones_of(value, reg)
    if zones is None or len(zones) >= 2:
        return None
    return f"its subnets cover {len(zones)} availability zone(s); a DB subnet group needs at least two"


def _brokers_per_zone(value: Any, reg: Registration) -> str | None:
    subnets = (reg.state.get("brokerNodeGroupInfo") or {}).get("clientSubnets") or []
    zones = zones_of(subnets, reg)
    count = len(zones) if zones is not None else len(subnets)
    if not isinstance(value, int) or not count or value % count == 0:
        return None
    return f"{value} brokers over {count} zones: the broker count must be a multiple of the number of zones"


def _failover_nodes(value: Any, reg: Registration) -> str | None:
    nodes = reg.state.get("numCacheClusters")
    if value is True and isinstance(nodes, int) and nodes < 2:
        return f"automatic failover with {nodes} cache cluster(s); it needs at least 2"
    return None


def _multi_az_failover(value: Any, reg: Registration) -> str | None:
    if value is True and reg.state.get("automaticFailoverEnabled") is not True:
        return "Multi-AZ needs automaticFailoverEnabled"
    return None


def _gp3_small(value: Any, reg: Registration) -> str | None:
    storage = reg.state.get("allocatedStorage")
    provisioned = [k for k in ("iops", "storageThroughput") if reg.state.get(k)]
    if value == "gp3" and provisioned and isinstance(storage, int) and storage < 400:
        return f"gp3 with {', '.join(provisioned)} at {storage} GiB; IOPS and throughput are set only from 400 GiB"
    return None


# Go's regexp, as terraform-provider-aws writes it: the post-6 pattern's anchors bind to its alternatives separately.
_REDIS_PRE_6 = re.compile(r"^[1-5](\.[0-9]+){2}$")
_REDIS_POST_6 = re.compile(r"^((6)\.x)|([6-9]\.[0-9]+)$")


def _redis_version(value: Any, _: Registration) -> str | None:
    if isinstance(value, str) and (_REDIS_PRE_6.search(value) or _REDIS_POST_6.search(value)):
        return None
    return "is not a Redis version ElastiCache takes: major.minor from 6 (e.g. 7.1), 6.x, or x.y.z below 6"


def _scaling(value: Any, _: Registration) -> str | None:
    if not isinstance(value, dict):
        return None
    limits = {"minSize": aws_model.shape("eks", "ZeroCapacity"), "maxSize": aws_model.shape("eks", "Capacity"),
              "desiredSize": aws_model.shape("eks", "ZeroCapacity")}
    for key, limit in limits.items():
        problem = limit.refuses(value.get(key)) if isinstance(value.get(key), int) else None
        if problem:
            return Refused(problem, key, value[key])
    low, want, high = (value.get(k) for k in ("minSize", "desiredSize", "maxSize"))
    if all(isinstance(v, int) for v in (low, want, high)) and not low <= want <= high:
        return f"needs minSize <= desiredSize <= maxSize, not {low} <= {want} <= {high}"
    return None


_LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                       3288, 3653)


def _log_retention(value: Any, _: Registration) -> str | None:
    if value in _LOG_RETENTION_DAYS or value == 0:
        return None
    return f"{value} days is not a retention CloudWatch Logs offers ({', '.join(map(str, _LOG_RETENTION_DAYS))})"


def _insights_retention(value: Any, _: Registration) -> str | None:
    if isinstance(value, int) and (value in (7, 731) or (value % 31 == 0 and 1 <= value // 31 <= 23)):
        return None
    return f"{value} days: Performance Insights keeps 7, a whole number of months (31 days each, 1-23) or 731"


def _days(low: int, high: int):
    def test(value: Any, _: Registration) -> str | None:
        if isinstance(value, int) and not low <= value <= high:
            return f"{value} days; {low}-{high} are allowed"
        return None
    return test


def _label_map(value: Any, _: Registration) -> str | None:
    if not isinstance(value, dict):
        return None
    for key, val in value.items():
        prefix, _slash, label = str(key).rpartition("/")
        problem = (_dns_subdomain(prefix, None) if prefix else None) or _label_name(label, None)
        if problem:
            return Refused(f"label key {problem}", key, val)
        problem = _label_value(val, None) if val != "" else None
        if problem:
            return Refused(f"label value {problem}", key, val)
    return None


_dns_label = name(chars="a-z0-9-", words=LOWER_ALNUM, max_len=63, first="a-z0-9", first_words="a letter or digit",
                  last="a-z0-9")
_dns_1035 = name(chars="a-z0-9-", words=LOWER_ALNUM, max_len=63, first="a-z", first_words="a letter", last="a-z0-9")
_dns_subdomain = name(chars="a-z0-9.-", words="lowercase letters, digits, '-' and '.'", max_len=253,
                      first="a-z0-9", first_words="a letter or digit", last="a-z0-9")
_label_value = name(chars="A-Za-z0-9_.-", words="letters, digits, '-', '_' and '.'", max_len=63,
                    first="A-Za-z0-9", first_words="a letter or digit", last="A-Za-z0-9")
_label_name = _label_value



def _object_name(value: Any, reg: Registration) -> str | None:
    # Namespaces and Services have stricter rules of their own.
    if reg.type in ("kubernetes:core/v1:Namespace", "kubernetes:core/v1:Service"):
        return None
    return _dns_subdomain(value, reg)

def _autoname_rules() -> tuple[Rule, ...]:
    """One rule per maximum pulumi-aws sets: the bridge refuses a generated name over it."""
    groups: dict[tuple[str, int, str], list[str]] = {}
    for type_, auto in autonaming.AUTONAMED.items():
        groups.setdefault((auto.prop, auto.max_len, auto.source), []).append(type_)
    rules = []
    for (prop, max_len, source), types in groups.items():
        rules.append(Rule(f"pulumi-autoname-{prop.lower()}-{max_len}", tuple(types), prop, _autoname, f"{autonaming.SOURCE}; {source}",
                          Example("a" * (max_len - 8) + "-1a2b3c4", inputs={}),
                          Example("a" * (max_len - 7) + "-1a2b3c4", inputs={})))
    return tuple(rules)


AUTONAME_RULES = _autoname_rules()

RULES: tuple[Rule, ...] = (
    # ------------------------------------------------------------------ names the bridge generates
    *AUTONAME_RULES,
    # ------------------------------------------------------------------ IAM, logs, KMS, Secrets Manager
    Rule("aws-iam-role-name", ("aws:iam/role:Role",), "name", api("iam", "CreateRole", "RoleName"),
         "botocore iam CreateRole.RoleName", Example("payments-prod-eks-node-role-1a2b3c4"), Example("r" * 65)),
    Rule("aws-iam-role-policy-name", ("aws:iam/rolePolicy:RolePolicy",), "name", api("iam", "PutRolePolicy", "PolicyName"),
         "botocore iam PutRolePolicy.PolicyName", Example("payments-prod-kms-1a2b3c4"), Example("kms access")),
    Rule("aws-logs-group-name", ("aws:cloudwatch/logGroup:LogGroup",), "name", api("logs", "CreateLogGroup", "logGroupName"),
         "botocore logs CreateLogGroup.logGroupName", Example("/aws/eks/payments-prod-eks/cluster"), Example("/team/o'brien")),
    Rule("aws-logs-retention", ("aws:cloudwatch/logGroup:LogGroup",), "retentionInDays", _log_retention,
         f"{TF_AWS} internal/service/logs/group.go retention_in_days (validation.IntInSlice); CloudWatch Logs API "
         "PutRetentionPolicy retentionInDays (the member's documentation in botocore's logs model)",
         Example(365), Example(366)),
    Rule("aws-kms-alias-name", ("aws:kms/alias:Alias",), "name", api("kms", "CreateAlias", "AliasName"),
         "botocore kms CreateAlias.AliasName", Example("alias/payments-prod-postgres"), Example("alias/payments prod")),
    Rule("aws-secret-name", ("aws:secretsmanager/secret:Secret",), "name", api("secretsmanager", "CreateSecret", "Name"),
         "botocore secretsmanager CreateSecret.Name", Example("payments-prod-redis-auth-1a2b3c4"), Example("s" * 513)),
    # ------------------------------------------------------------------ EKS
    Rule("aws-eks-cluster-name", ("aws:eks/cluster:Cluster",), "name", api("eks", "CreateCluster", "name"),
         "botocore eks CreateCluster.name", Example("payments-prod-eks"), Example("-payments-prod-eks")),
    Rule("aws-eks-nodegroup-name", ("aws:eks/nodeGroup:NodeGroup",), "nodeGroupName",
         name(chars="A-Za-z0-9_-", words="letters, digits, '-' and '_'", max_len=63, first="A-Za-z0-9",
              first_words="a letter or digit"),
         "Amazon EKS API Reference, CreateNodegroup nodegroupName (alphanumerics, '-' and '_', starting with an "
         "alphanumeric, at most 63 characters)", Example("payments-prod-eks-system-1a2b3c4"), Example("n" * 64)),
    Rule("aws-eks-nodegroup-scaling", ("aws:eks/nodeGroup:NodeGroup",), "scalingConfig", _scaling,
         "botocore eks shapes ZeroCapacity and Capacity (NodegroupScalingConfig); Amazon EKS API Reference, "
         "NodegroupScalingConfig (desiredSize between minSize and maxSize)",
         Example({"minSize": 3, "desiredSize": 3, "maxSize": 6}), Example({"minSize": 3, "desiredSize": 2, "maxSize": 6})),
    Rule("aws-eks-nodegroup-ami-type", ("aws:eks/nodeGroup:NodeGroup",), "amiType", api("eks", "CreateNodegroup", "amiType"),
         "botocore eks CreateNodegroup.amiType", Example("AL2023_x86_64_STANDARD"), Example("AL2023_X86_64")),
    Rule("aws-eks-nodegroup-capacity-type", ("aws:eks/nodeGroup:NodeGroup",), "capacityType",
         api("eks", "CreateNodegroup", "capacityType"), "botocore eks CreateNodegroup.capacityType",
         Example("ON_DEMAND"), Example("on-demand")),
    # ------------------------------------------------------------------ EC2 and VPC
    Rule("aws-ec2-security-group-name", ("aws:ec2/securityGroup:SecurityGroup",), "name",
         name(chars=r"a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*", words="letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
              max_len=255, prefixes=("sg-",)),
         "Amazon EC2 API Reference, CreateSecurityGroup GroupName (up to 255 characters, can't start with sg-; "
         "the member's documentation in botocore's ec2 model)", Example("payments-prod-kafka-sg-1a2b3c4"),
         Example("sg-payments-prod-kafka-sg-1a2b3c4")),
    Rule("aws-ec2-launch-template-name", ("aws:ec2/launchTemplate:LaunchTemplate",), "name",
         api_shape("ec2", "LaunchTemplateName"), "botocore ec2 shape LaunchTemplateName",
         Example("payments-prod-eks-system-lt-1a2b3c4"), Example("lt")),
    Rule("aws-ec2-flow-log-traffic-type", ("aws:ec2/flowLog:FlowLog",), "trafficType",
         api("ec2", "CreateFlowLogs", "TrafficType"), "botocore ec2 CreateFlowLogs.TrafficType",
         Example("ALL"), Example("EVERYTHING")),
    Rule("aws-vpc-cidr", ("aws:ec2/vpc:Vpc",), "cidrBlock", network(16, 28),
         "Amazon VPC User Guide, VPC CIDR blocks (IPv4 block size between /16 and /28); EC2 CreateVpc CidrBlock",
         Example("10.0.0.0/19"), Example("10.0.0.0/12")),
    Rule("aws-subnet-cidr", ("aws:ec2/subnet:Subnet",), "cidrBlock", network(16, 28),
         "Amazon VPC User Guide, subnet CIDR blocks (between /16 and /28); EC2 CreateSubnet CidrBlock",
         Example("10.0.16.0/23"), Example("10.0.16.0/29")),
    Rule("aws-subnet-in-vpc", ("aws:ec2/subnet:Subnet",), "cidrBlock", _subnet_in_vpc,
         "Amazon EC2 API Reference, CreateSubnet (the subnet's CIDR block must be within the VPC's)",
         Example("10.0.16.0/23", state={"vpcId": "vpc-1"}, index={"vpc-1": ("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/19"})}),
         Example("10.1.16.0/23", state={"vpcId": "vpc-1"}, index={"vpc-1": ("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/19"})})),
    # ------------------------------------------------------------------ RDS
    Rule("aws-rds-identifier", ("aws:rds/instance:Instance",), "identifier",
         name(chars="0-9a-z-", words=LOWER_ALNUM, max_len=63, first="a-z", first_words="a letter", last="0-9a-z",
              no_double_hyphen=True),
         f"{TF_AWS} internal/service/rds/validate.go validIdentifier; RDS API CreateDBInstance DBInstanceIdentifier "
         "(1 to 63 characters)", Example("payments-prod-postgres"), Example("7seas-prod-postgres")),
    Rule("aws-rds-parameter-group-name", ("aws:rds/parameterGroup:ParameterGroup",), "name",
         name(chars="0-9a-z.-", words="lowercase letters, digits, '.' and '-'", max_len=255, first="a-z",
              first_words="a letter", last="0-9a-z.", no_double_hyphen=True),
         f"{TF_AWS} internal/service/rds/validate.go validParamGroupName",
         Example("payments-prod-postgres-params-1a2b3c4"), Example("a--b-prod-postgres-params-1a2b3c4")),
    Rule("aws-rds-subnet-group-name", ("aws:rds/subnetGroup:SubnetGroup",), "name",
         name(chars="0-9a-z_ .-", words="lowercase letters, digits, '-', '_', '.' and spaces", max_len=255,
              refused=("default",)),
         f"{TF_AWS} internal/service/rds/validate.go validSubnetGroupName",
         Example("payments-prod-postgres-subnets-1a2b3c4"), Example("default")),
    Rule("aws-rds-subnet-group-zones", ("aws:rds/subnetGroup:SubnetGroup",), "subnetIds", _two_zones,
         "Amazon RDS API Reference, CreateDBSubnetGroup (a DB subnet group must have subnets in at least two "
         "Availability Zones of the Region)",
         Example(["subnet-a", "subnet-b"], index={"subnet-a": ("aws:ec2/subnet:Subnet", {"availabilityZone": "us-east-1a"}),
                                                 "subnet-b": ("aws:ec2/subnet:Subnet", {"availabilityZone": "us-east-1b"})}),
         Example(["subnet-a"], index={"subnet-a": ("aws:ec2/subnet:Subnet", {"availabilityZone": "us-east-1a"})})),
    Rule("aws-rds-backup-retention", ("aws:rds/instance:Instance",), "backupRetentionPeriod", _days(0, 35),
         "Amazon RDS API Reference, CreateDBInstance BackupRetentionPeriod (a value from 0 to 35)",
         Example(30), Example(36)),
    Rule("aws-rds-insights-retention", ("aws:rds/instance:Instance",), "performanceInsightsRetentionPeriod",
         _insights_retention, "Amazon RDS API Reference, CreateDBInstance PerformanceInsightsRetentionPeriod "
         "(7, month * 31 for 1-23 months, or 731; the member's documentation in botocore's rds model)",
         Example(93), Example(94)),
    Rule("aws-rds-gp3-provisioned", ("aws:rds/instance:Instance",), "storageType", _gp3_small,
         "Amazon RDS User Guide, gp3 storage (for PostgreSQL, IOPS and throughput can be set only at 400 GiB and up)",
         Example("gp3", state={"allocatedStorage": 400, "iops": 12000}),
         Example("gp3", state={"allocatedStorage": 100, "iops": 12000})),
    # ------------------------------------------------------------------ ElastiCache
    Rule("aws-elasticache-replication-group-id", ("aws:elasticache/replicationGroup:ReplicationGroup",),
         "replicationGroupId",
         name(chars="0-9A-Za-z-", words="letters, digits and '-'", max_len=40, first="A-Za-z", first_words="a letter",
              last="0-9A-Za-z", no_double_hyphen=True),
         f"{TF_AWS} internal/service/elasticache/validate.go validateReplicationGroupID",
         Example("payments-prod-redis"), Example("1a-prod-redis")),
    Rule("aws-elasticache-engine-version", ("aws:elasticache/replicationGroup:ReplicationGroup",), "engineVersion",
         _redis_version, f"{TF_AWS} internal/service/elasticache/engine_version.go validRedisVersionString",
         Example("7.1"), Example("7")),
    Rule("aws-elasticache-subnet-group-name", ("aws:elasticache/subnetGroup:SubnetGroup",), "name",
         name(chars="0-9A-Za-z-", words="letters, digits and '-'", max_len=255),
         "Amazon ElastiCache API Reference, CreateCacheSubnetGroup CacheSubnetGroupName (no more than 255 "
         "alphanumeric characters or hyphens)", Example("payments-prod-redis-subnets-1a2b3c4"), Example("redis_subnets")),
    Rule("aws-elasticache-failover-nodes", ("aws:elasticache/replicationGroup:ReplicationGroup",),
         "automaticFailoverEnabled", _failover_nodes,
         "Amazon ElastiCache API Reference, CreateReplicationGroup AutomaticFailoverEnabled (needs at least two "
         "cache clusters: a primary and a replica)",
         Example(True, state={"numCacheClusters": 2}), Example(True, state={"numCacheClusters": 1})),
    Rule("aws-elasticache-multi-az-failover", ("aws:elasticache/replicationGroup:ReplicationGroup",), "multiAzEnabled",
         _multi_az_failover, f"{TF_AWS} internal/service/elasticache/replication_group.go CustomizeDiff "
         "(automatic_failover_enabled must be true if multi_az_enabled is true)",
         Example(True, state={"automaticFailoverEnabled": True}), Example(True, state={"automaticFailoverEnabled": False})),
    # ------------------------------------------------------------------ MSK
    Rule("aws-msk-cluster-name", ("aws:msk/cluster:Cluster",), "clusterName", api("kafka", "CreateCluster", "ClusterName"),
         "botocore kafka CreateCluster.ClusterName", Example("payments-prod-kafka"), Example("k" * 65)),
    Rule("aws-msk-broker-count", ("aws:msk/cluster:Cluster",), "numberOfBrokerNodes",
         api("kafka", "CreateCluster", "NumberOfBrokerNodes"), "botocore kafka CreateCluster.NumberOfBrokerNodes",
         Example(3), Example(16)),
    Rule("aws-msk-brokers-per-zone", ("aws:msk/cluster:Cluster",), "numberOfBrokerNodes", _brokers_per_zone,
         "Amazon MSK API Reference, CreateCluster NumberOfBrokerNodes (a multiple of the number of Availability "
         "Zones in clientSubnets)",
         Example(6, state={"brokerNodeGroupInfo": {"clientSubnets": ["a", "b", "c"]}}),
         Example(4, state={"brokerNodeGroupInfo": {"clientSubnets": ["a", "b", "c"]}})),
    Rule("aws-msk-instance-type", ("aws:msk/cluster:Cluster",), "brokerNodeGroupInfo.instanceType",
         api("kafka", "CreateCluster", "BrokerNodeGroupInfo.InstanceType"),
         "botocore kafka CreateCluster.BrokerNodeGroupInfo.InstanceType", Example("kafka.m7g.large"), Example("m7g")),
    Rule("aws-msk-enhanced-monitoring", ("aws:msk/cluster:Cluster",), "enhancedMonitoring",
         api("kafka", "CreateCluster", "EnhancedMonitoring"), "botocore kafka CreateCluster.EnhancedMonitoring",
         Example("PER_TOPIC_PER_BROKER"), Example("PER_TOPIC")),
    # ------------------------------------------------------------------ S3
    Rule("aws-s3-bucket-name", ("aws:s3/bucket:Bucket",), "bucket",
         name(chars="0-9a-z.-", words="lowercase letters, digits, '.' and '-'", max_len=63, min_len=3,
              first="0-9a-z", first_words="a letter or digit", last="0-9a-z"),
         f"{TF_AWS} internal/service/s3/bucket.go validBucketName (its DNS-compliant branch; Amazon S3 User Guide, "
         "bucket naming rules: new buckets follow it in us-east-1 too)",
         Example("payments-prod-objects-0123456789abcdef0123456789"), Example("Payments-prod-objects")),
    Rule("aws-s3-bucket-reserved", ("aws:s3/bucket:Bucket",), "bucket",
         name(chars="0-9a-z.-", words="lowercase letters, digits, '.' and '-'", max_len=63, min_len=3,
              prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
              suffixes=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")),
         "Amazon S3 User Guide, general purpose bucket naming rules (reserved prefixes xn--, sthree-, amzn-s3-demo-; "
         "suffixes -s3alias, --ol-s3, .mrap, --x-s3, --table-s3)",
         Example("payments-prod-objects-0123456789abcdef"), Example("sthree-prod-objects-0123456789abcdef")),
    Rule("aws-s3-bucket-prefix", ("aws:s3/bucket:Bucket",), "bucketPrefix",
         name(chars="0-9a-z.-", words="lowercase letters, digits, '.' and '-'", max_len=37),
         f"{TF_AWS} internal/service/s3/bucket.go bucket_prefix (63 less the 26-character unique suffix)",
         Example("payments-prod-objects-"), Example("p" * 38)),
    # ------------------------------------------------------------------ tags
    Rule("aws-iam-tags", ("aws:iam/*",), "tags", tags(tag_limits("iam", "CreateRole", "Tags")),
         "botocore iam CreateRole.Tags", Example(OWNERSHIP), Example({**OWNERSHIP, "owner": "o'brien@example.com"})),
    Rule("aws-logs-tags", ("aws:cloudwatch/logGroup:LogGroup",), "tags", tags(tag_limits("logs", "CreateLogGroup", "tags")),
         "botocore logs CreateLogGroup.tags", Example(OWNERSHIP), Example({**OWNERSHIP, "owner": "ops#1@example.com"})),
    Rule("aws-eks-tags", ("aws:eks/*",), "tags", tags(tag_limits("eks", "CreateCluster", "tags")),
         "botocore eks CreateCluster.tags", Example(OWNERSHIP), Example({f"k{i}": "v" for i in range(51)})),
    Rule("aws-kms-tags", ("aws:kms/*",), "tags", tags(tag_limits("kms", "CreateKey", "Tags")),
         "botocore kms CreateKey.Tags", Example(OWNERSHIP), Example({**OWNERSHIP, "owner": "o" * 257})),
    Rule("aws-secretsmanager-tags", ("aws:secretsmanager/*",), "tags",
         tags(tag_limits("secretsmanager", "CreateSecret", "Tags")), "botocore secretsmanager CreateSecret.Tags",
         Example(OWNERSHIP), Example({"k" * 129: "v"})),
    Rule("aws-rds-tags", ("aws:rds/*",), "tags", tags(java_pattern=AWS_TAG_CHARSET),
         "Amazon RDS API Reference, Tag data type (keys and values: Unicode letters, digits, white space and "
         "_ . : / = + - @; Java regex ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$); counts and lengths: botocore "
         "resourcegroupstaggingapi TagResources.Tags",
         Example(OWNERSHIP), Example({**OWNERSHIP, "owner": "r&d@example.com"})),
    Rule("aws-tags", ("aws:ec2/*", "aws:ec2transitgateway/*", "aws:vpc/*", "aws:elasticache/*", "aws:msk/*", "aws:s3/*",
                      "aws:ram/*", "aws:directconnect/*"), "tags", tags(),
         "botocore resourcegroupstaggingapi TagResources.Tags (at most 50; keys 1-128, values 0-256 characters); "
         "the aws: key prefix is reserved (AWS Tagging Best Practices, tag naming limits)",
         Example(OWNERSHIP), Example({"aws:team": "payments"})),
    # ------------------------------------------------------------------ vSphere
    Rule("vsphere-vm-name", ("vsphere:index/virtualMachine:VirtualMachine",), "name",
         name(chars="\\s\\S", words="any characters", max_len=80),
         "terraform-provider-vsphere vsphere/virtual_machine_config_structure.go schemaVirtualMachineConfigSpec "
         "name: validation.StringLenBetween(1, 80)", Example("payments-prod-ny1-vms-1-01"), Example("v" * 81)),
    # ------------------------------------------------------------------ Kubernetes API validation
    Rule("k8s-namespace-name", ("kubernetes:core/v1:Namespace",), "metadata.name", _dns_label,
         f"kubernetes pkg/apis/core/validation/validation.go ValidateNamespaceName ({K8S_VALIDATION} IsDNS1123Label)",
         Example("payments-prod"), Example("Payments-prod")),
    Rule("k8s-service-name", ("kubernetes:core/v1:Service",), "metadata.name", _dns_1035,
         f"kubernetes pkg/apis/core/validation/validation.go ValidateServiceName ({K8S_VALIDATION} IsDNS1035Label)",
         Example("payments-prod-redis"), Example("7seas-prod-redis")),
    Rule("k8s-object-name", ("kubernetes:*",), "metadata.name", _object_name,
         f"kubernetes staging/src/k8s.io/apimachinery/pkg/api/validation/generic.go NameIsDNSSubdomain "
         f"({K8S_VALIDATION} IsDNS1123Subdomain)", Example("payments-prod-redis"), Example("payments_prod")),
    Rule("k8s-object-namespace", ("kubernetes:*",), "metadata.namespace", _dns_label,
         f"kubernetes staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go ValidateObjectMetaAccessor "
         f"(namespace: {K8S_VALIDATION} IsDNS1123Label)", Example("payments-prod"), Example("n" * 64)),
    Rule("k8s-statefulset-name", ("kubernetes:apps/v1:StatefulSet",), "metadata.name",
         name(chars="a-z0-9.-", words="lowercase letters, digits, '-' and '.'", max_len=52),
         "kubernetes pkg/controller/history/controller_history.go ControllerRevisionName (each pod's "
         "controller-revision-hash label is '<name>-<10-character hash>', a label value of at most 63; "
         "kubernetes/kubernetes#64023)", Example("payments-prod-redis"), Example("s" * 53)),
    Rule("k8s-labels", ("kubernetes:*",), "metadata.labels", _label_map,
         f"kubernetes staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go ValidateLabels "
         f"({K8S_VALIDATION} IsQualifiedName, IsValidLabelValue)",
         Example({"team": "payments", "owner": "lead_at_example.com"}), Example({"owner": "lead@example.com"})),
)
