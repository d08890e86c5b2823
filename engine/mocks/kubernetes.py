"""Mock answers for kubernetes resources and invokes.

The API server fills an object's metadata (a generated name when none is given, the namespace,
uid, resourceVersion, creationTimestamp) and a Service's cluster IP; Cluster API writes a
`<cluster>-kubeconfig` Secret that callers read back. These answers do the same.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from engine.mocks import MockContext, resource, stable_id

_BUILT_IN: dict[str, tuple[str, ...]] = {
    "core/v1": ("Namespace", "Secret", "ConfigMap", "Service", "ServiceAccount", "ResourceQuota",
                "LimitRange", "PersistentVolumeClaim", "Pod"),
    "apps/v1": ("StatefulSet", "Deployment", "DaemonSet"),
    "batch/v1": ("Job", "CronJob"),
    "policy/v1": ("PodDisruptionBudget",),
    "networking.k8s.io/v1": ("NetworkPolicy", "Ingress"),
    "rbac.authorization.k8s.io/v1": ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"),
    "storage.k8s.io/v1": ("StorageClass",),
    "scheduling.k8s.io/v1": ("PriorityClass",),
}
_CUSTOM: dict[str, tuple[str, ...]] = {
    "cluster.x-k8s.io/v1beta1": ("Cluster",),
    "postgresql.cnpg.io/v1": ("Cluster", "ScheduledBackup"),
    "kafka.strimzi.io/v1beta2": ("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"),
}
_CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass", "PriorityClass"}

TOKENS = tuple(
    f"kubernetes:{group_version}:{kind}"
    for table in (_BUILT_IN, _CUSTOM)
    for group_version, kinds in table.items()
    for kind in kinds
)


def _kubeconfig(cluster: str, namespace: str) -> str:
    """The admin kubeconfig Cluster API writes for a workload cluster (credentials are stand-ins)."""
    n = int(stable_id("apiserver", namespace, cluster, length=4), 16)
    fake = base64.b64encode(f"mock-{cluster}".encode()).decode()
    user = f"{cluster}-admin"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {
            "server": f"https://10.220.{n % 256}.{n % 200 + 10}:6443",
            "certificate-authority-data": fake,
        }}],
        "users": [{"name": user, "user": {"client-certificate-data": fake, "client-key-data": fake}}],
        "contexts": [{"name": f"{user}@{cluster}", "context": {"cluster": cluster, "user": user}}],
        "current-context": f"{user}@{cluster}",
    }
    return json.dumps(config)


def _read(kind: str, namespace: str, name: str) -> dict[str, Any]:
    """What a read of an existing object returns; only Cluster API's kubeconfig Secrets are known."""
    if kind == "Secret" and name.endswith("-kubeconfig"):
        cluster = name.removesuffix("-kubeconfig")
        return {
            "type": "cluster.x-k8s.io/secret",
            "metadata": {"labels": {"cluster.x-k8s.io/cluster-name": cluster}},
            "data": {"value": base64.b64encode(_kubeconfig(cluster, namespace).encode()).decode()},
        }
    raise LookupError(f"{kind} '{namespace}/{name}' not found")


@resource(*TOKENS)
def _object(args, ctx: MockContext) -> dict[str, Any]:
    kind = args.typ.rsplit(":", 1)[1]
    namespaced = kind not in _CLUSTER_SCOPED
    # A read (`Secret.get`) arrives with the object's id and no metadata of ours.
    read_id = args.resource_id if not (args.inputs or {}).get("metadata") else None
    if read_id:
        namespace, _, name = read_id.rpartition("/")
        state = _read(kind, namespace or "default", name)
    else:
        state = {}
        meta = dict(args.inputs.get("metadata") or {})
        name = meta.get("name") or f"{args.name}-{stable_id(args.typ, args.name, length=8)}"
        namespace = meta.get("namespace") or "default"
    metadata = {
        **(args.inputs.get("metadata") or {}),
        **state.get("metadata", {}),
        "name": name,
        "uid": str(uuid.UUID(stable_id("uid", args.typ, namespace, name, length=32))),
        "resourceVersion": str(int(stable_id("rv", args.typ, name, length=6), 16)),
        "creationTimestamp": "2025-01-01T00:00:00Z",
    }
    if namespaced:
        metadata["namespace"] = namespace
    state["metadata"] = metadata
    if kind == "Service":
        spec = dict(args.inputs.get("spec") or {})
        if spec.get("clusterIP") != "None":
            n = int(stable_id("svc", namespace, name, length=4), 16)
            spec["clusterIP"] = f"10.96.{n % 256}.{n % 250 + 2}"
        state["spec"] = spec
    state["id"] = f"{namespace}/{name}" if namespaced else name
    return state
