"""Whether a run's rendered NetworkPolicies still allow every flow of its stack's network intent.

`bp validate` calls `dropped_flows`; the tests prove the same verdicts, and the whole connectivity
map, with np-guard's analyzer (tests/test_network_intent.py). NetworkPolicies only ever add
allowances, so a flow is allowed when, for every kind of team pod its group selects, some policy in
the team namespace selects that pod for the flow's direction with a rule admitting the peer on each
of the flow's ports. The peer's own side (an operator namespace's egress) is the platform's to keep.
"""

from __future__ import annotations

from ipaddress import ip_network

from blueprints.plan import plan
from blueprints.plan.flows import (
    CLIENT_KINDS, DATA_SERVICE_LABEL, KUBERNETES_API_LABEL, POD_GROUPS, Flow, Peer, client_label,
)
from blueprints.resolved import ResolvedBlueprint
from engine.captured import Capture

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"

TEAM_PODS: tuple[dict[str, str], ...] = (
    {},
    {DATA_SERVICE_LABEL: "postgres", KUBERNETES_API_LABEL: "true"},
    {DATA_SERVICE_LABEL: "redis"},
    {DATA_SERVICE_LABEL: "kafka"},
    {DATA_SERVICE_LABEL: "kafka", KUBERNETES_API_LABEL: "true"},
    *({client_label(kind): "true"} for kind in CLIENT_KINDS),
)
"""Every kind of pod a team namespace runs: applications (those that declare themselves a data service's client
too), and each data service's pods as its component labels them."""


def dropped_flows(bp: ResolvedBlueprint, capture: Capture) -> list[str]:
    """One message per flow of the stack's intent that its rendered policies do not allow (or cannot, for lack of data)."""
    tenancy = plan(bp).tenancy
    if tenancy is None:
        return []
    specs = [r.inputs["spec"] for r in capture.by_type(NETWORK_POLICY)
             if r.inputs["metadata"].get("namespace") == tenancy.namespace]
    found = []
    for flow in tenancy.flows:
        if flow.missing:
            found.append(f"network flow {flow.name} ({flow.why}) has no address: fill {flow.missing} "
                         "in the sites map, then re-stamp the stack (`bp new --force`)")
        elif not allowed(specs, flow, tenancy.namespace):
            found.append(f"network flow {flow.name} ({flow.why}) is not allowed by the rendered NetworkPolicies")
        elif flow.peer.prefix_list and not _gateway(capture, flow.peer.prefix_list):
            found.append(f"network flow {flow.name} ({flow.why}): no gateway endpoint for {flow.peer.prefix_list} "
                         "in the VPC, so its traffic would leave through the NAT gateways")
    return found


def _gateway(capture: Capture, service: str) -> bool:
    """Whether the run makes a gateway endpoint for `service` (its prefix list is what security groups name)."""
    return any(r.inputs.get("serviceName") == service and r.inputs.get("vpcEndpointType") == "Gateway"
               for r in capture.by_type(VPC_ENDPOINT))


def allowed(specs: list[dict], flow: Flow, namespace: str) -> bool:
    """Every team pod of the flow's group may make (egress) or take (ingress) the flow's connections."""
    pods = [p for p in TEAM_PODS if selects(POD_GROUPS[flow.pods], p)]
    # Each address block on its own: the policies may admit them through different rules.
    peers = [Peer(cidrs=(cidr,), excluded=flow.peer.excluded) for cidr in flow.peer.cidrs] or [flow.peer]
    return bool(pods) and all(
        any(_admits(spec, pod, flow, peer, namespace, port, protocol) for spec in specs)
        for pod in pods for peer in peers for port in flow.ports for protocol in flow.protocols
    )


def _admits(spec: dict, pod: dict[str, str], flow: Flow, peer: Peer, namespace: str, port: int, protocol: str) -> bool:
    key, side = ("ingress", "from") if flow.direction == "ingress" else ("egress", "to")
    types = spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])
    if key.capitalize() not in types or not selects(spec.get("podSelector") or {}, pod):
        return False
    return any(
        _port_in(rule.get("ports"), port, protocol)
        and (not rule.get(side) or any(_peer_in(p, peer, namespace) for p in rule[side]))
        for rule in spec.get(key) or ()
    )


def _port_in(ports: list[dict] | None, port: int, protocol: str) -> bool:
    if not ports:
        return True
    return any(p.get("protocol", "TCP") == protocol
               and ("port" not in p or p["port"] <= port <= p.get("endPort", p["port"])) for p in ports)


def _peer_in(rule_peer: dict, peer: Peer, namespace: str) -> bool:
    """Whether a policy peer (podSelector / namespaceSelector / ipBlock) covers the flow's peer."""
    if "ipBlock" in rule_peer:
        block = rule_peer["ipBlock"]
        return bool(peer.cidrs) and all(
            ip_network(c).subnet_of(ip_network(block["cidr"]))
            and not any(ip_network(c).overlaps(ip_network(e)) and not _excluded(e, peer) for e in block.get("except") or ())
            for c in peer.cidrs)
    if peer.namespace is None:
        return False
    if "namespaceSelector" in rule_peer:
        in_namespace = selects(rule_peer["namespaceSelector"], {"kubernetes.io/metadata.name": peer.namespace})
    else:
        in_namespace = peer.namespace == namespace
    return in_namespace and selects(rule_peer.get("podSelector") or {}, dict(peer.labels))


def _excluded(block: str, peer: Peer) -> bool:
    """Whether a block a policy leaves out lies in what the flow's peer leaves out too."""
    return any(ip_network(block).subnet_of(ip_network(e)) for e in peer.excluded)


def selects(selector: dict, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist)."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        ok = {"In": labels.get(key) in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}[op]
        if not ok:
            return False
    return True
