"""The connectivity map of a team namespace, as np-guard's network-config-analyzer computes it.

The analyzer reads the NetworkPolicies a run rendered plus a small cluster around them: the team's
pods (an application, and each data service's pods with the labels its rendered custom resource or
StatefulSet gives them), the platform's pods (DNS, the ingress controller, the operators, from the
sites map) and another team's pod. The map keeps only connections into or out of the team namespace,
with the namespace written `<team>`. Reviewed maps live in tests/network_maps/; re-record on purpose
with `python -m tests.network_map --update`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from ipaddress import collapse_addresses, ip_address, ip_network, summarize_address_range
from pathlib import Path

import yaml

from blueprints.plan import plan
from blueprints.plan.flows import CLIENT_KINDS, POD_GROUPS, Flow, client_label
from blueprints.resolved import ResolvedBlueprint
from engine import Capture
from engine.flow_check import NETWORK_POLICY, selects
from tests.kube_schema import manifest

MAPS = Path(__file__).parent / "network_maps"
OTHER_TEAM = "other-team-prod"
INGRESS_POD = {"app.kubernetes.io/name": "ingress-nginx"}


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str
    labels: dict

    @property
    def node(self) -> str:
        return f"{self.namespace}/{self.name}[Pod]"


def team_pods(capture: Capture, namespace: str, kinds: set[str]) -> list[Pod]:
    """An application pod, a client pod of each of the stack's data services (`kinds`), and the pods each rendered
    data service runs, labelled as their operator would."""
    pods = [Pod(namespace, "app", {"app.kubernetes.io/name": "app"})]
    for r in capture.by_type("kubernetes:postgresql.cnpg.io/v1:Cluster"):
        name = r.inputs["metadata"]["name"]
        labels = {**r.inputs["spec"]["inheritedMetadata"]["labels"], "cnpg.io/cluster": name}
        pods.append(Pod(namespace, f"{name}-1", labels))
    for r in capture.by_type("kubernetes:kafka.strimzi.io/v1beta2:KafkaNodePool"):
        labels = r.inputs["spec"]["template"]["pod"]["metadata"]["labels"]
        pods.append(Pod(namespace, f"{r.inputs['metadata']['name']}-0", {**labels, "strimzi.io/kind": "Kafka"}))
    for r in capture.by_type("kubernetes:kafka.strimzi.io/v1beta2:Kafka"):
        labels = r.inputs["spec"]["entityOperator"]["template"]["pod"]["metadata"]["labels"]
        pods.append(Pod(namespace, f"{r.inputs['metadata']['name']}-entity-operator", labels))
    for r in capture.by_type("kubernetes:apps/v1:StatefulSet"):
        pods.append(Pod(namespace, f"{r.inputs['metadata']['name']}-0", r.inputs["spec"]["template"]["metadata"]["labels"]))
    return pods + client_pods(namespace, kinds)


def client_pods(namespace: str, kinds: set[str]) -> list[Pod]:
    """One application pod per data service the stack runs, labelled as that service's client."""
    return [Pod(namespace, f"{kind}-client", {"app.kubernetes.io/name": f"{kind}-client", client_label(kind): "true"})
            for kind in sorted(kinds & set(CLIENT_KINDS))]


def platform_pods(bp: ResolvedBlueprint, ingress_namespace: str) -> list[Pod]:
    """DNS, the ingress controller, the operators (where the sites map says they run) and another team."""
    net = bp.decisions.network
    return [
        Pod(net.dns.namespace, "coredns", net.dns.labels),
        Pod(ingress_namespace, "controller", INGRESS_POD),
        Pod(net.cnpg_operator.namespace, "cnpg-operator", net.cnpg_operator.labels),
        Pod(net.strimzi_operator.namespace, "strimzi-operator", net.strimzi_operator.labels),
        Pod(OTHER_TEAM, "app", {"app.kubernetes.io/name": "app"}),
    ]


def ingress_namespace(flows: tuple[Flow, ...]) -> str:
    return next(f.peer.namespace for f in flows if f.name == "from-ingress")


def analyze(bp: ResolvedBlueprint, capture: Capture) -> tuple[list[Pod], list[Pod], list[tuple[str, str, str]]]:
    """(team pods, platform pods, edges (source, destination, connections)) touching the team namespace."""
    tenancy = plan(bp).tenancy
    namespace = tenancy.namespace
    kinds = {s.kind for s in plan(bp).data_services}
    team, platform = team_pods(capture, namespace, kinds), platform_pods(bp, ingress_namespace(tenancy.flows))
    policies = [manifest(r) for r in capture.by_type(NETWORK_POLICY)]
    namespaces = sorted({p.namespace for p in team + platform})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder / "policies.yaml", policies)
        _write(folder / "pods.yaml", [_pod(p) for p in team + platform])
        _write(folder / "namespaces.yaml", [{"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": n, "labels": {"kubernetes.io/metadata.name": n}}} for n in namespaces])
        out = subprocess.run(
            [sys.executable, "-m", "nca", "--connectivity", str(folder / "policies.yaml"),
             "--pod_list", str(folder / "pods.yaml"), "--ns_list", str(folder / "namespaces.yaml"),
             "-o", "txt_no_fw_rules"], capture_output=True, text=True, check=True).stdout
    edges = []
    for line in out.splitlines():
        found = re.match(r"^(\S+) => (\S+) : (.+)$", line)
        if found and (f"{namespace}/" in found[1] or f"{namespace}/" in found[2]):
            edges.append((found[1], found[2], found[3]))
    return team, platform, edges


def _write(path: Path, items: list[dict]) -> None:
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))


def _pod(pod: Pod) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod.name, "namespace": pod.namespace,
            "labels": pod.labels}, "spec": {"containers": [{"name": "main", "image": "example"}]},
            "status": {"hostIP": "192.0.2.1"}}


def connections(text: str) -> set[tuple[str, int]] | None:
    """(protocol, port) pairs of an analyzer connection string; None: all connections."""
    if text == "All connections":
        return None
    found: set[tuple[str, int]] = set()
    for part in re.findall(r"\{([^}]*)\}", text):
        protocols = [p.strip() for p in re.search(r"protocols:([A-Z, ]+?)(?:,dst_ports:|$)", part)[1].split(",")]
        ports = re.search(r"dst_ports:([0-9,\-]+)", part)
        if ports is None:
            return None
        for piece in ports[1].split(","):
            low, _, high = piece.partition("-")
            found |= {(p, n) for p in protocols for n in range(int(low), int(high or low) + 1)}
    return found


def covers(node: str, wanted: str) -> bool:
    """Whether an analyzer node is `wanted`, or an address range holding the range `wanted` (it merges adjacent blocks)."""
    if node == wanted:
        return True
    if "[" in node or "[" in wanted:
        return False
    low, high = (ip_address(a) for a in node.split("-"))
    first, last = (ip_address(a) for a in wanted.split("-"))
    return low <= first and last <= high


def within(node: str, declared: set[str]) -> bool:
    """Whether an analyzer node is one of `declared` nodes, or an address range inside their union."""
    if "[" in node:
        return node in declared
    ranges = [tuple(ip_address(a) for a in d.split("-")) for d in declared if "[" not in d]
    union = list(collapse_addresses(n for first, last in ranges for n in summarize_address_range(first, last)))
    first, last = (ip_address(a) for a in node.split("-"))
    return all(any(piece.subnet_of(n) for n in union) for piece in summarize_address_range(first, last))


def pods_of(flow: Flow, pods: list[Pod]) -> list[Pod]:
    return [p for p in pods if selects(POD_GROUPS[flow.pods], p.labels)]


def peer_nodes(flow: Flow, platform: list[Pod]) -> list[str]:
    """The analyzer's nodes for the far side of a flow (`platform`: the pods it may name, the team's too)."""
    if flow.peer.cidrs:
        return public_pieces(flow.peer)
    return [p.node for p in platform if p.namespace == flow.peer.namespace
            and all(p.labels.get(k) == v for k, v in flow.peer.labels)]


def public_pieces(peer) -> list[str]:
    """The peer's blocks less what it excludes, adjacent ones joined, as the analyzer prints address ranges."""
    pieces = [ip_network(c) for c in peer.cidrs]
    for excluded in map(ip_network, peer.excluded):
        pieces = [p for piece in pieces for p in (piece.address_exclude(excluded) if excluded.subnet_of(piece) else [piece])]
    ranges: list[list] = []
    for net in collapse_addresses(pieces):
        if ranges and int(ranges[-1][1]) + 1 == int(net.network_address):
            ranges[-1][1] = net.broadcast_address
        else:
            ranges.append([net.network_address, net.broadcast_address])
    return [f"{first}-{last}" for first, last in ranges]


def recorded_text(namespace: str, edges: list[tuple[str, str, str]]) -> str:
    return "".join(f"{s} => {d} : {c}\n" for s, d, c in sorted(edges)).replace(namespace, "<team>")


def map_path(bp: ResolvedBlueprint) -> Path:
    return MAPS / f"{bp.blueprint_ref.replace('@', '-')}-{bp.request.target}.txt"


def main() -> int:
    from tests.fleet_renders import renders
    update = "--update" in sys.argv
    drifted = 0
    for bp, capture in renders().values():
        if not bp.prod or plan(bp).tenancy is None:
            continue
        text = recorded_text(plan(bp).tenancy.namespace, analyze(bp, capture)[2])
        path = map_path(bp)
        if path.exists() and path.read_text() == text:
            continue
        if update:
            MAPS.mkdir(exist_ok=True)
            path.write_text(text)
            print(f"recorded {path.name}")
        else:
            drifted += 1
            print(f"drifted {path.name}")
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main())
