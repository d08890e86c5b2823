"""PostgresCluster: PostgreSQL run by the CloudNativePG operator, with continuous backup to an object store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from blueprints.plan import CnpgPostgres
from blueprints.plan.flows import DATA_SERVICE_LABEL, KUBERNETES_API_LABEL
from components.kubernetes.data_service import (
    RESTRICTED_CONTAINER,
    RUNTIME_DEFAULT_SECCOMP,
    NamespaceAccess,
    ownership_labels,
    require_dns_label,
    resources_spec,
)

PORT = CnpgPostgres.client_port
PG_HBA = ("hostssl all all all scram-sha-256", "hostnossl all all all reject")
"""Clients connect over TLS only. CloudNativePG puts these rules after its own (local peer, certificate auth
for its replication and pooler users) and before the `host all all all <method>` it always appends, which
would admit plaintext: the `hostnossl ... reject` matches every plaintext TCP connection first."""
POD_LABELS = {DATA_SERVICE_LABEL: "postgres", KUBERNETES_API_LABEL: "true"}
"""Every instance runs CNPG's instance manager, which watches its Cluster: the pods reach the API server,
and the tenancy's flows select them by these labels (blueprints.plan.flows)."""


@dataclass(frozen=True)
class PostgresClusterArgs:
    """A CloudNativePG `Cluster` (postgresql.cnpg.io/v1) in the team namespace.

    Backups: WAL archiving and base backups go to `backup_destination` with the credentials in an
    existing Secret (`ACCESS_KEY_ID` / `ACCESS_SECRET_KEY`), so no key passes through the stack.
    """

    plan: CnpgPostgres                  # copies (more than one: required anti-affinity and PDBs), volume GiB,
                                        # backup days (CNPG retentionPolicy), operand image with barman-cloud, resources
    access: NamespaceAccess             # team namespace, storage class, ownership tags (labels, inherited by the pods)
    backup_destination: str             # object store path, e.g. "s3://pg-backups/payments-prod"
    backup_credentials_secret: str      # Secret in the namespace with ACCESS_KEY_ID and ACCESS_SECRET_KEY
    backup_endpoint_url: str | None = None  # S3 endpoint for on-prem object stores; default AWS S3
    backup_encryption: str | None = None  # server-side encryption forced on WAL and base backups (AES256 or aws:kms,
                                          # the bucket's key); default the bucket's policy
    backup_schedule: str = "0 0 2 * * *"  # base backup schedule (six-field cron, seconds first); default 02:00 daily
    database: str = "app"               # database created by initdb; default "app"
    owner: str = "app"                  # its owner role; default "app"
    parameters: Mapping[str, str] = field(default_factory=dict)  # extra postgresql.conf parameters; default none


class PostgresCluster(pulumi.ComponentResource):
    """A CloudNativePG cluster with backups, retention and restricted pods.

    Metrics: every instance serves them on port 9187; the platform's Prometheus scrapes CNPG pods by
    their `cnpg.io/podRole` label (CNPG 1.30 deprecates `monitoring.enablePodMonitor`).
    CNPG creates the instance pods, services and, when `enablePDB` is on, their PodDisruptionBudgets;
    a PDB of our own over the same pods would make evictions fail, so HA is set through `enablePDB`.
    """

    cluster_name: pulumi.Output[str]
    rw_service: pulumi.Output[str]
    port: pulumi.Output[int]
    app_secret_name: pulumi.Output[str]

    def __init__(self, name: str, args: PostgresClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:k8s:PostgresCluster", name, None, opts)
        require_dns_label(name)
        namespace = args.access.namespace
        labels = ownership_labels(args.access.tags)
        cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="postgresql.cnpg.io/v1",
            kind="Cluster",
            metadata={"name": name, "namespace": namespace, "labels": labels},
            spec=_cluster_spec(args, labels),
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-backup",
            api_version="postgresql.cnpg.io/v1",
            kind="ScheduledBackup",
            metadata={"name": f"{name}-daily", "namespace": namespace, "labels": labels},
            spec={
                "schedule": args.backup_schedule,
                "cluster": {"name": name},
                "method": "barmanObjectStore",
                "backupOwnerReference": "self",
                "immediate": True,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster]),
        )

        self.cluster_name = pulumi.Output.from_input(name)
        self.rw_service = pulumi.Output.from_input(f"{name}-rw.{namespace}.svc")
        self.port = pulumi.Output.from_input(PORT)
        self.app_secret_name = pulumi.Output.from_input(f"{name}-app")
        self.register_outputs({
            "cluster_name": self.cluster_name,
            "rw_service": self.rw_service,
            "port": self.port,
            "app_secret_name": self.app_secret_name,
        })


def _cluster_spec(args: PostgresClusterArgs, labels: dict[str, str]) -> dict:
    """No superuser access, restricted containers, continuous backup; copies on different hosts, one drained at a time."""
    plan = args.plan
    replicated = plan.replicas > 1
    spec = {
        "instances": plan.replicas,
        "imageName": plan.image,
        "primaryUpdateStrategy": "unsupervised",
        "enableSuperuserAccess": False,
        "enablePDB": replicated,
        "storage": {"size": f"{plan.storage_gib}Gi", "storageClass": args.access.storage_class},
        "bootstrap": {"initdb": {"database": args.database, "owner": args.owner}},
        "postgresql": {"parameters": dict(args.parameters), "pg_hba": list(PG_HBA)},
        "backup": {"barmanObjectStore": _backup_store(args), "retentionPolicy": f"{plan.backup_retention_days}d"},
        "resources": resources_spec(plan.resources),
        "seccompProfile": RUNTIME_DEFAULT_SECCOMP,
        # Stated rather than left to the operator's defaults. The pods run as the image's own
        # postgres user (UID 26, `postgresUID`): initdb needs that user in the image's passwd.
        "securityContext": RESTRICTED_CONTAINER,
        "inheritedMetadata": {"labels": {**labels, **POD_LABELS}},
    }
    if replicated:
        spec["affinity"] = {
            "enablePodAntiAffinity": True,
            "podAntiAffinityType": "required",
            "topologyKey": "kubernetes.io/hostname",
        }
    return spec


def _backup_store(args: PostgresClusterArgs) -> dict:
    """WAL and base backups, compressed, with the team's own key read from a Secret (never in the stack)."""
    object_store = {
        "destinationPath": args.backup_destination,
        "s3Credentials": {
            "accessKeyId": {"name": args.backup_credentials_secret, "key": "ACCESS_KEY_ID"},
            "secretAccessKey": {"name": args.backup_credentials_secret, "key": "ACCESS_SECRET_KEY"},
        },
        "wal": {"compression": "gzip"},
        "data": {"compression": "gzip"},
    }
    if args.backup_encryption:
        object_store["wal"]["encryption"] = object_store["data"]["encryption"] = args.backup_encryption
    if args.backup_endpoint_url:
        object_store["endpointURL"] = args.backup_endpoint_url
    return object_store
