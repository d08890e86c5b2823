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


CNPG_DEFAULT_RULE = "host all all all scram-sha-256"
"""The rule CloudNativePG appends after the user's pg_hba (its hbaTemplateString), which admits plaintext."""
_ANYWHERE = {"all", "0.0.0.0/0", "::/0"}


def _first_plaintext_rule(hba: list) -> str:
    """The pg_hba line a plaintext TCP connection meets first (pg_hba is first-match), CNPG's default last."""
    for line in [*(str(h) for h in hba), CNPG_DEFAULT_RULE]:
        fields = line.split()
        if fields[:1] in (["host"], ["hostnossl"]):
            return line
    return CNPG_DEFAULT_RULE


@resource_rule(
    RULES, "kubernetes-cnpg-cluster-tls-only",
    "Reject every plaintext connection to each CloudNativePG cluster, ahead of the host rule the operator appends.",
    HIGH,
    remediation="Set spec.postgresql.pg_hba to ['hostssl all all all scram-sha-256', 'hostnossl all all all reject'] "
                "(PostgresCluster does); CloudNativePG appends 'host all all all scram-sha-256' after them.",
    themes=("encryption-in-transit",), types=(CNPG,),
)
def cnpg_tls(args, report, config) -> None:
    hba = ((args.props.get("spec") or {}).get("postgresql") or {}).get("pg_hba") or []
    first = _first_plaintext_rule(hba)
    fields = first.split()
    # The first rule a plaintext connection meets is a host or hostnossl line; rejecting it there refuses plaintext
    # (a host line rejects TLS connections too, which is no security concern).
    refuses_all = fields[1:4] == ["all", "all", fields[3]] and fields[3] in _ANYWHERE and fields[4:5] == ["reject"]
    if not refuses_all:
        report(f"pg_hba admits clients without TLS: a plaintext connection meets '{first}' first")


def _redis_directives(text: str) -> dict[str, str]:
    """redis.conf directives, last one wins as in redis-server."""
    found = {}
    for line in text.splitlines():
        fields = line.split(None, 1)
        if fields and not fields[0].startswith("#"):
            found[fields[0].lower()] = fields[1].strip() if len(fields) > 1 else ""
    return found


@resource_rule(
    RULES, "kubernetes-redis-configmap-tls-only",
    "Serve Redis run on Kubernetes over TLS only: no plaintext port, a TLS port, and TLS between replicas.",
    HIGH,
    remediation="In redis.conf set 'port 0', 'tls-port 6379', the tls-cert-file/tls-key-file/tls-ca-cert-file "
                "of a cert-manager Certificate, and 'tls-replication yes' (RedisCache does).",
    themes=("encryption-in-transit",), types=("kubernetes:core/v1:ConfigMap",),
)
def redis_tls(args, report, config) -> None:
    text = (args.props.get("data") or {}).get("redis.conf")
    if text is None:
        return
    conf = _redis_directives(text)
    if conf.get("port", "6379") != "0":
        report(f"redis.conf serves plaintext on port {conf.get('port', '6379 (the default)')}")
    if not conf.get("tls-port") or conf.get("tls-port") == "0":
        report("redis.conf has no tls-port")
    if conf.get("tls-replication", "no") != "yes":
        report("replicas copy the data without TLS (tls-replication is not yes)")


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
