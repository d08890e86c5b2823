"""Every catalog blueprint on every target it supports: bp new -> bp validate -> bp preview --json.

One scratch repository holds all the stacks, so placement also proves they do not collide.
"""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from components.aws.tagging import taggable
from components.ownership import OWNERSHIP_KEYS
from tests.conftest import ROOT
from tests.kube_schema import assert_valid

CASES = {
    # stack: (bp new arguments, resource kinds the preview must hold)
    "web-aws-prod": (["--blueprint", "web-service", "--env", "prod", "--region", "amer", "--target", "aws"],
                     {"aws:ec2/vpc:Vpc", "aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup",
                      "aws:ec2/flowLog:FlowLog", "kubernetes:core/v1:Namespace", "kubernetes:networking.k8s.io/v1:NetworkPolicy"}),
    "web-vs-dev": (["--blueprint", "web-service", "--env", "dev", "--site", "ldn1"],
                   {"kubernetes:core/v1:Namespace", "kubernetes:postgresql.cnpg.io/v1:Cluster", "kubernetes:apps/v1:StatefulSet"}),
    "data-aws-dev": (["--blueprint", "data-platform", "--env", "dev", "--region", "emea", "--target", "aws",
                      "-d", "kafka", "-d", "postgres:M", "-d", "object-storage"],
                     {"aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:msk/cluster:Cluster",
                      "aws:rds/instance:Instance", "aws:s3/bucket:Bucket", "aws:kms/key:Key"}),
    "data-vs-prod": (["--blueprint", "data-platform", "--env", "prod", "--site", "ny1"],
                     {"kubernetes:cluster.x-k8s.io/v1beta1:Cluster", "kubernetes:kafka.strimzi.io/v1beta2:Kafka",
                      "kubernetes:postgresql.cnpg.io/v1:Cluster", "vsphere:index/distributedPortGroup:DistributedPortGroup",
                      "vsphere:index/resourcePool:ResourcePool"}),
    "k8s-aws-prod": (["--blueprint", "k8s-cluster", "--env", "prod", "--site", "us-west-2"],
                     {"aws:eks/cluster:Cluster", "aws:eks/addon:Addon", "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
                      "aws:ec2/launchTemplate:LaunchTemplate"}),
    "k8s-vs-dev": (["--blueprint", "k8s-cluster", "--env", "dev", "--site", "tx1"],
                   {"kubernetes:cluster.x-k8s.io/v1beta1:Cluster", "kubernetes:core/v1:Namespace"}),
    "vm-vs-prod": (["--blueprint", "vm-app", "--env", "prod", "--region", "emea", "--param", "ha=true"],
                   {"vsphere:index/virtualMachine:VirtualMachine", "vsphere:index/folder:Folder",
                    "vsphere:index/computeClusterVmAntiAffinityRule:ComputeClusterVmAntiAffinityRule"}),
    "hub-aws-prod": (["--blueprint", "network-hub", "--env", "prod", "--site", "us-east-1"],
                     {"aws:ec2transitgateway/transitGateway:TransitGateway", "aws:ram/resourceShare:ResourceShare"}),
}


@pytest.fixture(scope="module")
def previews(tmp_path_factory) -> dict[str, dict]:
    from cli.main import app

    repo = tmp_path_factory.mktemp("repo")
    (repo / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", repo)
    shutil.copy(ROOT / "stacks" / "__main__.py", repo / "stacks")
    runner = CliRunner()

    def bp(*args):
        result = runner.invoke(app, ["--repo", str(repo), *args], catch_exceptions=False)
        assert result.exit_code == 0, f"bp {' '.join(args)}: {result.output}"
        return result

    for stack, (args, _) in CASES.items():
        team, env = stack.rsplit("-", 1)
        bp("new", team, *args, "--owner", "lead@example.com", "--cost-center", "CC-9")
    bp("validate", "--all")
    return {stack: json.loads(bp("preview", stack, "--json").stdout) for stack in CASES}


@pytest.mark.parametrize("stack", CASES)
def test_preview_lists_the_blueprints_resource_kinds(previews, stack):
    types = {r["type"] for r in previews[stack]["resources"]}
    missing = CASES[stack][1] - types
    assert not missing, f"{stack} lacks {sorted(missing)}"
    root = [r for r in previews[stack]["resources"] if r["type"] == "cloud-blueprints:index:TeamBlueprint"]
    assert len(root) == 1 and root[0]["parent"].endswith(f"::cloud-blueprints-{stack}"), stack


@pytest.mark.parametrize("stack", CASES)
def test_every_resource_uses_an_explicit_provider(previews, stack):
    # Stack files disable default providers for every package that holds credentials; random and time have none.
    for r in previews[stack]["resources"]:
        if r["custom"] and not r["type"].startswith(("pulumi:providers:", "random:", "time:")):
            assert r["provider"] and "::default" not in r["provider"], f"{r['urn']} uses a default provider"


@pytest.mark.parametrize("stack", [s for s in CASES if "-aws-" in s])
def test_every_taggable_aws_resource_carries_the_ownership_tags(previews, stack):
    for r in previews[stack]["resources"]:
        if taggable(r["type"]):
            tags = r["inputs"].get("tags") or {}
            for key in OWNERSHIP_KEYS:
                assert tags.get(key), f"{r['urn']} lacks tag {key}"
            assert tags["blueprint"] == previews[stack]["outputs"]["blueprint"], r["urn"]


def _containers(value):
    """Every container spec anywhere in a resource's inputs."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key in ("containers", "initContainers") and isinstance(child, list):
                yield from child
            else:
                yield from _containers(child)
    elif isinstance(value, list):
        for child in value:
            yield from _containers(child)


@pytest.mark.parametrize("stack", CASES)
def test_no_privileged_or_unlimited_workload_and_only_in_fenced_namespaces(previews, stack):
    resources = previews[stack]["resources"]
    fenced = {r["inputs"]["metadata"]["namespace"] for r in resources
              if r["type"] == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
              and r["inputs"]["metadata"]["name"] == "default-deny"}
    for r in resources:
        if not r["type"].startswith("kubernetes:") or r["type"].startswith("kubernetes:cluster.x-k8s.io"):
            continue  # Cluster API objects live on the Supervisor, not in a team cluster
        ns = r["inputs"].get("metadata", {}).get("namespace")
        if ns:
            assert ns in fenced, f"{r['urn']} is in namespace {ns}, which has no default-deny policy"
        for c in _containers(r["inputs"]):
            sc = c.get("securityContext", {})
            assert not sc.get("privileged") and sc.get("allowPrivilegeEscalation") is False, f"{r['urn']}: {c.get('name')}"
            assert c.get("resources", {}).get("limits"), f"{r['urn']}: container {c.get('name')} has no limits"


def test_rendered_kubernetes_objects_are_valid(previews):
    from engine.captured import Capture, CapturedResource

    for stack, preview in previews.items():
        capture = Capture(stack=stack)
        for r in preview["resources"]:
            capture.resources.append(CapturedResource(
                urn=r["urn"], type=r["type"], name=r["name"], parent=r["parent"], custom=r["custom"], inputs=r["inputs"],
                outputs={}, protect=r["protect"], dependencies=tuple(r["dependencies"]), provider=r["provider"],
                ignore_changes=tuple(r["ignore_changes"]), delete_before_replace=False, retain_on_delete=False))
        assert_valid(capture)


def test_outputs_hold_no_plaintext_secret(previews):
    for stack, preview in previews.items():
        out = preview["outputs"]
        for key in ("kubeconfig",):
            if key in out:
                assert out[key] == "[secret]", f"{stack}: {key} is not secret"
        text = json.dumps(preview)
        assert "BEGIN RSA PRIVATE KEY" not in text and "password\": \"" not in text.lower(), stack
