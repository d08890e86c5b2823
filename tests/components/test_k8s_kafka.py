"""KafkaCluster (Strimzi, KRaft) one cluster per run: the one listener is TLS with mutual-TLS authentication, simple
authorization, restricted pods for brokers, controllers and the entity operator, one pod drained at a time, claims
kept when a pool goes, and replication that loses no acknowledged write from three brokers on; checked against
Strimzi's own CRDs."""

from __future__ import annotations

import dataclasses

import k8s_support as kube
import pytest

import engine
from blueprints.plan import StrimziKafka
from components.kubernetes.kafka import KafkaCluster, KafkaClusterArgs
from tests.kube_schema import assert_valid

KAFKA = "kubernetes:kafka.strimzi.io/v1beta2:Kafka"
POOL = "kubernetes:kafka.strimzi.io/v1beta2:KafkaNodePool"
BROKER_POD = {"pod": {"metadata": {"labels": {"cloud-blueprints.io/data-service": "kafka"}},
                      "securityContext": kube.restricted_pod(10001)}}
OPERATOR_POD = {"pod": {"metadata": {"labels": {"cloud-blueprints.io/data-service": "kafka",
                                                "cloud-blueprints.io/kubernetes-api": "true"}},
                        "securityContext": kube.restricted_pod(10001)}}


def _plan(brokers: int, controllers: int) -> StrimziKafka:
    return StrimziKafka(**kube.PROMISE, replicas=brokers, controllers=controllers, storage_gib=100, controller_storage_gib=10,
                        engine_version="3.9.1", resources=kube.RESOURCES)


def _render(brokers: int, controllers: int) -> engine.Capture:
    return kube.run(lambda: KafkaCluster("events", KafkaClusterArgs(plan=_plan(brokers, controllers), access=kube.ACCESS)))


def _replication(factor: int, min_isr: int) -> dict[str, int]:
    return {"default.replication.factor": factor, "min.insync.replicas": min_isr,
            "offsets.topic.replication.factor": factor, "transaction.state.log.replication.factor": factor,
            "transaction.state.log.min.isr": min_isr}


@pytest.fixture(scope="module")
def dedicated() -> engine.Capture:
    return _render(3, 3)


def test_every_custom_resource_validates_against_strimzis_crds(dedicated):
    assert assert_valid(dedicated) == 3
    assert assert_valid(_render(1, 0)) == 2


def test_the_only_listener_is_tls_with_mutual_tls_authentication_and_acls_decide(dedicated):
    kafka = dedicated.one(KAFKA)
    assert kafka.inputs["metadata"] == {"name": "events", "namespace": kube.NS, "labels": kube.LABELS, "annotations": {
        "strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"}}, kafka.urn
    assert kafka.inputs["spec"]["kafka"] == {
        "version": "3.9.1",
        "listeners": [{"name": "tls", "port": 9093, "type": "internal", "tls": True, "authentication": {"type": "tls"}}],
        "authorization": {"type": "simple"},
        "config": _replication(3, 2),
        "template": {"podDisruptionBudget": {"maxUnavailable": 1}, **BROKER_POD,
                     "kafkaContainer": {"securityContext": kube.RESTRICTED_CONTAINER}},
    }, kafka.urn


def test_the_entity_operator_runs_restricted_and_may_reach_the_api_server(dedicated):
    kafka = dedicated.one(KAFKA)
    assert kafka.inputs["spec"]["entityOperator"] == {"topicOperator": {}, "userOperator": {}, "template": {
        **OPERATOR_POD,
        "topicOperatorContainer": {"securityContext": kube.RESTRICTED_CONTAINER},
        "userOperatorContainer": {"securityContext": kube.RESTRICTED_CONTAINER},
    }}, kafka.urn


@pytest.mark.parametrize(("brokers", "factor", "min_isr"), [(1, 1, 1), (2, 2, 1), (3, 3, 2), (4, 3, 2), (6, 3, 2)])
def test_replication_keeps_up_to_three_copies_and_acknowledges_on_all_but_one(brokers, factor, min_isr):
    kafka = _render(brokers, 0).one(KAFKA)
    assert kafka.inputs["spec"]["kafka"]["config"] == _replication(factor, min_isr), kafka.urn


def _pool(name: str, roles: list[str], replicas: int, size: str) -> dict:
    return {
        "metadata": {"name": name, "namespace": kube.NS, "labels": {**kube.LABELS, "strimzi.io/cluster": "events"}},
        "spec": {
            "replicas": replicas,
            "roles": roles,
            "storage": {"type": "jbod", "volumes": [{"id": 0, "type": "persistent-claim", "size": size,
                                                     "class": "vsan-encrypted", "deleteClaim": False,
                                                     "kraftMetadata": "shared"}]},
            "resources": kube.RESOURCES_SPEC,
            "template": {**BROKER_POD, "kafkaContainer": {"securityContext": kube.RESTRICTED_CONTAINER}},
        },
    }


def _pools(capture: engine.Capture) -> list[dict]:
    pools = [{k: p.inputs[k] for k in ("metadata", "spec")} for p in capture.by_type(POOL)]
    return sorted(pools, key=lambda p: p["metadata"]["name"])


def test_dedicated_controllers_get_a_pool_of_their_own_on_restricted_pods_keeping_their_claims(dedicated):
    assert _pools(dedicated) == [_pool("events-broker", ["broker"], 3, "100Gi"),
                                 _pool("events-controller", ["controller"], 3, "10Gi")]
    kafka = dedicated.one(KAFKA).urn
    assert all(kafka in p.dependencies for p in dedicated.by_type(POOL)), "a node pool before its Kafka is orphaned"


def test_without_dedicated_controllers_the_brokers_hold_both_roles():
    assert _pools(_render(1, 0)) == [_pool("events-dual", ["controller", "broker"], 1, "100Gi")]


def test_the_outputs_name_the_tls_bootstrap_and_the_cluster_ca(dedicated):
    outputs = dedicated.component_outputs[dedicated.one("cloud-blueprints:k8s:KafkaCluster").urn]
    assert outputs == {"cluster_name": "events", "bootstrap_servers": f"events-kafka-bootstrap.{kube.NS}.svc:9093",
                       "cluster_ca_secret": "events-cluster-ca-cert"}


@pytest.mark.parametrize(("brokers", "controllers"), [(0, 0), (0, 3), (1, -1), (-1, 0)])
def test_no_broker_or_a_negative_controller_count_is_refused(brokers, controllers):
    with pytest.raises(ValueError, match="KafkaClusterArgs: at least one broker and no negative controller count"):
        KafkaClusterArgs(plan=_plan(brokers, controllers), access=kube.ACCESS)


def test_one_broker_without_controllers_is_the_smallest_cluster_accepted():
    assert KafkaClusterArgs(plan=_plan(1, 0), access=kube.ACCESS).plan.replicas == 1


def test_accepted_args_cannot_be_given_a_plan_their_check_would_refuse():
    args = KafkaClusterArgs(plan=_plan(3, 3), access=kube.ACCESS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        args.plan = _plan(0, 0)
