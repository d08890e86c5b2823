"""KafkaCluster: Apache Kafka in KRaft mode, run by the Strimzi operator with node pools."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from blueprints.plan import StrimziKafka
from blueprints.plan.flows import DATA_SERVICE_LABEL, KUBERNETES_API_LABEL
from components.kubernetes.data_service import (
    RESTRICTED_CONTAINER,
    NamespaceAccess,
    ownership_labels,
    require_dns_label,
    resources_spec,
    restricted_pod,
)

TLS_PORT = StrimziKafka.client_port
KAFKA_UID = 10001
"""Strimzi images run under any UID (Strimzi mounts /tmp as a volume; data volumes are ours via fsGroup)."""
BROKER_POD_LABELS = {DATA_SERVICE_LABEL: "kafka"}
"""Labels of broker and controller pods: the tenancy's flows select them (blueprints.plan.flows)."""
ENTITY_OPERATOR_POD_LABELS = {DATA_SERVICE_LABEL: "kafka", KUBERNETES_API_LABEL: "true"}
"""The entity operator watches KafkaTopic and KafkaUser resources: its pods reach the API server."""


def _restricted_pod_template(labels: dict[str, str]) -> dict:
    """Strimzi's `template.pod`: restricted, and labelled for the namespace's network policies."""
    return {"pod": {"metadata": {"labels": labels}, "securityContext": restricted_pod(KAFKA_UID)}}


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

    With controllers: that many dedicated KRaft controllers and `replicas` brokers; without: `replicas`
    nodes holding both roles. Replication factor min(brokers, 3), min ISR one less.
    """

    plan: StrimziKafka                  # brokers (copies of the data, up to 3 per partition), dedicated KRaft
                                        # controllers (0: brokers are controllers too), volumes, Kafka version, resources
    access: NamespaceAccess             # team namespace, storage class, ownership tags (labels)

    def __post_init__(self) -> None:
        if self.plan.replicas < 1 or self.plan.controllers < 0:
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
        plan = args.plan
        labels = ownership_labels(args.access.tags)
        kafka = self._tls_only_kafka(name, args, labels)
        broker_size = f"{plan.storage_gib}Gi"
        pools = (
            [("controller", ["controller"], plan.controllers, f"{plan.controller_storage_gib}Gi"),
             ("broker", ["broker"], plan.replicas, broker_size)]
            if plan.controllers
            else [("dual", ["controller", "broker"], plan.replicas, broker_size)]
        )
        for pool, roles, replicas, size in pools:
            self._node_pool(name, args, labels, kafka, pool, roles, replicas, size)

        self.cluster_name = pulumi.Output.from_input(name)
        self.bootstrap_servers = pulumi.Output.from_input(f"{name}-kafka-bootstrap.{args.access.namespace}.svc:{TLS_PORT}")
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
                "namespace": args.access.namespace,
                "labels": labels,
                "annotations": {"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"},
            },
            spec={
                "kafka": {
                    "version": args.plan.engine_version,
                    "listeners": [{
                        "name": "tls",
                        "port": TLS_PORT,
                        "type": "internal",
                        "tls": True,
                        "authentication": {"type": "tls"},
                    }],
                    "authorization": {"type": "simple"},
                    "config": _replication(args.plan.replicas),
                    "template": {
                        "podDisruptionBudget": {"maxUnavailable": 1},
                        **_restricted_pod_template(BROKER_POD_LABELS),
                        "kafkaContainer": {"securityContext": RESTRICTED_CONTAINER},
                    },
                },
                "entityOperator": {
                    "topicOperator": {},
                    "userOperator": {},
                    "template": {
                        **_restricted_pod_template(ENTITY_OPERATOR_POD_LABELS),
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
                "namespace": args.access.namespace,
                "labels": {**labels, "strimzi.io/cluster": name},
            },
            spec={
                "replicas": replicas,
                "roles": roles,
                "storage": {"type": "jbod", "volumes": [{
                    "id": 0,
                    "type": "persistent-claim",
                    "size": size,
                    "class": args.access.storage_class,
                    "deleteClaim": False,
                    "kraftMetadata": "shared",
                }]},
                "resources": resources_spec(args.plan.resources),
                "template": {**_restricted_pod_template(BROKER_POD_LABELS), "kafkaContainer": {"securityContext": RESTRICTED_CONTAINER}},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[kafka]),
        )
