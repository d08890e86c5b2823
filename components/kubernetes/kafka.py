"""KafkaCluster: Apache Kafka in KRaft mode, run by the Strimzi operator with node pools."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes.data_service import (
    RESTRICTED_CONTAINER,
    Resources,
    ownership_labels,
    require_dns_label,
    restricted_pod,
)

TLS_PORT = 9093
KAFKA_UID = 10001
"""Strimzi images run under any UID (Strimzi mounts /tmp as a volume; data volumes are ours via fsGroup)."""
RESTRICTED_POD_TEMPLATE = {"pod": {"securityContext": restricted_pod(KAFKA_UID)}}


def _replication(brokers: int) -> dict[str, int]:
    """Topic durability: with three brokers or more, a broker loss loses no acknowledged write."""
    factor = min(brokers, 3)
    min_isr = max(1, factor - 1)
    return {
        "default.replication.factor": factor,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": factor,
        "transaction.state.log.replication.factor": factor,
        "transaction.state.log.min.isr": min_isr,
    }


@dataclass(frozen=True)
class KafkaClusterArgs:
    """A Strimzi `Kafka` (kafka.strimzi.io/v1beta2) with `KafkaNodePool`s in the team namespace.

    With controllers: that many dedicated KRaft controllers and `brokers` brokers; without: `brokers`
    nodes holding both roles. Replication factor min(brokers, 3), min ISR one less.
    """

    namespace: str                      # team namespace
    brokers: int                        # broker nodes (copies of the data, up to 3 per partition)
    controllers: int                    # dedicated KRaft controllers; 0: brokers are controllers too
    storage_class: str                  # storage class of the broker/controller volumes
    tags: Mapping[str, str]             # ownership tags, applied as labels
    storage_gib: int                    # log volume of one broker, GiB
    controller_storage_gib: int         # metadata volume of one dedicated controller, GiB
    kafka_version: str                  # Kafka version the Strimzi operator runs (the plan's, from the sites map)
    resources: Resources                # requests and limits of one node

    def __post_init__(self) -> None:
        if self.brokers < 1 or self.controllers < 0:
            raise ValueError("KafkaClusterArgs: at least one broker and no negative controller count")


class KafkaCluster(pulumi.ComponentResource):
    """Kafka with a TLS-only listener (mutual TLS authentication), simple authorization and tiered replication.

    Strimzi renders the pods and their PodDisruptionBudget; `template.podDisruptionBudget` sets it
    to one pod at a time rather than adding a second PDB over the same pods.
    """

    cluster_name: pulumi.Output[str]
    bootstrap_servers: pulumi.Output[str]
    cluster_ca_secret: pulumi.Output[str]

    def __init__(self, name: str, args: KafkaClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:k8s:KafkaCluster", name, None, opts)
        require_dns_label(name)
        labels = ownership_labels(args.tags)
        kafka = self._tls_only_kafka(name, args, labels)
        broker_size = f"{args.storage_gib}Gi"
        pools = (
            [("controller", ["controller"], args.controllers, f"{args.controller_storage_gib}Gi"),
             ("broker", ["broker"], args.brokers, broker_size)]
            if args.controllers
            else [("dual", ["controller", "broker"], args.brokers, broker_size)]
        )
        for pool, roles, replicas, size in pools:
            self._node_pool(name, args, labels, kafka, pool, roles, replicas, size)

        self.cluster_name = pulumi.Output.from_input(name)
        self.bootstrap_servers = pulumi.Output.from_input(f"{name}-kafka-bootstrap.{args.namespace}.svc:{TLS_PORT}")
        self.cluster_ca_secret = pulumi.Output.from_input(f"{name}-cluster-ca-cert")
        self.register_outputs({
            "cluster_name": self.cluster_name,
            "bootstrap_servers": self.bootstrap_servers,
            "cluster_ca_secret": self.cluster_ca_secret,
        })

    def _tls_only_kafka(self, name: str, args: KafkaClusterArgs, labels: dict[str, str]) -> k8s.apiextensions.CustomResource:
        """One listener, TLS with mutual-TLS authentication; simple authorization; restricted pods; tiered replication."""
        return k8s.apiextensions.CustomResource(
            f"{name}-kafka",
            api_version="kafka.strimzi.io/v1beta2",
            kind="Kafka",
            metadata={
                "name": name,
                "namespace": args.namespace,
                "labels": labels,
                "annotations": {"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"},
            },
            spec={
                "kafka": {
                    "version": args.kafka_version,
                    "listeners": [{
                        "name": "tls",
                        "port": TLS_PORT,
                        "type": "internal",
                        "tls": True,
                        "authentication": {"type": "tls"},
                    }],
                    "authorization": {"type": "simple"},
                    "config": _replication(args.brokers),
                    "template": {
                        "podDisruptionBudget": {"maxUnavailable": 1},
                        **RESTRICTED_POD_TEMPLATE,
                        "kafkaContainer": {"securityContext": RESTRICTED_CONTAINER},
                    },
                },
                "entityOperator": {
                    "topicOperator": {},
                    "userOperator": {},
                    "template": {
                        **RESTRICTED_POD_TEMPLATE,
                        "topicOperatorContainer": {"securityContext": RESTRICTED_CONTAINER},
                        "userOperatorContainer": {"securityContext": RESTRICTED_CONTAINER},
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _node_pool(self, name: str, args: KafkaClusterArgs, labels: dict[str, str], kafka: k8s.apiextensions.CustomResource,
                   pool: str, roles: list[str], replicas: int, size: str) -> None:
        """A KafkaNodePool of restricted pods on persistent claims that outlive the pool."""
        k8s.apiextensions.CustomResource(
            f"{name}-{pool}",
            api_version="kafka.strimzi.io/v1beta2",
            kind="KafkaNodePool",
            metadata={
                "name": f"{name}-{pool}",
                "namespace": args.namespace,
                "labels": {**labels, "strimzi.io/cluster": name},
            },
            spec={
                "replicas": replicas,
                "roles": roles,
                "storage": {"type": "jbod", "volumes": [{
                    "id": 0,
                    "type": "persistent-claim",
                    "size": size,
                    "class": args.storage_class,
                    "deleteClaim": False,
                    "kraftMetadata": "shared",
                }]},
                "resources": args.resources.spec(),
                "template": {**RESTRICTED_POD_TEMPLATE, "kafkaContainer": {"securityContext": RESTRICTED_CONTAINER}},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[kafka]),
        )
