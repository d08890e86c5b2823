"""The network intent of a team namespace: every connection the platform needs through its fence, as data.

The tenancy renders one NetworkPolicy per flow on top of default-deny; `bp validate` checks the
rendered policies still allow each flow (blueprints.flow_check), and the tests prove the whole map with
np-guard's analyzer. A flow names the team pods it concerns by group (`POD_GROUPS`), so the components
that run those pods carry the labels the group selects, and nothing else in the namespace matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import OperatorPods

DATA_SERVICE_LABEL = "cloud-blueprints.io/data-service"
"""Label of every pod a data service runs in a team namespace: its kind (postgres, redis, kafka)."""
KUBERNETES_API_LABEL = "cloud-blueprints.io/kubernetes-api"
"""Label ("true") of the data-service pods that talk to the API server: CNPG instance managers, Strimzi's
entity operator."""

CLIENT_KINDS = ("postgres", "redis", "kafka", "object-storage")
"""Data services the applications reach over the network, each only from pods that declare themselves its clients."""

PRIVATE_CIDRS = ("10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16")
"""Private and carrier-grade NAT space: never "the internet" a public service answers from."""
HTTPS = 443


def client_label(kind: str) -> str:
    """The label (value "true") a team's pod carries to be a client of the team's `kind`: without it, no pod of the
    namespace reaches the data service (inside the namespace or, on AWS, out to the managed one)."""
    return f"cloud-blueprints.io/{kind}-client"


POD_GROUPS: dict[str, dict] = {
    "all": {},
    "app": {"matchExpressions": [{"key": DATA_SERVICE_LABEL, "operator": "DoesNotExist"}]},
    "postgres": {"matchLabels": {DATA_SERVICE_LABEL: "postgres"}},
    "kafka": {"matchLabels": {DATA_SERVICE_LABEL: "kafka"}},
    "kafka-brokers": {"matchLabels": {DATA_SERVICE_LABEL: "kafka"},
                      "matchExpressions": [{"key": KUBERNETES_API_LABEL, "operator": "DoesNotExist"}]},
    "redis": {"matchLabels": {DATA_SERVICE_LABEL: "redis"}},
    "api-clients": {"matchLabels": {KUBERNETES_API_LABEL: "true"}},
    **{f"{kind}-clients": {"matchLabels": {client_label(kind): "true"}} for kind in CLIENT_KINDS},
}
"""Team pods by role, as the pod selector of a NetworkPolicy: the applications are every pod no data service runs."""

SERVING_PODS = {"postgres": "postgres", "redis": "redis", "kafka": "kafka-brokers"}
"""The group of a data service's pods that serve its clients."""

CNPG_PORTS = (8000, 5432)
"""CloudNativePG's operator polls each instance manager's status on 8000 and connects to Postgres on 5432."""
STRIMZI_OPERATOR_PORTS = (8443, 9090, 9091)
"""Strimzi's cluster operator reads each node's state from its Kafka agent on 8443 and talks to the control plane
(9090, during rolling updates) and the replication listener (9091), as Strimzi's own NetworkPolicy for a Kafka
cluster admits it (KafkaCluster.generateNetworkPolicy): without 8443 a rolling update cannot proceed."""


@dataclass(frozen=True)
class Peer:
    """The far side of a flow: pods of a namespace (by name and labels), or address blocks."""

    namespace: str | None = None
    """Namespace name; None: address blocks."""
    labels: tuple[tuple[str, str], ...] = ()
    """Labels of its pods; empty: every pod of the namespace."""
    cidrs: tuple[str, ...] = ()
    """Address blocks, when the peer is no pod (the API server, an object store, a managed service)."""
    excluded: tuple[str, ...] = ()
    """Blocks inside `cidrs` that are not the peer (a public service: the private ranges)."""
    prefix_list: str | None = None
    """AWS: the managed prefix list that names the peer exactly, for security groups; NetworkPolicy cannot name one,
    so `cidrs` less `excluded` is what the namespace's policy admits."""


@dataclass(frozen=True)
class Flow:
    """One connection the platform needs through the fence, in one direction."""

    name: str
    """NetworkPolicy name suffix (`allow-<name>`)."""
    why: str
    """What breaks without it."""
    direction: Literal["ingress", "egress"]
    """Ingress: the peer opens connections to the team pods; egress: the team pods to the peer."""
    pods: str
    """Team pods concerned, a key of POD_GROUPS."""
    peer: Peer
    """The other side."""
    ports: tuple[int, ...]
    """Ports on the receiving side."""
    protocols: tuple[str, ...] = ("TCP",)
    """Protocols on those ports."""
    missing: str | None = None
    """Set when the sites map lacks the peer's addresses: the field to fill; the flow cannot be rendered."""


def _pods(of: OperatorPods) -> Peer:
    return Peer(namespace=of.namespace, labels=tuple(sorted(of.labels.items())))


def fence_flows(bp: ResolvedBlueprint, ingress_namespace: str) -> tuple[Flow, ...]:
    """What every team namespace needs: DNS out, the ingress controller in to the applications' declared ports."""
    net = bp.decisions.network
    return (
        Flow("dns-egress", "name resolution", "egress", "all", _pods(net.dns), (53,), ("UDP", "TCP")),
        Flow("from-ingress", "the applications' routes", "ingress", "app", Peer(namespace=ingress_namespace),
             net.app_ports),
    )


def operator_flows(bp: ResolvedBlueprint, kinds: set[str], api: tuple[tuple[str, ...], int, str | None],
                   backup: tuple[str | None, str]) -> tuple[Flow, ...]:
    """Operator-run data services in the namespace: their operators in, the API server and backups out.

    `api`: (API server address blocks, port, the sites-map field to fill when there are none);
    `backup`: (object-store address block or None, endpoint URL)."""
    net = bp.decisions.network
    flows: list[Flow] = []
    if "postgres" in kinds:
        flows.append(Flow("from-cnpg-operator", "the operator manages, fails over and upgrades the instances",
                          "ingress", "postgres", _pods(net.cnpg_operator), CNPG_PORTS))
        cidr, url = backup
        flows.append(Flow("backup-egress", "WAL archiving and base backups (without it, backups stop)", "egress",
                          "postgres", Peer(cidrs=(cidr,) if cidr else ()), (urlsplit(url).port or 443,),
                          missing=None if cidr else "backup.cidr"))
    if "kafka" in kinds:
        flows.append(Flow("from-strimzi-operator", "the operator rolls and reconfigures the brokers", "ingress",
                          "kafka-brokers", _pods(net.strimzi_operator), STRIMZI_OPERATOR_PORTS))
    if kinds & {"postgres", "kafka"}:
        cidrs, port, field = api
        flows.append(Flow("kubernetes-api-egress", "CNPG instance managers and Strimzi's entity operator watch "
                          "their resources", "egress", "api-clients", Peer(cidrs=cidrs), (port,),
                          missing=None if cidrs else field))
    return tuple(flows)


def namespace_flows(namespace: str, services: tuple) -> tuple[Flow, ...]:
    """Data services in the namespace: their declared clients in on the client port, their own pods to each other on
    the replication ports, and nothing else of the namespace (the applications' same-namespace policy leaves them
    out)."""
    flows: list[Flow] = []
    for s in services:
        own = Peer(namespace=namespace, labels=((DATA_SERVICE_LABEL, s.kind),))
        flows += [
            Flow(f"{s.kind}-from-clients", f"pods labelled {client_label(s.kind)}=true use the {s.kind}", "ingress",
                 SERVING_PODS[s.kind], Peer(namespace=namespace, labels=((client_label(s.kind), "true"),)),
                 (s.client_port,)),
            Flow(f"{s.kind}-peers", f"the {s.kind} pods replicate and coordinate", "ingress", s.kind, own,
                 s.peer_ports),
            Flow(f"{s.kind}-peers-egress", f"the {s.kind} pods replicate and coordinate", "egress", s.kind, own,
                 s.peer_ports),
        ]
    return tuple(flows)


def client_flows(services: tuple, data_cidrs: tuple[str, ...], s3_prefix_list: str) -> tuple[Flow, ...]:
    """Managed data services outside the cluster: their declared clients out to RDS, ElastiCache and MSK on their
    port in the data subnets, and to S3 on HTTPS.

    S3 answers from public addresses that AWS publishes and changes, which its gateway endpoint's managed prefix list
    (`s3_prefix_list`, by name) follows; security groups name that list. A NetworkPolicy can name neither a prefix
    list nor a domain, so the namespace admits HTTPS to any public address, for the labelled clients only; the VPC
    routes S3 through the gateway endpoint."""
    flows = [Flow(f"to-{s.kind}", f"pods labelled {client_label(s.kind)}=true use the {s.kind}", "egress",
                  f"{s.kind}-clients", Peer(cidrs=data_cidrs), (s.client_port,))
             for s in services if getattr(s, "client_port", None)]
    if any(s.kind == "object-storage" for s in services):
        public = Peer(cidrs=("0.0.0.0/0",), excluded=PRIVATE_CIDRS, prefix_list=s3_prefix_list)
        flows.append(Flow("to-object-storage", f"pods labelled {client_label('object-storage')}=true use the bucket",
                          "egress", "object-storage-clients", public, (HTTPS,)))
    return tuple(flows)
