"""RedisCache one cache per run: TLS only (plaintext port off, replication over TLS), a generated password kept in a
Secret readable by the pod's group only, restricted pods without a service-account token, bounded resources,
a PDB from two pods on, and a server certificate cert-manager keeps, checked against the real schemas."""

from __future__ import annotations

import pytest
from k8s_support import (
    ACCESS,
    LABELS,
    NS,
    PROMISE,
    RESOURCES,
    RESOURCES_SPEC,
    RESTRICTED_CONTAINER,
    one_named,
    restricted_pod,
    run,
)

import engine
from blueprints.plan import RedisStatefulSet
from components.kubernetes.redis import RedisCache, RedisCacheArgs
from tests.kube_schema import assert_valid

STS = "kubernetes:apps/v1:StatefulSet"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
SELECTOR = {"app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "cache"}
PING = ('REDISCLI_AUTH="$(cat /etc/redis-auth/password)" redis-cli --tls --cacert /etc/redis-tls/ca.crt '
        "-h localhost -p 6379 ping | grep -q PONG")
REDIS_CONF = (
    "port 0\ntls-port 6379\n"
    "tls-cert-file /etc/redis-tls/tls.crt\ntls-key-file /etc/redis-tls/tls.key\ntls-ca-cert-file /etc/redis-tls/ca.crt\n"
    "tls-auth-clients no\ntls-replication yes\nbind 0.0.0.0\nprotected-mode yes\n"
    "dir /data\nappendonly yes\nappendfsync everysec\nmaxmemory-policy volatile-lru\n"
    'rename-command FLUSHALL ""\nrename-command CONFIG ""\ninclude /etc/redis-auth/auth.conf\n'
)


def _render(replicas: int) -> engine.Capture:
    plan = RedisStatefulSet(**PROMISE, storage_gib=5, replicas=replicas, image="redis:7.4.6", certificate_issuer="platform-ca",
                            resources=RESOURCES, password_rotation_days=30)
    return run(lambda: RedisCache("cache", RedisCacheArgs(plan=plan, access=ACCESS, maxmemory_policy="volatile-lru")))


@pytest.fixture(scope="module")
def pair() -> engine.Capture:
    return _render(2)


def _pod(capture: engine.Capture) -> dict:
    return capture.one(STS).inputs["spec"]["template"]["spec"]


def test_every_object_validates_against_the_kubernetes_and_cert_manager_schemas(pair):
    assert assert_valid(pair) == 7


def test_the_pods_are_restricted_bounded_and_carry_no_service_account_token(pair):
    pod, urn = _pod(pair), pair.one(STS).urn
    assert pod["automountServiceAccountToken"] is False, urn
    assert pod["securityContext"] == restricted_pod(10001), urn
    (container,) = pod["containers"]
    assert container["securityContext"] == RESTRICTED_CONTAINER, urn
    assert container["resources"] == RESOURCES_SPEC, urn


def test_the_password_and_the_certificate_are_mounted_read_only_for_the_pods_group_only(pair):
    pod = _pod(pair)
    assert pod["volumes"][1:] == [
        {"name": "run", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
        {"name": "auth", "secret": {"secretName": "cache-auth", "defaultMode": 0o440}},
        {"name": "tls", "secret": {"secretName": "cache-tls", "defaultMode": 0o440}},
    ], pair.one(STS).urn
    assert pod["volumes"][0] == {"name": "config", "configMap": {"name": "cache-config"}}
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "data", "mountPath": "/data"},
        {"name": "config", "mountPath": "/etc/redis", "readOnly": True},
        {"name": "run", "mountPath": "/run/redis"},
        {"name": "auth", "mountPath": "/etc/redis-auth", "readOnly": True},
        {"name": "tls", "mountPath": "/etc/redis-tls", "readOnly": True},
    ]


def test_the_probes_authenticate_over_tls_from_the_mounted_file(pair):
    container = _pod(pair)["containers"][0]
    probe = {"exec": {"command": ["sh", "-c", PING]}}
    assert container["readinessProbe"] == {**probe, "periodSeconds": 5}
    assert container["livenessProbe"] == {**probe, "initialDelaySeconds": 15, "periodSeconds": 10}
    assert container["env"] == [{"name": "PRIMARY_HOST", "value": "cache-0.cache-headless"}]
    assert "envFrom" not in container


def test_the_password_is_long_generated_and_only_in_a_secret(pair):
    password = pair.one("random:index/randomPassword:RandomPassword")
    assert (password.inputs["length"], password.inputs["special"]) == (32, False), password.urn
    secret = one_named(pair, "kubernetes:core/v1:Secret", "cache-auth")
    assert (secret.inputs["type"], secret.inputs["stringData"]) == ("Opaque", engine.SECRET), secret.urn
    outputs = pair.component_outputs[pair.one("cloud-blueprints:k8s:RedisCache").urn]
    assert outputs == {"service_host": f"cache.{NS}.svc", "port": 6379, "auth_secret_name": "cache-auth",
                       "password": engine.SECRET}


def test_redis_serves_tls_only_and_replicates_over_tls(pair):
    config = one_named(pair, "kubernetes:core/v1:ConfigMap", "cache-config")
    assert config.inputs["data"] == {"redis.conf": REDIS_CONF}, config.urn


def test_the_server_certificate_is_a_rotating_p256_key_from_the_platform_issuer(pair):
    certificate = pair.one(CERTIFICATE)
    assert certificate.inputs["spec"] == {
        "secretName": "cache-tls",
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "platform-ca"},
        "dnsNames": ["cache", f"cache.{NS}.svc", "*.cache-headless", f"*.cache-headless.{NS}.svc", "localhost"],
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": ["server auth", "client auth"],
        "secretTemplate": {"labels": LABELS},
    }, certificate.urn
    assert certificate.urn in pair.one(STS).dependencies, "the pods would start before their certificate exists"


@pytest.mark.parametrize("replicas", [1, 2, 3])
def test_two_pods_or_more_get_a_pdb_that_drains_one_at_a_time_and_one_pod_gets_none(replicas):
    capture = _render(replicas)
    sts = capture.one(STS)
    assert sts.inputs["spec"]["replicas"] == replicas, sts.urn
    assert sts.inputs["spec"]["podManagementPolicy"] == "OrderedReady", sts.urn
    pdbs = capture.by_type(PDB)
    if replicas == 1:
        assert pdbs == [], "a PDB over one pod would block every node drain"
        return
    (pdb,) = pdbs
    assert pdb.inputs["metadata"] == {"name": "cache", "namespace": NS, "labels": LABELS}, pdb.urn
    assert pdb.inputs["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": SELECTOR}}, pdb.urn


def test_the_data_volumes_use_the_namespaces_storage_class(pair):
    (claim,) = pair.one(STS).inputs["spec"]["volumeClaimTemplates"]
    assert claim == {"metadata": {"name": "data", "labels": LABELS}, "spec": {
        "accessModes": ["ReadWriteOnce"], "storageClassName": "vsan-encrypted",
        "resources": {"requests": {"storage": "5Gi"}}}}, pair.one(STS).urn


def test_the_client_service_reaches_the_primary_only():
    capture = _render(1)
    client = one_named(capture, "kubernetes:core/v1:Service", "cache")
    assert client.inputs["spec"]["selector"] == {**SELECTOR, "statefulset.kubernetes.io/pod-name": "cache-0"}, client.urn
    headless = one_named(capture, "kubernetes:core/v1:Service", "cache-headless")
    assert headless.inputs["spec"]["clusterIP"] == "None", headless.urn
