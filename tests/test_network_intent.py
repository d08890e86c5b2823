"""The network intent, proven on the rendered policies of every blueprint x target by np-guard's analyzer.

Each test reads the analyzer's connectivity map (tests/network_map.py) of every catalog entry on
every target, prod and dev: every flow the plan declares is allowed, nothing else crosses the fence,
and the prod maps equal the reviewed ones in tests/network_maps/.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from blueprints.plan import plan
from blueprints.plan.flows import POD_GROUPS, SERVING_PODS, client_label
from engine.flow_check import NETWORK_POLICY, VPC_ENDPOINT, dropped_flows, selects
from tests.fleet_renders import renders
from tests.network_map import (
    INGRESS_POD, OTHER_TEAM, analyze, connections, covers, map_path, peer_nodes, pods_of, recorded_text, within,
)

DATA_SERVICE = "cloud-blueprints.io/data-service"


@pytest.fixture(scope="module")
def maps():
    found = {}
    for stack, (bp, capture) in renders().items():
        if plan(bp).tenancy is not None:
            found[stack] = (bp, capture, *analyze(bp, capture))
    assert len(found) >= 20, "too few namespaces rendered: the checks below would prove little"
    return found


def _allows(edges, source: str, destination: str, wanted: set[tuple[str, int]]) -> bool:
    for s, d, text in edges:
        if covers(s, source) and covers(d, destination):
            conns = connections(text)
            if conns is None or wanted <= conns:
                return True
    return False


def test_every_declared_flow_is_allowed(maps):
    checked = 0
    for stack, (bp, capture, team, platform, edges) in maps.items():
        for flow in plan(bp).tenancy.flows:
            assert flow.missing is None, f"{stack}: flow {flow.name} lacks {flow.missing}"
            wanted = {(p, n) for p in flow.protocols for n in flow.ports}
            pods, peers = pods_of(flow, team), peer_nodes(flow, platform + team)
            assert pods and peers, f"{stack}: flow {flow.name} selects no pod or no peer in the analyzed cluster"
            for pod in pods:
                for peer in (p for p in peers if p != pod.node):  # a pod's traffic to itself crosses no policy
                    pair = (pod.node, peer) if flow.direction == "egress" else (peer, pod.node)
                    assert _allows(edges, *pair, wanted), f"{stack}: {pair[0]} -> {pair[1]} {sorted(wanted)} ({flow.why})"
                    checked += 1
    assert checked >= 100


def test_no_other_team_reaches_the_namespace(maps):
    for stack, (bp, capture, team, platform, edges) in maps.items():
        assert not [e for e in edges if e[0].startswith(f"{OTHER_TEAM}/")], stack
        assert not [e for e in edges if e[0].startswith("0.0.0.0")], f"{stack}: any address reaches team pods"


def test_ingress_controller_reaches_only_declared_app_ports(maps):
    for stack, (bp, capture, team, platform, edges) in maps.items():
        apps = {p.node for p in team if DATA_SERVICE not in p.labels}
        declared = {("TCP", port) for port in bp.decisions.network.app_ports}
        controller = next(p.node for p in platform if p.labels == INGRESS_POD)
        reached = [(d, connections(c)) for s, d, c in edges if s == controller]
        assert reached, f"{stack}: the ingress controller reaches no application"
        for destination, conns in reached:
            assert destination in apps, f"{stack}: the ingress controller reaches {destination}"
            assert conns is not None and conns <= declared, f"{stack}: ingress -> {destination} on {conns}"


def test_nothing_reaches_a_data_service_but_its_clients_and_its_operator(maps):
    """Inside the namespace too: an application that does not carry the service's client label is refused."""
    operators = {"postgres": "cnpg-system/", "kafka": "strimzi/", "redis": None}
    seen = 0
    for stack, (bp, capture, team, platform, edges) in maps.items():
        namespace = plan(bp).tenancy.namespace
        for pod in (p for p in team if DATA_SERVICE in p.labels):
            seen += 1
            kind = pod.labels[DATA_SERVICE]
            admitted = {p.node for p in team if p.labels.get(client_label(kind)) == "true"
                        or p.labels.get(DATA_SERVICE) == kind}
            for source, _, _ in (e for e in edges if e[1] == pod.node):
                operator = operators[kind]
                assert source in admitted or (operator and source.startswith(operator)), \
                    f"{stack}: {source} reaches {pod.node}"
            if selects(POD_GROUPS[SERVING_PODS[kind]], pod.labels):
                assert [e for e in edges if e[1] == pod.node and e[0] == f"{namespace}/{kind}-client[Pod]"], \
                    f"{stack}: the {kind} client cannot reach {pod.node}"
    assert seen >= 10


def test_an_unlabelled_application_reaches_no_data_service(maps):
    checked = 0
    for stack, (bp, capture, team, platform, edges) in maps.items():
        app = next(p.node for p in team if p.name == "app")
        data = {p.node for p in team if DATA_SERVICE in p.labels}
        assert not [e for e in edges if e[0] == app and e[1] in data], f"{stack}: an unlabelled pod reaches a database"
        assert not [e for e in edges if e[0] == app and not e[1].startswith(f"{plan(bp).tenancy.namespace}/")
                    and e[1] not in {p.node for p in platform}], f"{stack}: an unlabelled pod reaches a managed service"
        checked += 1
    assert checked >= 20


def test_team_pods_reach_out_only_to_declared_flows(maps):
    for stack, (bp, capture, team, platform, edges) in maps.items():
        namespace = plan(bp).tenancy.namespace
        declared = {peer for f in plan(bp).tenancy.flows if f.direction == "egress" for peer in peer_nodes(f, platform + team)}
        for source, destination, _ in edges:
            if source.startswith(f"{namespace}/") and not destination.startswith(f"{namespace}/"):
                assert within(destination, declared), f"{stack}: {source} reaches {destination}, which no flow declares"


def test_prod_maps_are_the_reviewed_ones(maps):
    for stack, (bp, capture, team, platform, edges) in maps.items():
        if bp.prod:
            path = map_path(bp)
            assert path.exists(), f"{path.name}: record it with `python -m tests.network_map --update`"
            assert recorded_text(plan(bp).tenancy.namespace, edges) == path.read_text(), \
                f"{path.name} drifted: review the change, then `python -m tests.network_map --update`"


def test_validate_reports_a_dropped_flow_and_passes_the_rendered_one(maps):
    stack = next(s for s, (bp, *_) in maps.items() if bp.request.target == "vsphere" and bp.data_services)
    bp, capture = maps[stack][0], maps[stack][1]
    assert dropped_flows(bp, capture) == []
    backup = next(r for r in capture.resources
                  if r.type == NETWORK_POLICY and r.inputs["metadata"]["name"] == "allow-backup-egress")
    without = replace(capture, resources=[r for r in capture.resources if r is not backup])
    assert [m for m in dropped_flows(bp, without) if "backup-egress" in m], "a dropped backup flow went unnoticed"


def test_validate_reports_s3_egress_without_a_gateway_endpoint(maps):
    stack = next(s for s, (bp, *_) in maps.items()
                 if any(f.peer.prefix_list for f in plan(bp).tenancy.flows))
    bp, capture = maps[stack][0], maps[stack][1]
    assert dropped_flows(bp, capture) == []
    without = replace(capture, resources=[r for r in capture.resources if r.type != VPC_ENDPOINT])
    assert [m for m in dropped_flows(bp, without) if "to-object-storage" in m and "gateway endpoint" in m], \
        f"{stack}: S3 egress without its gateway endpoint went unnoticed"
