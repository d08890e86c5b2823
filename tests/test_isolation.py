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


def _team_reach(capture, group: str) -> set[str]:
    """Namespaces in which `group` may read Secrets, from every binding the run renders."""
    reach = set()
    for binding in capture.by_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"):
        assert all(s["name"] != group for s in binding.inputs["subjects"]), f"{binding.urn}: the team is bound cluster-wide"
    for binding in capture.by_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"):
        if any(s["name"] == group for s in binding.inputs["subjects"]):
            # `edit` and `admin` read Secrets; `view` does not. Anything else would need reviewing here.
            assert binding.inputs["roleRef"]["name"] in ("edit", "view"), binding.urn
            if binding.inputs["roleRef"]["name"] == "edit":
                reach.add(binding.inputs["metadata"]["namespace"])
    return reach


def _backup_secrets(capture) -> set[tuple[str, str]]:
    """(namespace, name) of every Secret a rendered CNPG cluster backs up with."""
    found = set()
    for pg in capture.by_type("kubernetes:postgresql.cnpg.io/v1:Cluster"):
        creds = pg.inputs["spec"]["backup"]["barmanObjectStore"]["s3Credentials"]
        found |= {(pg.inputs["metadata"]["namespace"], ref["name"]) for ref in creds.values()}
    return found


def test_backups_go_to_the_teams_own_prefix_with_the_teams_own_key(fleet):
    checked = 0
    for stack, (bp, capture) in fleet.items():
        for pg in capture.by_type("kubernetes:postgresql.cnpg.io/v1:Cluster"):
            checked += 1
            store = pg.inputs["spec"]["backup"]["barmanObjectStore"]
            bucket = bp.primary.vsphere.backup.bucket
            assert store["destinationPath"].startswith(f"s3://{bucket}/{bp.stack}/"), f"{pg.urn}: {store['destinationPath']}"
            assert pg.inputs["metadata"]["namespace"] == bp.stack, pg.urn
        secrets = _backup_secrets(capture)
        assert all(ns == bp.stack for ns, _ in secrets), f"{stack}: a backup key outside the team namespace: {secrets}"
    assert checked >= 4


def test_a_team_can_read_no_other_teams_or_site_wide_backup_key(fleet):
    everyone = {secret: stack for stack, (_, capture) in fleet.items() for secret in _backup_secrets(capture)}
    assert everyone, "no backup secret rendered: the check proved nothing"
    for stack, (bp, capture) in fleet.items():
        if not bp.spec.namespace or bp.spec.cluster == "none":
            continue
        reach = _team_reach(capture, f"{bp.platform.team_group_prefix}{bp.request.team}")
        assert reach == {bp.stack}, f"{stack}: the team reads Secrets in {sorted(reach)}"
        readable = {secret: owner for secret, owner in everyone.items() if secret[0] in reach}
        assert all(owner == stack for owner in readable.values()), f"{stack} can read {readable}"
