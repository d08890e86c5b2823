"""RedisCache: Redis as a StatefulSet with persistence and a generated password kept in a Secret."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import pulumiverse_time as time

from blueprints.plan import RedisStatefulSet
from blueprints.plan.flows import DATA_SERVICE_LABEL
from components.kubernetes.data_service import (
    RESTRICTED_CONTAINER,
    NamespaceAccess,
    ownership_labels,
    pod_disruption_budget,
    require_dns_label,
    resources_spec,
    restricted_pod,
)

PORT = RedisStatefulSet.client_port
REDIS_UID = 10001
"""Above the host's system and user ranges; redis-server needs no passwd entry and /data is ours via fsGroup."""
AUTH_DIR = "/etc/redis-auth"
ROTATION_ANNOTATION = "cloud-blueprints.io/password-rotation"
"""Pod-template annotation: when the password was last rotated."""
TLS_DIR = "/etc/redis-tls"

# The password lives only in the Secret, mounted as files: `auth.conf` (included by redis.conf) and
# `password` (for the probe). Nothing secret is in the environment, a command line or the ConfigMap.
# Pod 0 is the primary; the others replicate from it.
_ENTRYPOINT = """set -eu
{
  cat /etc/redis/redis.conf
  case "$HOSTNAME" in
    *-0) ;;
    *) echo "replicaof $PRIMARY_HOST %d" ;;
  esac
} > /run/redis/redis.conf
exec redis-server /run/redis/redis.conf
""" % PORT
# redis-cli reads REDISCLI_AUTH; set for this one command, it stays off the pod spec and argv.
_PING = ('REDISCLI_AUTH="$(cat %s/password)" redis-cli --tls --cacert %s/ca.crt -h localhost -p %d ping | grep -q PONG'
         % (AUTH_DIR, TLS_DIR, PORT))


@dataclass(frozen=True)
class RedisCacheArgs:
    """A Redis StatefulSet in the team namespace: a primary and replicas, with a PDB when more than one pod."""

    plan: RedisStatefulSet              # pods (a primary and replicas-1 replicas), volume GiB per pod, image, resources
    access: NamespaceAccess             # team namespace, storage class, ownership tags (labels)
    maxmemory_policy: str = "allkeys-lru"  # eviction policy; default allkeys-lru


class RedisCache(pulumi.ComponentResource):
    """Redis over TLS only, with append-only persistence, password auth from a mounted generated secret and restricted pods.

    Children: a RandomPassword, a Secret holding it, a cert-manager Certificate (its key and certificate
    land in a Secret cert-manager keeps and renews), a ConfigMap (redis.conf without secrets), a
    headless Service for the pods, a client Service for the primary, the StatefulSet and, with more
    than one pod, a PodDisruptionBudget. Replicas follow pod 0 over TLS; failover is manual (no Sentinel).
    The plaintext port is off (`port 0`), as ElastiCache's transit encryption `required` is on AWS.
    """

    service_host: pulumi.Output[str]
    port: pulumi.Output[int]
    auth_secret_name: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(self, name: str, args: RedisCacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:k8s:RedisCache", name, None, opts)
        require_dns_label(name)
        labels = ownership_labels(args.access.tags)
        selector = {"app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": name}
        rotation = time.Rotating(f"{name}-password-rotation", rotation_days=args.plan.password_rotation_days,
                                 opts=pulumi.ResourceOptions(parent=self))
        password, secret = self._generated_password_in_a_secret(name, args, labels, rotation)
        config = self._config_without_secrets(name, args, labels)
        service = self._services(name, args, labels, selector)
        certificate = self._server_certificate(name, args, labels)
        self._statefulset(name, args, labels, selector, config, secret, certificate, rotation)
        if args.plan.replicas > 1:
            pod_disruption_budget(name, args.access.namespace, selector, labels, parent=self)

        self.service_host = service.metadata.apply(lambda m: f"{m['name']}.{m['namespace']}.svc")
        self.port = pulumi.Output.from_input(PORT)
        self.auth_secret_name = secret.metadata.apply(lambda m: m["name"])
        self.password = pulumi.Output.secret(password.result)
        self.register_outputs({
            "service_host": self.service_host,
            "port": self.port,
            "auth_secret_name": self.auth_secret_name,
            "password": self.password,
        })

    def _generated_password_in_a_secret(self, name: str, args: RedisCacheArgs, labels: dict[str, str],
                                        rotation: time.Rotating) -> tuple[random.RandomPassword, k8s.core.v1.Secret]:
        """A generated password, kept only in a Secret as `password` and as the `auth.conf` redis.conf includes.

        It is generated anew with each rotation: the Rotating resource is replaced at the first `pulumi up` after
        its rotation time, which changes the password's keeper."""
        child = pulumi.ResourceOptions(parent=self)
        password = random.RandomPassword(f"{name}-password", length=32, special=False,
                                         keepers={"rotation": rotation.rfc3339}, opts=child)
        secret = k8s.core.v1.Secret(
            f"{name}-auth",
            metadata={"name": f"{name}-auth", "namespace": args.access.namespace, "labels": labels},
            type="Opaque",
            string_data={
                "password": password.result,
                "auth.conf": password.result.apply(lambda p: f"requirepass {p}\nmasterauth {p}\n"),
            },
            opts=child,
        )
        return password, secret

    def _config_without_secrets(self, name: str, args: RedisCacheArgs, labels: dict[str, str]) -> k8s.core.v1.ConfigMap:
        """redis.conf: protected mode, append-only persistence, FLUSHALL and CONFIG disabled, auth from the Secret."""
        return k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={"name": f"{name}-config", "namespace": args.access.namespace, "labels": labels},
            data={"redis.conf": "\n".join([
                "port 0",
                f"tls-port {PORT}",
                f"tls-cert-file {TLS_DIR}/tls.crt",
                f"tls-key-file {TLS_DIR}/tls.key",
                f"tls-ca-cert-file {TLS_DIR}/ca.crt",
                "tls-auth-clients no",
                "tls-replication yes",
                "bind 0.0.0.0",
                "protected-mode yes",
                "dir /data",
                "appendonly yes",
                "appendfsync everysec",
                f"maxmemory-policy {args.maxmemory_policy}",
                'rename-command FLUSHALL ""',
                'rename-command CONFIG ""',
                f"include {AUTH_DIR}/auth.conf",
                "",
            ])},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _server_certificate(self, name: str, args: RedisCacheArgs,
                            labels: dict[str, str]) -> k8s.apiextensions.CustomResource:
        """The pods' server certificate, for the client Service, each pod by the headless Service, and the probe."""
        ns = args.access.namespace
        return k8s.apiextensions.CustomResource(
            f"{name}-certificate",
            api_version="cert-manager.io/v1",
            kind="Certificate",
            metadata={"name": f"{name}-tls", "namespace": ns, "labels": labels},
            spec={
                "secretName": f"{name}-tls",
                "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": args.plan.certificate_issuer},
                "dnsNames": [name, f"{name}.{ns}.svc", f"*.{name}-headless", f"*.{name}-headless.{ns}.svc", "localhost"],
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                "usages": ["server auth", "client auth"],
                "secretTemplate": {"labels": labels},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _services(self, name: str, args: RedisCacheArgs, labels: dict[str, str],
                  selector: dict[str, str]) -> k8s.core.v1.Service:
        """A headless Service for the pods and a client Service for the primary, which is always pod 0."""
        child = pulumi.ResourceOptions(parent=self)
        port = [{"name": "redis", "port": PORT, "targetPort": "redis"}]
        k8s.core.v1.Service(
            f"{name}-headless",
            metadata={"name": f"{name}-headless", "namespace": args.access.namespace, "labels": labels},
            spec={"clusterIP": "None", "selector": selector, "ports": port},
            opts=child,
        )
        return k8s.core.v1.Service(
            f"{name}-svc",
            metadata={"name": name, "namespace": args.access.namespace, "labels": labels},
            spec={
                "type": "ClusterIP",
                "selector": {**selector, "statefulset.kubernetes.io/pod-name": f"{name}-0"},
                "ports": port,
            },
            opts=child,
        )

    def _statefulset(self, name: str, args: RedisCacheArgs, labels: dict[str, str], selector: dict[str, str],
                     config: k8s.core.v1.ConfigMap, secret: k8s.core.v1.Secret,
                     certificate: k8s.apiextensions.CustomResource, rotation: time.Rotating) -> k8s.apps.v1.StatefulSet:
        """Restricted pods with no service-account token; the Secret is readable by the pod's group only.

        redis-server reads its password at start, so the pod template names the rotation: a new password rolls the
        pods (replicas first, the primary last) onto it."""
        headless = f"{name}-headless"
        return k8s.apps.v1.StatefulSet(
            f"{name}-sts",
            metadata={"name": name, "namespace": args.access.namespace, "labels": labels},
            spec={
                "serviceName": headless,
                "replicas": args.plan.replicas,
                "selector": {"matchLabels": selector},
                "podManagementPolicy": "OrderedReady",
                "template": {
                    "metadata": {"labels": {**labels, **selector, DATA_SERVICE_LABEL: "redis"},
                                 "annotations": {ROTATION_ANNOTATION: rotation.rfc3339}},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": restricted_pod(REDIS_UID),
                        "containers": [self._container(name, args)],
                        "volumes": [
                            {"name": "config", "configMap": {"name": config.metadata.apply(lambda m: m["name"])}},
                            {"name": "run", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                            # Readable by the pod's group (fsGroup) only.
                            {"name": "auth", "secret": {"secretName": secret.metadata.apply(lambda m: m["name"]),
                                                        "defaultMode": 0o440}},
                            {"name": "tls", "secret": {"secretName": f"{name}-tls", "defaultMode": 0o440}},
                        ],
                    },
                },
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data", "labels": labels},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": args.access.storage_class,
                        "resources": {"requests": {"storage": f"{args.plan.storage_gib}Gi"}},
                    },
                }],
            },
            # The pods start once cert-manager has written the certificate's Secret.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[certificate]),
        )

    @staticmethod
    def _container(name: str, args: RedisCacheArgs) -> dict:
        """The redis container: restricted, probed with the password from its file, never from argv or env."""
        probe = {"exec": {"command": ["sh", "-c", _PING]}}
        return {
            "name": "redis",
            "image": args.plan.image,
            "command": ["sh", "-c", _ENTRYPOINT],
            "ports": [{"name": "redis", "containerPort": PORT}],
            "env": [{"name": "PRIMARY_HOST", "value": f"{name}-0.{name}-headless"}],
            "resources": resources_spec(args.plan.resources),
            "securityContext": RESTRICTED_CONTAINER,
            "readinessProbe": {**probe, "periodSeconds": 5},
            "livenessProbe": {**probe, "initialDelaySeconds": 15, "periodSeconds": 10},
            "volumeMounts": [
                {"name": "data", "mountPath": "/data"},
                {"name": "config", "mountPath": "/etc/redis", "readOnly": True},
                {"name": "run", "mountPath": "/run/redis"},
                {"name": "auth", "mountPath": AUTH_DIR, "readOnly": True},
                {"name": "tls", "mountPath": TLS_DIR, "readOnly": True},
            ],
        }
