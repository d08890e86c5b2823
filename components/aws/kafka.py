"""KafkaCluster: Amazon MSK with TLS everywhere, KMS at rest and authenticated clients only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.aws._common import Account, kms_key, log_group, require_private_cidrs, security_group
from components.aws.tagging import named
from components.ownership import require_ownership

CLIENT_PORTS = {"iam": 9098, "scram": 9096}


@dataclass(frozen=True)
class KafkaClusterArgs:
    """Inputs of an MSK cluster: brokers spread evenly over the data subnets (one subnet per AZ)."""

    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Data-tier subnets, one per AZ (2 or 3)."""
    prod: bool
    """Prod: per-topic monitoring, a 30-day key window, `protect`."""
    tags: Mapping[str, str]
    broker_type: str
    """MSK broker instance type (the plan's, from the catalog size)."""
    volume_gib: int
    """EBS storage of one broker, GiB."""
    kafka_version: str
    """MSK Kafka version, e.g. 3.9.x."""
    brokers: int
    """Broker count, a multiple of the subnet count."""
    allowed_security_group_ids: Sequence[pulumi.Input[str]] = ()
    allowed_cidrs: Sequence[str] = ()
    client_authentication: str = "iam"
    """iam (IAM access control) or scram (SASL/SCRAM users kept in Secrets Manager by the team)."""

    def __post_init__(self) -> None:
        require_ownership(self.tags, "KafkaClusterArgs")
        require_private_cidrs(self.allowed_cidrs, "KafkaClusterArgs.allowed_cidrs")
        if self.client_authentication not in CLIENT_PORTS:
            raise ValueError(f"KafkaClusterArgs: client_authentication must be one of {list(CLIENT_PORTS)}")
        if len(self.subnet_ids) < 2:
            raise ValueError("KafkaClusterArgs: MSK needs subnets in at least two AZs")
        if self.brokers % len(self.subnet_ids):
            raise ValueError(f"KafkaClusterArgs: {self.brokers} brokers do not spread evenly over {len(self.subnet_ids)} subnets")


def server_properties(brokers: int) -> str:
    """Durable defaults: no topic without a decision, replication across every AZ we have."""
    replication = min(brokers, 3)
    return "\n".join(
        [
            "auto.create.topics.enable=false",
            f"default.replication.factor={replication}",
            f"min.insync.replicas={max(1, replication - 1)}",
            "unclean.leader.election.enable=false",
            "num.partitions=3",
            "allow.everyone.if.no.acl.found=false",
        ]
    )


class KafkaCluster(pulumi.ComponentResource):
    """MSK: private brokers, TLS client-broker and in-cluster, KMS at rest, broker logs to CloudWatch."""

    cluster_arn: pulumi.Output[str]
    bootstrap_brokers: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: KafkaClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:aws:KafkaCluster", name, None, opts)
        tags = args.tags
        child = pulumi.ResourceOptions(parent=self)
        account = Account.of(self)

        key = kms_key(
            f"{name}-kafka",
            description=f"Encrypts the broker volumes and logs of {name} (and its SCRAM secrets)",
            account=account,
            prod=args.prod,
            tags=tags,
            parent=self,
            log_service=True,
        )
        broker_logs = log_group(
            f"{name}-broker-logs",
            log_group_name=f"/cloud-blueprints/msk/{name}/brokers",
            key=key,
            prod=args.prod,
            tags=tags,
            parent=self,
        )
        port = CLIENT_PORTS[args.client_authentication]
        sg = security_group(
            name,
            description=f"Kafka clients of {name} ({args.client_authentication})",
            vpc_id=args.vpc_id,
            port=port,
            allowed_security_group_ids=args.allowed_security_group_ids,
            allowed_cidrs=args.allowed_cidrs,
            tags=tags,
            parent=self,
        )
        config = aws.msk.Configuration(
            f"{name}-config",
            kafka_versions=[args.kafka_version],
            server_properties=server_properties(args.brokers),
            description=f"Broker defaults of {name}",
            opts=child,
        )
        cluster = aws.msk.Cluster(
            f"{name}-msk",
            cluster_name=name,
            kafka_version=args.kafka_version,
            number_of_broker_nodes=args.brokers,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                client_subnets=list(args.subnet_ids),
                instance_type=args.broker_type,
                security_groups=[sg.id],
                connectivity_info=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoArgs(
                    public_access=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoPublicAccessArgs(type="DISABLED"),
                ),
                storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                    ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                        volume_size=args.volume_gib
                    ),
                ),
            ),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(
                sasl=aws.msk.ClusterClientAuthenticationSaslArgs(
                    iam=args.client_authentication == "iam", scram=args.client_authentication == "scram"
                ),
                unauthenticated=False,
            ),
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_at_rest_kms_key_arn=key.arn,
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS", in_cluster=True
                ),
            ),
            configuration_info=aws.msk.ClusterConfigurationInfoArgs(arn=config.arn, revision=config.latest_revision),
            logging_info=aws.msk.ClusterLoggingInfoArgs(
                broker_logs=aws.msk.ClusterLoggingInfoBrokerLogsArgs(
                    cloudwatch_logs=aws.msk.ClusterLoggingInfoBrokerLogsCloudwatchLogsArgs(
                        enabled=True, log_group=broker_logs.name
                    ),
                ),
            ),
            enhanced_monitoring="PER_TOPIC_PER_BROKER" if args.prod else "DEFAULT",
            tags=named(tags, name),
            opts=pulumi.ResourceOptions(parent=self, protect=args.prod),
        )

        self.cluster_arn = cluster.arn
        self.bootstrap_brokers = (
            cluster.bootstrap_brokers_sasl_iam if args.client_authentication == "iam" else cluster.bootstrap_brokers_sasl_scram
        )
        self.security_group_id = sg.id
        self.kms_key_arn = key.arn
        self.register_outputs(
            {
                "cluster_arn": self.cluster_arn,
                "bootstrap_brokers": self.bootstrap_brokers,
                "security_group_id": self.security_group_id,
                "kms_key_arn": self.kms_key_arn,
            }
        )
