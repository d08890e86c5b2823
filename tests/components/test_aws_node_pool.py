"""NodePool: parented to its cluster, IMDSv2, encrypted gp3 roots, minimal node role, labels/taints/spot."""

from __future__ import annotations

import json

import pulumi
import pytest

from aws_support import TAGS, assert_owned_and_tagged, eks_args, keys_rotate, policy, run
from components.aws.eks import KubernetesCluster, kubernetes_provider
from components.aws.node_pool import NodePool, NodePoolArgs, Taint

POOL = "cloud-blueprints:aws:NodePool"
KUBECONFIGS: list[str] = []


@pytest.fixture(scope="module")
def cap():
    def program():
        cluster = KubernetesCluster(
            "payments",
            eks_args(kubernetes_version="1.31", subnet_ids=["subnet-a", "subnet-b"], prod=False, tags=TAGS,
                                  system_metadata_hop_limit=1, system_instance_types=["m6i.large"], system_pool_size=(2, 2, 3),
                                  service_cidr="172.20.0.0/16"),
        )
        NodePool(
            "payments-batch",
            NodePoolArgs(
                cluster_name=cluster.cluster_name,
                subnet_ids=["subnet-a", "subnet-b"],
                instance_types=["m7g.xlarge", "c7g.xlarge"],
                min_size=0,
                desired_size=2,
                max_size=10,
                prod=False,
                tags=TAGS,
                labels={"workload": "batch"},
                taints=[Taint("dedicated", "NO_SCHEDULE", "batch")],
                capacity_type="SPOT",
                metadata_hop_limit=2,
            ),
            opts=pulumi.ResourceOptions(parent=cluster),
        )
        cluster.kubeconfig.apply(KUBECONFIGS.append)
        kubernetes_provider("payments-k8s", cluster)

    return run(program)


def pool_resources(cap, pool_name):
    pool = [p for p in cap.by_type(POOL) if p.name == pool_name][0]
    kids = {r.type: r for r in cap.resources if r.parent == pool.urn}
    return pool, kids


def test_pool_is_parented_to_its_cluster(cap):
    cluster = cap.one("cloud-blueprints:aws:KubernetesCluster")
    pool, _ = pool_resources(cap, "payments-batch")
    assert pool.parent == cluster.urn, pool.urn
    assert_owned_and_tagged(cap, cluster.urn)


def test_launch_template_requires_imdsv2_and_encrypts_gp3_roots(cap):
    for pool_name, hops in (("payments-batch", 2), ("payments-system", 1)):
        pool, kids = pool_resources(cap, pool_name)
        lt = kids["aws:ec2/launchTemplate:LaunchTemplate"].inputs
        meta = lt["metadataOptions"]
        assert meta["httpTokens"] == "required" and meta["httpPutResponseHopLimit"] == hops, pool.urn
        ebs = lt["blockDeviceMappings"][0]["ebs"]
        assert ebs["volumeType"] == "gp3" and ebs["encrypted"] == "true", pool.urn
        assert ebs["kmsKeyId"] == kids["aws:kms/key:Key"].outputs["arn"], pool.urn
        assert {t["resourceType"] for t in lt["tagSpecifications"]} == {"instance", "volume", "network-interface"}
        for spec in lt["tagSpecifications"]:
            assert spec["tags"]["team"] == TAGS["team"], f"{pool.urn}: {spec['resourceType']} untagged"
    keys_rotate(cap)


def test_node_role_has_only_the_policies_nodes_need(cap):
    pool, kids = pool_resources(cap, "payments-batch")
    role = kids["aws:iam/role:Role"]
    trust = policy(role.inputs["assumeRolePolicy"])
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    attached = sorted(
        a.inputs["policyArn"].rsplit("/", 1)[-1] for a in cap.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.parent == role.urn
    )
    assert attached == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"], role.urn


def test_scaling_labels_taints_spot_and_architecture(cap):
    pool, kids = pool_resources(cap, "payments-batch")
    ng = kids["aws:eks/nodeGroup:NodeGroup"]
    assert ng.inputs["scalingConfig"] == {"minSize": 0, "desiredSize": 2, "maxSize": 10}, ng.urn
    assert ng.inputs["capacityType"] == "SPOT" and ng.inputs["amiType"] == "AL2023_ARM_64_STANDARD", ng.urn
    assert ng.inputs["labels"] == {"workload": "batch"}
    assert ng.inputs["taints"] == [{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}]
    assert ng.inputs["clusterName"] == "payments"
    assert "scalingConfig.desiredSize" in ng.ignore_changes, "the autoscaler owns the desired size"


def test_kubeconfig_builds_a_provider(cap):
    cfg = json.loads(KUBECONFIGS[0])
    assert cfg["clusters"][0]["cluster"]["server"].startswith("https://")
    assert cfg["users"][0]["user"]["exec"]["args"][1] == "get-token"
    provider = cap.one("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "[secret]", provider.urn


@pytest.mark.parametrize(
    "extra, match",
    [
        ({"min_size": 3, "desired_size": 2}, "need 0 <= min <= desired <= max"),
        ({"capacity_type": "RESERVED"}, "capacity_type 'RESERVED' is not one of"),
        ({"metadata_hop_limit": 3}, "metadata_hop_limit must be 1 or 2"),
        ({"instance_types": ["m7g.large", "m6i.large"]}, "instance types mix architectures"),
    ],
)
def test_bad_args_fail_early(extra, match):
    base = dict(cluster_name="c", subnet_ids=["s"], instance_types=["m6i.large"], min_size=1, desired_size=2, max_size=3, prod=False, tags=TAGS,
                metadata_hop_limit=1)
    with pytest.raises(ValueError, match=match):
        NodePoolArgs(**{**base, **extra})


BASE = {"cluster_name": "c", "subnet_ids": ["s"], "instance_types": ["m6i.large"], "min_size": 1, "desired_size": 2,
        "max_size": 3, "prod": False, "tags": TAGS, "metadata_hop_limit": 1}


@pytest.mark.parametrize("sizes", [(0, 0, 1), (2, 2, 2), (0, 3, 3), (5, 5, 9)])
def test_sizes_at_their_edges_are_accepted(sizes):
    args = NodePoolArgs(**{**BASE, **dict(zip(("min_size", "desired_size", "max_size"), sizes))})
    assert (args.min_size, args.desired_size, args.max_size) == sizes


@pytest.mark.parametrize("sizes", [(0, 0, 0), (-1, 0, 1), (2, 3, 2), (3, 2, 3)])
def test_sizes_just_past_their_edges_are_refused(sizes):
    with pytest.raises(ValueError, match=r"need 0 <= min <= desired <= max, max >= 1: " + "/".join(map(str, sizes))):
        NodePoolArgs(**{**BASE, **dict(zip(("min_size", "desired_size", "max_size"), sizes))})


def test_a_pool_needs_an_instance_type_and_a_known_taint_effect():
    with pytest.raises(ValueError, match="at least one instance type"):
        NodePoolArgs(**{**BASE, "instance_types": []})
    assert [Taint("k", effect).effect for effect in ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")]
    with pytest.raises(ValueError, match=r"Taint k: effect 'NoSchedule' is not one of"):
        Taint("k", "NoSchedule")


def test_checked_args_cannot_be_changed_after_their_checks():
    from dataclasses import FrozenInstanceError

    args = NodePoolArgs(**BASE, taints=[Taint("k", "NO_SCHEDULE")])
    with pytest.raises(FrozenInstanceError):
        args.metadata_hop_limit = 3
    with pytest.raises(FrozenInstanceError):
        args.taints[0].effect = "NoSchedule"


def _pool(prod: bool, **extra):
    return run(lambda: NodePool("payments-web", NodePoolArgs(**{**BASE, "prod": prod, **extra})),
               stack="payments-prod" if prod else "payments-dev")


@pytest.mark.parametrize("prod,unavailable", [(True, 25), (False, 50)])
def test_nodes_are_repaired_monitored_and_rolled_a_tiers_share_at_a_time(prod, unavailable):
    cap = _pool(prod)
    ng = cap.one("aws:eks/nodeGroup:NodeGroup")
    assert ng.inputs["updateConfig"] == {"maxUnavailablePercentage": unavailable}, ng.urn
    assert ng.inputs["nodeRepairConfig"] == {"enabled": True} and ng.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    lt = cap.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert lt.inputs["updateDefaultVersion"] is True and lt.inputs["monitoring"] == {"enabled": True}, lt.urn
    assert ng.inputs["launchTemplate"]["version"] == str(lt.outputs["latestVersion"]), ng.urn
    assert lt.inputs["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required",
                                            "httpPutResponseHopLimit": 1, "instanceMetadataTags": "disabled"}, lt.urn
    ebs = lt.inputs["blockDeviceMappings"][0]["ebs"]
    assert (ebs["volumeSize"], ebs["deleteOnTermination"]) == (50, "true"), lt.urn


def test_auto_scaling_may_use_the_volume_key_and_grant_it_only_to_aws_resources():
    cap = _pool(True)
    key = cap.one("aws:kms/key:Key")
    assert key.inputs["deletionWindowInDays"] == 30, key.urn
    statements = {s.get("Sid"): s for s in policy(key.inputs["policy"])}
    role = "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    uses, grants = statements["AutoScalingUsesKeyForVolumes"], statements["AutoScalingCreatesGrantsForVolumes"]
    assert uses["Principal"] == grants["Principal"] == {"AWS": role}, key.urn
    assert grants["Action"] == "kms:CreateGrant", key.urn
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}, key.urn
