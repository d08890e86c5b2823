"""The contracts: what a data service or a cluster gives a team, the same on every target.

Each target implements them with its own components (RDS or CloudNativePG, EKS or VKS, ...) and
returns these values; the stack exports come from them alone, so an export has one name everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pulumi


@dataclass(frozen=True)
class PostgresService:
    """A PostgreSQL database."""

    host: pulumi.Input[str]
    """Host name of the read-write endpoint."""
    port: pulumi.Input[int]
    """TCP port."""
    secret: pulumi.Input[str]
    """Where the credentials are: a Secrets Manager ARN (AWS) or a Secret in the namespace (Kubernetes)."""


@dataclass(frozen=True)
class RedisService:
    """A Redis cache."""

    host: pulumi.Input[str]
    """Host name of the primary."""
    port: pulumi.Input[int]
    """TCP port, TLS only on both targets: ElastiCache with transit encryption required; on Kubernetes redis'
    tls-port with the plaintext port off, its certificate from cert-manager."""
    secret: pulumi.Input[str]
    """Where the AUTH token is, rotated every `platform.secret_rotation_days` on both targets: a Secrets Manager
    ARN (AWS), rotated by Secrets Manager and its rotation function; or a Secret in the namespace (Kubernetes), whose
    password the stack generates anew at its first `pulumi up` after the rotation time (time.Rotating; the fleet's
    operator Stacks re-run such stacks at an unchanged commit), rolling the Redis pods onto it. Clients read the
    token from there at each connection, never once at start."""


@dataclass(frozen=True)
class KafkaService:
    """A Kafka cluster."""

    bootstrap: pulumi.Input[str]
    """Comma-separated host:port bootstrap servers (TLS)."""


@dataclass(frozen=True)
class ObjectStorageService:
    """An object storage bucket."""

    bucket: pulumi.Input[str]
    """Bucket name."""


@dataclass(frozen=True)
class ClusterAccess:
    """The team's cluster."""

    cluster_name: pulumi.Input[str]
    """Cluster name."""
    kubeconfig: pulumi.Input[str] | None = None
    """Admin kubeconfig of a dedicated cluster, a secret; None on a shared cluster (teams use their own access)."""


DataService = PostgresService | RedisService | KafkaService | ObjectStorageService

CONTRACTS: dict[str, type] = {
    "postgres": PostgresService,
    "redis": RedisService,
    "kafka": KafkaService,
    "object-storage": ObjectStorageService,
}
"""The contract of each data service kind."""


def exports(kind: str, service: Any) -> dict[str, pulumi.Input]:
    """Stack exports of a data service: `<kind>_<field>` for every field of its contract."""
    contract = CONTRACTS[kind]
    if not isinstance(service, contract):
        raise TypeError(f"{kind}: {type(service).__name__} does not fulfil the {contract.__name__} contract")
    return dict(zip(export_names(kind), (getattr(service, f.name) for f in fields(contract))))


def cluster_exports(access: ClusterAccess) -> dict[str, pulumi.Input]:
    """Stack exports of the team's cluster: its name, and the kubeconfig of a dedicated one."""
    found = {"cluster_name": access.cluster_name}
    if access.kubeconfig is not None:
        found["kubeconfig"] = access.kubeconfig
    return found


def export_names(kind: str) -> tuple[str, ...]:
    """The export names a data service kind promises on every target."""
    return tuple(f"{kind.replace('-', '_')}_{f.name}" for f in fields(CONTRACTS[kind]))
