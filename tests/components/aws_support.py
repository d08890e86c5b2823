"""Helpers shared by the AWS component tests: ownership tags, runs, and the checks every component gets."""

from __future__ import annotations

import json
from typing import Callable

import engine
from blueprints.plan import EksCluster, NodePoolPlan
from components.aws.eks import EksAccess, KubernetesClusterArgs
from components.aws.tagging import taggable
from components.ownership import OWNERSHIP_KEYS

TGW_ASSOCIATION = "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation"
TGW_PROPAGATION = "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation"
"""Type tokens of a Transit Gateway attachment joining a hub route table, which the hub and the fabric both make."""

TAGS = {"team": "payments", "owner": "alice@example.com", "cost-center": "cc-42", "env": "prod",
        "blueprint": "web-service@1.2.0", "managed-by": "cloud-blueprints"}


def eks_args(*, kubernetes_version: str, system_metadata_hop_limit: int, system_instance_types: list[str],
             system_pool_size: tuple[int, int, int], service_cidr: str, **access) -> KubernetesClusterArgs:
    """KubernetesClusterArgs from the fields a test states: the plan's EKS values, and the rest as EksAccess."""
    low, desired, high = system_pool_size
    system = NodePoolPlan(name="system", machines=tuple(system_instance_types), nodes=desired, min_nodes=low,
                          max_nodes=high, disk_gib=50, imds_hop_limit=system_metadata_hop_limit)
    plan = EksCluster(kubernetes_version=kubernetes_version, node_pools=(), system_pool=system, service_cidr=service_cidr)
    return KubernetesClusterArgs(plan=plan, access=EksAccess(**access))


def run(program: Callable[[], object], stack: str = "payments-dev") -> engine.Capture:
    return engine.run(program, stack=stack)


def component(cap: engine.Capture, type_token: str, name: str | None = None) -> engine.CapturedResource:
    found = [r for r in cap.by_type(type_token) if name is None or r.name == name]
    assert len(found) == 1, f"expected one {type_token} {name or ''}: {[r.urn for r in found]}"
    return found[0]


def descendants(cap: engine.Capture, urn: str) -> list[engine.CapturedResource]:
    out, frontier = [], [urn]
    while frontier:
        kids = cap.children(frontier.pop())
        out.extend(kids)
        frontier.extend(k.urn for k in kids)
    return out


def assert_owned_and_tagged(cap: engine.Capture, *component_urns: str) -> None:
    """Every registered resource descends from one of the components, and every taggable one carries the tags."""
    subtree = {r.urn for urn in component_urns for r in descendants(cap, urn)}
    for r in cap.resources:
        if r.urn in component_urns or r.type.startswith("pulumi:providers:"):
            continue
        assert r.urn in subtree, f"{r.urn} is not a descendant of {component_urns} (parent {r.parent})"
        if r.custom and taggable(r.type):
            tags = r.inputs.get("tags") or {}
            missing = [k for k in OWNERSHIP_KEYS if tags.get(k) != TAGS[k]]
            assert not missing, f"{r.urn} lacks ownership tags {missing}: {tags}"


def inputs(cap: engine.Capture, type_token: str, name: str) -> dict:
    found = [r for r in cap.by_type(type_token) if r.name == name]
    assert len(found) == 1, f"expected one {type_token} named {name}: {[r.urn for r in cap.by_type(type_token)]}"
    return found[0].inputs


def policy(doc: str) -> list[dict]:
    return json.loads(doc)["Statement"]


def keys_rotate(cap: engine.Capture) -> None:
    for key in cap.by_type("aws:kms/key:Key"):
        assert key.inputs.get("enableKeyRotation") is True, f"{key.urn} does not rotate"


def log_keys_admit_cloudwatch_logs(cap: engine.Capture) -> int:
    """Every key that encrypts a log group lets this account's CloudWatch Logs use it (else CreateLogGroup is
    refused at `pulumi up`); returns how many log groups were checked."""
    keys = {k.outputs["arn"]: k for k in cap.by_type("aws:kms/key:Key")}
    groups = cap.by_type("aws:cloudwatch/logGroup:LogGroup")
    for group in groups:
        key = keys[group.inputs["kmsKeyId"]]
        region = key.outputs["arn"].split(":")[3]
        services = [s["Principal"].get("Service") for s in policy(key.inputs["policy"]) if s["Effect"] == "Allow"]
        assert f"logs.{region}.amazonaws.com" in services, f"{group.urn}: {key.urn} does not admit CloudWatch Logs"
    return len(groups)
