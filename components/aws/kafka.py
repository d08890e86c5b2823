"""KafkaCluster: Amazon MSK with TLS everywhere, KMS at rest and authenticated clients only."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from blueprints.plan import MskKafka
from components.aws._common import Account, DataTierAccess, clients_only, kms_key, log_group
from components.aws.tagging import named

CLIENT_PORTS = {"iam": MskKafka.client_port, "scram": 9096}


@dataclass(frozen=True)
class KafkaClusterArgs:
    """Inputs of an MSK cluster: brokers spread evenly over the data subnets (one subnet per AZ)."""

    plan: MskKafka
    """Broker type, EBS storage of one broker (GiB), MSK Kafka version (e.g. 3.9.x) and the broker count,
    a multiple of the subnet count."""
    access: DataTierAccess
    """VPC, data-tier subnets (one per AZ, 2 or 3), tier, tags and the clients admitted on the client port."""
    client_authentication: str = "iam"
    """iam (IAM access control) or scram (SASL/SCRAM users kept in Secrets Manager by the team)."""

    def __post_init__(self) -> None:
        subnets = self.access.subnet_ids
        if self.client_authentication not in CLIENT_PORTS:
            raise ValueError(f"KafkaClusterArgs: client_authentication must be one of {list(CLIENT_PORTS)}")
        if len(subnets) < 2:
            raise ValueError("KafkaClusterArgs: MSK needs subnets in at least two AZs")
        if self.plan.replicas % len(subnets):
            raise ValueError(f"KafkaClusterArgs: {self.plan.replicas} brokers do not spread evenly over {len(subnets)} subnets")


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
        access = args.access
        key = kms_key(
            f"{name}-kafka",
            description=f"Encrypts the broker volumes and logs of {name} (and its SCRAM secrets)",
            account=Account.of(self),
            prod=access.prod,
            tags=access.tags,
            parent=self,
            log_service=True,
        )
        broker_logs = log_group(
            f"{name}-broker-logs",
            log_group_name=f"/cloud-blueprints/msk/{name}/brokers",
            key=key,
            prod=access.prod,
            zone_retention_days=access.zone_retention_days,
            tags=access.tags,
            parent=self,
        )
        port = CLIENT_PORTS[args.client_authentication]
        sg = clients_only(name, access, port, f"Kafka clients of {name} ({args.client_authentication})", self)
        config = aws.msk.Configuration(
            f"{name}-config",
            kafka_versions=[args.plan.engine_version],
            server_properties=server_properties(args.plan.replicas),
            description=f"Broker defaults of {name}",
            opts=pulumi.ResourceOptions(parent=self),
        )
        cluster = self._cluster(name, args, key, sg, config, broker_logs)
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

    def _cluster(self, name: str, args: KafkaClusterArgs, key: aws.kms.Key, sg: aws.ec2.SecurityGroup,
                 config: aws.msk.Configuration, broker_logs: aws.cloudwatch.LogGroup) -> aws.msk.Cluster:
        """The brokers: private, TLS to clients and between brokers, authenticated clients only, KMS at rest."""
        plan, access = args.plan, args.access
        return aws.msk.Cluster(
            f"{name}-msk",
            cluster_name=name,
            kafka_version=plan.engine_version,
            number_of_broker_nodes=plan.replicas,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                client_subnets=list(access.subnet_ids),
                instance_type=plan.instance_class,
                security_groups=[sg.id],
                connectivity_info=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoArgs(
                    public_access=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoPublicAccessArgs(type="DISABLED"),
                ),
                storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                    ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                        volume_size=plan.storage_gib
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
            enhanced_monitoring="PER_TOPIC_PER_BROKER" if access.prod else "DEFAULT",
            tags=named(access.tags, name),
            opts=pulumi.ResourceOptions(parent=self, protect=access.prod),
        )
