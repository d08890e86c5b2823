"""Isolation and secure defaults that must hold for every blueprint a team can stamp, on every target."""

from __future__ import annotations

import json

import pytest

from tests.fleet_renders import renders
from tests.kube_schema import assert_valid, crd_schemas, manifests

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


@pytest.fixture(scope="module")
def fleet():
    return renders()


def test_every_node_gets_imds_hop_limit_one(fleet):
    """With hop limit 2 any pod on the node reaches IMDS and takes the node role's credentials."""
    seen = 0
    for stack, (bp, capture) in fleet.items():
        for lt in capture.by_type(LAUNCH_TEMPLATE):
            seen += 1
            meta = lt.inputs["metadataOptions"]
            assert meta["httpTokens"] == "required", lt.urn
            assert meta["httpPutResponseHopLimit"] == 1, f"{lt.urn}: pods could reach the node role"
    assert seen >= 3, "no EKS node pool was rendered: the check above proved nothing"


def test_every_eks_cluster_enforces_network_policies(fleet):
    clusters = 0
    for stack, (bp, capture) in fleet.items():
        for cluster in capture.by_type("aws:eks/cluster:Cluster"):
            clusters += 1
            cni = [a for a in capture.by_type("aws:eks/addon:Addon")
                   if a.inputs["addonName"] == "vpc-cni" and a.parent == cluster.urn]
            assert len(cni) == 1, f"{cluster.urn}: no managed vpc-cni add-on"
            config = json.loads(cni[0].inputs.get("configurationValues") or "{}")
            assert config.get("enableNetworkPolicy") == "true", f"{cni[0].urn}: the tenancy's policies would not be enforced"
    assert clusters >= 2


def test_every_rendered_object_matches_its_schema(fleet):
    """Built-in objects against Kubernetes' schemas, custom resources against the operators' CRDs."""
    kinds = set()
    for stack, (bp, capture) in fleet.items():
        assert_valid(capture)
        kinds |= {(doc["apiVersion"], doc["kind"]) for _, doc in manifests(capture)}
    unused = set(crd_schemas()) - kinds
    assert not unused, f"vendored CRDs no blueprint renders (drop them or render them): {sorted(unused)}"
