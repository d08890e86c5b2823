"""Operator-run data services: CNPG Postgres, Strimzi Kafka, Redis StatefulSet, by tier."""

from __future__ import annotations

import pytest

import engine
from blueprints.plan import CnpgPostgres, ContainerResources, RedisStatefulSet, StrimziKafka
from components.kubernetes.data_service import NamespaceAccess
from components.kubernetes.kafka import KafkaCluster, KafkaClusterArgs
from components.kubernetes.postgres import PostgresCluster, PostgresClusterArgs
from components.kubernetes.redis import ROTATION_ANNOTATION, RedisCache, RedisCacheArgs
from tests.kube_schema import assert_valid, builtin_api_version

NS = "payments-prod"
TAGS = {"team": "payments", "owner": "alice@example.com", "env": "prod", "cost-center": "cc-42", "blueprint": "web-service"}
PG = "kubernetes:postgresql.cnpg.io/v1:Cluster"
KAFKA = "kubernetes:kafka.strimzi.io/v1beta2:Kafka"
POOL = "kubernetes:kafka.strimzi.io/v1beta2:KafkaNodePool"
STS = "kubernetes:apps/v1:StatefulSet"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"


PG_IMAGE = "ghcr.io/cloudnative-pg/postgresql:16.15-system-bookworm@sha256:" + "0" * 64
REDIS_IMAGE = "redis:7.4.6@sha256:" + "1" * 64
RES = ContainerResources("500m", "1", "1Gi", "2Gi")
PROMISE = dict(size="M", vcpu=1, memory_gib=2, version=None, backup_retention_days=None)


def redis_args(namespace: str, storage_class: str, replicas: int) -> RedisCacheArgs:
    plan = RedisStatefulSet(**PROMISE, storage_gib=5, replicas=replicas, image=REDIS_IMAGE, certificate_issuer="platform-ca",
                            resources=ContainerResources("100m", "1", "256Mi", "512Mi"), password_rotation_days=30)
    return RedisCacheArgs(plan=plan, access=NamespaceAccess(namespace, storage_class, TAGS))


def _program(prod: bool):
    copies = 3 if prod else 1

    def program():
        PostgresCluster("orders-db", PostgresClusterArgs(
            plan=CnpgPostgres(**{**PROMISE, "backup_retention_days": 30 if prod else 7}, replicas=copies, storage_gib=20,
                              image=PG_IMAGE, resources=RES),
            access=NamespaceAccess(NS, "vsan-default", TAGS), backup_destination="s3://pg-backups/payments",
            backup_credentials_secret="pg-backup-creds", backup_endpoint_url="https://objects.dc1.example.internal",
        ))
        KafkaCluster("events", KafkaClusterArgs(
            plan=StrimziKafka(**PROMISE, replicas=copies, controllers=3 if prod else 0, storage_gib=100,
                              controller_storage_gib=10, engine_version="3.9.1", resources=RES),
            access=NamespaceAccess(NS, "vsan-default", TAGS),
        ))
        RedisCache("cache", redis_args(NS, "vsan-default", copies))

    return program


@pytest.fixture(scope="module")
def prod():
    return engine.run(_program(True), stack="payments-prod")


@pytest.fixture(scope="module")
def nonprod():
    return engine.run(_program(False), stack="payments-dev")


@pytest.fixture(scope="module", params=["prod", "nonprod"])
def either(request, prod, nonprod):
    return {"prod": prod, "nonprod": nonprod}[request.param]


def test_every_rendered_object_matches_the_kubernetes_and_operator_schemas(either):
    assert assert_valid(either) >= 5


def test_everything_lives_in_the_namespace_with_ownership_labels_under_its_component(either):
    components = {r.urn for r in either.resources if r.type.startswith("cloud-blueprints:k8s:")}
    for r in either.resources:
        if r.type.startswith("kubernetes:"):
            meta = r.inputs["metadata"]
            assert meta["namespace"] == NS, r.urn
            assert meta["labels"]["team"] == "payments" and meta["labels"]["cost-center"] == "cc-42", r.urn
        if r.custom:
            assert r.parent in components, f"{r.urn} parent {r.parent}"


def test_postgres_tiers_backup_and_monitoring(prod, nonprod):
    spec = prod.one(PG).inputs["spec"]
    assert spec["instances"] == 3 and nonprod.one(PG).inputs["spec"]["instances"] == 1
    assert spec["enablePDB"] is True and nonprod.one(PG).inputs["spec"]["enablePDB"] is False
    assert spec["affinity"]["podAntiAffinityType"] == "required"
    assert spec["storage"] == {"size": "20Gi", "storageClass": "vsan-default"}
    store = spec["backup"]["barmanObjectStore"]
    assert store["destinationPath"] == "s3://pg-backups/payments"
    assert store["endpointURL"] == "https://objects.dc1.example.internal"
    assert store["s3Credentials"]["accessKeyId"] == {"name": "pg-backup-creds", "key": "ACCESS_KEY_ID"}
    assert store["s3Credentials"]["secretAccessKey"] == {"name": "pg-backup-creds", "key": "ACCESS_SECRET_KEY"}
    assert spec["backup"]["retentionPolicy"] == "30d"
    assert "monitoring" not in spec, "enablePodMonitor is deprecated in CloudNativePG 1.30"
    assert spec["enableSuperuserAccess"] is False
    assert spec["seccompProfile"] == {"type": "RuntimeDefault"}
    assert set(spec["resources"]) == {"requests", "limits"}
    assert spec["bootstrap"]["initdb"] == {"database": "app", "owner": "app"}
    backup = prod.one("kubernetes:postgresql.cnpg.io/v1:ScheduledBackup")
    assert backup.inputs["spec"]["cluster"] == {"name": "orders-db"}, backup.urn
    assert backup.inputs["spec"]["method"] == "barmanObjectStore", backup.urn


def test_kafka_kraft_node_pools_and_replication(prod, nonprod):
    kafka = prod.one(KAFKA)
    annotations = kafka.inputs["metadata"]["annotations"]
    assert annotations == {"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"}, kafka.urn
    listeners = kafka.inputs["spec"]["kafka"]["listeners"]
    assert listeners and all(l["tls"] is True and l["authentication"]["type"] == "tls" for l in listeners), kafka.urn
    config = kafka.inputs["spec"]["kafka"]["config"]
    assert (config["default.replication.factor"], config["min.insync.replicas"]) == (3, 2), kafka.urn
    dev_config = nonprod.one(KAFKA).inputs["spec"]["kafka"]["config"]
    assert (dev_config["default.replication.factor"], dev_config["min.insync.replicas"]) == (1, 1)
    assert {"topicOperator", "userOperator"} <= set(kafka.inputs["spec"]["entityOperator"]), kafka.urn

    pools = {p.inputs["metadata"]["name"]: p.inputs for p in prod.by_type(POOL)}
    assert {n: (p["spec"]["roles"], p["spec"]["replicas"]) for n, p in pools.items()} == {
        "events-controller": (["controller"], 3),
        "events-broker": (["broker"], 3),
    }
    dev_pools = nonprod.by_type(POOL)
    assert [(p.inputs["spec"]["roles"], p.inputs["spec"]["replicas"]) for p in dev_pools] == [(["controller", "broker"], 1)]
    for pool in prod.by_type(POOL) + dev_pools:
        assert pool.inputs["metadata"]["labels"]["strimzi.io/cluster"] == "events", pool.urn
        volume = pool.inputs["spec"]["storage"]["volumes"][0]
        assert pool.inputs["spec"]["storage"]["type"] == "jbod" and volume["type"] == "persistent-claim", pool.urn
        assert volume["class"] == "vsan-default" and volume["deleteClaim"] is False, pool.urn
        ctx = pool.inputs["spec"]["template"]["kafkaContainer"]["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"]["drop"] == ["ALL"], pool.urn


def _redis_pod(capture):
    return capture.one(STS).inputs["spec"]["template"]["spec"]


def test_redis_pods_are_restricted_and_bounded(either):
    sts = either.one(STS)
    pod = _redis_pod(either)
    assert pod["securityContext"]["runAsNonRoot"] is True, sts.urn
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", sts.urn
    assert pod["automountServiceAccountToken"] is False, sts.urn
    for container in pod["containers"]:
        ctx = container["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False and ctx["privileged"] is False, sts.urn
        assert ctx["capabilities"]["drop"] == ["ALL"] and ctx["readOnlyRootFilesystem"] is True, sts.urn
        assert set(container["resources"]["requests"]) == {"cpu", "memory"}, sts.urn
        assert set(container["resources"]["limits"]) == {"cpu", "memory"}, sts.urn
    claim = sts.inputs["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["storageClassName"] == "vsan-default", sts.urn


def test_redis_password_is_a_generated_secret_read_from_a_mounted_file(either):
    password = either.one("random:index/randomPassword:RandomPassword")
    assert password.inputs["length"] >= 32, password.urn
    secret = either.one("kubernetes:core/v1:Secret")
    assert secret.inputs["stringData"] == engine.SECRET, secret.urn
    pod = _redis_pod(either)
    container = pod["containers"][0]
    assert not [e for e in container.get("env", []) if "valueFrom" in e or "PASS" in e["name"] or "AUTH" in e["name"]], \
        f"{secret.urn}: the password must not be in the environment"
    assert "envFrom" not in container
    auth = next(v for v in pod["volumes"] if "secret" in v)
    assert auth["secret"] == {"secretName": "cache-auth", "defaultMode": 0o440}
    mount = next(m for m in container["volumeMounts"] if m["name"] == auth["name"])
    assert mount["readOnly"] is True
    config = either.one("kubernetes:core/v1:ConfigMap").inputs["data"]["redis.conf"]
    assert f"include {mount['mountPath']}/auth.conf" in config, "redis reads requirepass from the mounted file"
    assert "requirepass" not in config and "appendonly yes" in config
    script = container["command"][-1]
    assert "requirepass" not in script and "$REDIS_PASSWORD" not in script
    probe = container["readinessProbe"]["exec"]["command"][-1]
    assert f"{mount['mountPath']}/password" in probe and " -a " not in probe
    component = either.one("cloud-blueprints:k8s:RedisCache")
    assert either.component_outputs[component.urn]["password"] == engine.SECRET, component.urn


def test_redis_password_rotates_on_the_plans_schedule_and_rolls_the_pods(either):
    rotation = either.one("time:index/rotating:Rotating")
    assert rotation.inputs["rotationDays"] == 30, rotation.urn
    assert "rfc3339" not in rotation.inputs, f"{rotation.urn}: a fixed base would expire at every run after the first"
    password = either.one("random:index/randomPassword:RandomPassword")
    assert password.inputs["keepers"] == {"rotation": rotation.outputs["rfc3339"]}, \
        f"{password.urn}: the password would outlive its rotation"
    annotations = either.one(STS).inputs["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {ROTATION_ANNOTATION: rotation.outputs["rfc3339"]}, \
        "redis reads its password at start: without the annotation the pods keep the old one"


def test_redis_tier_replicas_and_disruption_budget(prod, nonprod):
    assert prod.one(STS).inputs["spec"]["replicas"] == 3
    assert nonprod.one(STS).inputs["spec"]["replicas"] == 1
    pdb = prod.one(PDB)
    assert pdb.inputs["spec"]["maxUnavailable"] == 1, pdb.urn
    assert pdb.inputs["spec"]["selector"]["matchLabels"] == prod.one(STS).inputs["spec"]["selector"]["matchLabels"], pdb.urn
    assert nonprod.by_type(PDB) == []
    client = next(s for s in prod.by_type("kubernetes:core/v1:Service") if s.inputs["metadata"]["name"] == "cache")
    assert client.inputs["spec"]["selector"]["statefulset.kubernetes.io/pod-name"] == "cache-0", client.urn
    headless = next(s for s in prod.by_type("kubernetes:core/v1:Service") if s.inputs["metadata"]["name"] == "cache-headless")
    assert headless.inputs["spec"]["clusterIP"] == "None", headless.urn


def test_component_outputs(prod):
    outputs = {r.type.rsplit(":", 1)[1]: prod.component_outputs[r.urn] for r in prod.resources if r.type.startswith("cloud-blueprints:k8s:")}
    assert outputs["PostgresCluster"] == {"cluster_name": "orders-db", "rw_service": f"orders-db-rw.{NS}.svc", "port": 5432,
                                          "app_secret_name": "orders-db-app"}
    assert outputs["KafkaCluster"]["bootstrap_servers"] == f"events-kafka-bootstrap.{NS}.svc:9093"
    assert outputs["RedisCache"]["service_host"] == f"cache.{NS}.svc" and outputs["RedisCache"]["port"] == 6379


def test_custom_resources_are_not_schema_checked_but_builtins_are():
    assert builtin_api_version(PG) is None and builtin_api_version(KAFKA) is None
    assert builtin_api_version("kubernetes:cluster.x-k8s.io/v1beta1:Cluster") is None
    assert builtin_api_version(STS) == ("apps/v1", "StatefulSet")
    assert builtin_api_version("kubernetes:core/v1:Namespace") == ("v1", "Namespace")
    assert builtin_api_version("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding") == ("rbac.authorization.k8s.io/v1", "RoleBinding")


def test_names_that_break_operator_suffixes_are_refused():
    with pytest.raises(engine.ProgramError):
        engine.run(lambda: RedisCache("Cache_1", redis_args(NS, "sc", 1)))
