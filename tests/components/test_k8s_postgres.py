"""PostgresCluster (CloudNativePG) one cluster per run: TLS-only client rules, no superuser, restricted pods, the
backup keys read from a Secret, encryption of the backups, and what changes from one copy to two (anti-affinity
and the operator's PDBs), checked against the operator's own CRDs."""

from __future__ import annotations

import pytest
from k8s_support import ACCESS, LABELS, NS, PROMISE, RESOURCES, RESOURCES_SPEC, RESTRICTED_CONTAINER, run

import engine
from blueprints.plan import CnpgPostgres
from components.kubernetes.postgres import PostgresCluster, PostgresClusterArgs
from tests.kube_schema import assert_valid

CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup"
IMAGE = "ghcr.io/cloudnative-pg/postgresql:16.15-system-bookworm@sha256:" + "0" * 64


def _args(replicas: int, **extra) -> PostgresClusterArgs:
    plan = CnpgPostgres(**{**PROMISE, "backup_retention_days": 14}, replicas=replicas, storage_gib=20, image=IMAGE,
                        resources=RESOURCES)
    return PostgresClusterArgs(plan=plan, access=ACCESS, backup_destination="s3://pg-backups/payments",
                               backup_credentials_secret="pg-backup-creds", **extra)


def _render(replicas: int, **extra) -> engine.Capture:
    return run(lambda: PostgresCluster("orders-db", _args(replicas, **extra)))


def _spec(capture: engine.Capture) -> dict:
    return capture.one(CLUSTER).inputs["spec"]


def _expected_spec(replicas: int) -> dict:
    return {
        "instances": replicas,
        "imageName": IMAGE,
        "primaryUpdateStrategy": "unsupervised",
        "enableSuperuserAccess": False,
        "enablePDB": replicas > 1,
        "storage": {"size": "20Gi", "storageClass": "vsan-encrypted"},
        "bootstrap": {"initdb": {"database": "app", "owner": "app"}},
        "postgresql": {"parameters": {}, "pg_hba": ["hostssl all all all scram-sha-256", "hostnossl all all all reject"]},
        "backup": {
            "barmanObjectStore": {
                "destinationPath": "s3://pg-backups/payments",
                "s3Credentials": {
                    "accessKeyId": {"name": "pg-backup-creds", "key": "ACCESS_KEY_ID"},
                    "secretAccessKey": {"name": "pg-backup-creds", "key": "ACCESS_SECRET_KEY"},
                },
                "wal": {"compression": "gzip"},
                "data": {"compression": "gzip"},
            },
            "retentionPolicy": "14d",
        },
        "resources": RESOURCES_SPEC,
        "seccompProfile": {"type": "RuntimeDefault"},
        "securityContext": RESTRICTED_CONTAINER,
        "inheritedMetadata": {"labels": {**LABELS, "cloud-blueprints.io/data-service": "postgres",
                                         "cloud-blueprints.io/kubernetes-api": "true"}},
    }


HA = {"enablePodAntiAffinity": True, "podAntiAffinityType": "required", "topologyKey": "kubernetes.io/hostname"}


@pytest.mark.parametrize("replicas", [1, 2, 3])
def test_the_cluster_is_tls_only_without_superuser_restricted_and_validates(replicas):
    capture = _render(replicas)
    spec = _spec(capture)
    expected = _expected_spec(replicas) | ({"affinity": HA} if replicas > 1 else {})
    assert spec == expected, capture.one(CLUSTER).urn
    assert assert_valid(capture) == 2


def test_one_copy_gets_no_pdb_and_no_anti_affinity_and_two_copies_get_both():
    """Two is the boundary: a single instance with a PDB could never be drained; two on one host are one failure."""
    single, pair = _spec(_render(1)), _spec(_render(2))
    assert (single["enablePDB"], "affinity" in single) == (False, False)
    assert (pair["enablePDB"], pair["affinity"]) == (True, HA)


@pytest.mark.parametrize("encryption", ["AES256", "aws:kms"])
def test_backup_encryption_covers_both_wal_and_base_backups(encryption):
    capture = _render(1, backup_encryption=encryption, backup_endpoint_url="https://objects.dc1.example.internal")
    store = _spec(capture)["backup"]["barmanObjectStore"]
    assert store["wal"] == {"compression": "gzip", "encryption": encryption}, capture.one(CLUSTER).urn
    assert store["data"] == {"compression": "gzip", "encryption": encryption}, capture.one(CLUSTER).urn
    assert store["endpointURL"] == "https://objects.dc1.example.internal"
    assert_valid(capture)


def test_without_encryption_or_endpoint_neither_is_set():
    store = _spec(_render(1))["backup"]["barmanObjectStore"]
    assert "encryption" not in store["wal"] and "encryption" not in store["data"] and "endpointURL" not in store


def test_backups_run_now_and_daily_and_belong_to_the_schedule():
    capture = _render(2, backup_schedule="0 30 1 * * *")
    backup = capture.one(BACKUP)
    assert backup.inputs["metadata"] == {"name": "orders-db-daily", "namespace": NS, "labels": LABELS}, backup.urn
    assert backup.inputs["spec"] == {"schedule": "0 30 1 * * *", "cluster": {"name": "orders-db"},
                                     "method": "barmanObjectStore", "backupOwnerReference": "self",
                                     "immediate": True}, backup.urn
    assert capture.one(CLUSTER).urn in backup.dependencies, f"{backup.urn}: a backup of a cluster not yet created fails"


def test_outputs_name_the_services_and_the_operator_generated_secret():
    capture = _render(1)
    outputs = capture.component_outputs[capture.one("cloud-blueprints:k8s:PostgresCluster").urn]
    assert outputs == {"cluster_name": "orders-db", "rw_service": f"orders-db-rw.{NS}.svc", "port": 5432,
                       "app_secret_name": "orders-db-app"}


def test_a_name_that_would_break_the_operators_suffixes_is_refused():
    with pytest.raises(engine.ProgramError, match="'Orders_DB' must be a lowercase DNS label of at most 40 characters"):
        run(lambda: PostgresCluster("Orders_DB", _args(1)))
