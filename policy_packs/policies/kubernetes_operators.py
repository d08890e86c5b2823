"""Operator-run data services and clusters: CloudNativePG backed up, Strimzi over TLS, replica counts by tier for
CNPG, Strimzi node pools and Cluster API control planes."""

from __future__ import annotations

from policy_packs.spec import HIGH, MEDIUM, Rule, resource_rule

RULES: list[Rule] = []

CNPG = "kubernetes:postgresql.cnpg.io/v1:Cluster"
KAFKA = "kubernetes:kafka.strimzi.io/v1beta2:Kafka"
NODE_POOL = "kubernetes:kafka.strimzi.io/v1beta2:KafkaNodePool"
CAPI = "kubernetes:cluster.x-k8s.io/v1beta1:Cluster"


def _env(props) -> str | None:
    return ((props.get("metadata") or {}).get("labels") or {}).get("env")


@resource_rule(
    RULES, "kubernetes-cnpg-cluster-backup",
    "Back up each CloudNativePG cluster to object storage with a retention policy.",
    HIGH,
    remediation="Set spec.backup.barmanObjectStore (destinationPath, credentials) and spec.backup.retentionPolicy, and a "
                "ScheduledBackup (PostgresCluster does).",
    themes=("backup-recovery",), types=(CNPG,),
)
def cnpg_backup(args, report, config) -> None:
    backup = (args.props.get("spec") or {}).get("backup") or {}
    if not (backup.get("barmanObjectStore") or {}).get("destinationPath"):
        report("no object-store backup")
    if not backup.get("retentionPolicy"):
        report("no backup retentionPolicy")


@resource_rule(
    RULES, "kubernetes-cnpg-cluster-tls-only",
    "Accept only TLS connections to each CloudNativePG cluster.",
    HIGH,
    remediation="Leave pg_hba to the operator's hostssl defaults; never add 'host' (non-TLS) entries.",
    themes=("encryption-in-transit",), types=(CNPG,),
)
def cnpg_tls(args, report, config) -> None:
    hba = ((args.props.get("spec") or {}).get("postgresql") or {}).get("pg_hba") or []
    # host matches TLS or not, hostnossl only plaintext, hostnogssenc anything not GSS-encrypted (plaintext too).
    plain = [line for line in hba if str(line).split()[:1] in (["host"], ["hostnossl"], ["hostnogssenc"])]
    if plain:
        report(f"pg_hba admits clients without TLS: {plain}")


@resource_rule(
    RULES, "kubernetes-strimzi-kafka-listener-tls",
    "Serve every Strimzi Kafka listener over TLS with client authentication.",
    HIGH,
    remediation="Set tls: true and authentication (tls or scram-sha-512) on each listener, and authorization on the cluster.",
    themes=("encryption-in-transit", "strong-authentication"), types=(KAFKA,),
)
def kafka_tls(args, report, config) -> None:
    kafka = (args.props.get("spec") or {}).get("kafka") or {}
    for listener in kafka.get("listeners") or []:
        if listener.get("tls") is not True:
            report(f"listener {listener.get('name')} is not TLS")
        if not listener.get("authentication"):
            report(f"listener {listener.get('name')} does not authenticate clients")
    if not kafka.get("authorization"):
        report("no authorization: every authenticated client may use every topic")


_REPLICAS = {
    CNPG: ("instances", lambda p: (p.get("spec") or {}).get("instances")),
    NODE_POOL: ("replicas", lambda p: (p.get("spec") or {}).get("replicas")),
    CAPI: ("controlPlane.replicas", lambda p: (((p.get("spec") or {}).get("topology") or {}).get("controlPlane") or {}).get("replicas")),
}


@resource_rule(
    RULES, "kubernetes-operator-resource-replicas-by-tier",
    "Run prod CloudNativePG clusters, Strimzi node pools and Cluster API control planes with enough replicas to survive a node loss.",
    MEDIUM,
    remediation="In prod use at least prodMinimum replicas (the catalog's prod sizes do); elsewhere one is allowed.",
    themes=("availability",), types=tuple(_REPLICAS),
    config={"prodMinimum": {"type": "integer", "minimum": 1, "default": 3, "description": "Fewest replicas in prod."}},
)
def replicas_by_tier(args, report, config) -> None:
    if _env(args.props) != "prod":
        args.not_applicable("not a prod resource")
    field, read = _REPLICAS[args.resource_type]
    count = int(read(args.props) or 1)
    if count < config["prodMinimum"]:
        report(f"{field} is {count}, below {int(config['prodMinimum'])} for prod")
