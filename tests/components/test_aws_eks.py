"""KubernetesCluster: private prod endpoint, envelope encryption, audit logs, IRSA, access entries, add-ons."""

from __future__ import annotations

import json

import pytest

from aws_support import (
    TAGS,
    assert_owned_and_tagged,
    eks_args,
    inputs,
    keys_rotate,
    log_keys_admit_cloudwatch_logs,
    policy,
    run,
)
from components.aws.eks import KubernetesCluster, KubernetesClusterArgs, kubeconfig
from engine import SECRET

TYPE = "cloud-blueprints:aws:KubernetesCluster"
CLUSTER = "aws:eks/cluster:Cluster"
ADMIN = "arn:aws:iam::111111111111:role/platform-admin"
TEAM = "arn:aws:iam::111111111111:role/payments-developers"


def system(prod: bool) -> dict:
    """The system pool and service network the plan hands the cluster (the sites map's)."""
    return dict(system_instance_types=["m6i.large"], system_pool_size=(3, 3, 6) if prod else (2, 2, 3),
                service_cidr="172.20.0.0/16")


def cluster(prod: bool, **extra):
    args = eks_args(
        kubernetes_version="1.31",
        subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
        prod=prod,
        tags=TAGS,
        admin_role_arns=[ADMIN],
        team_role_arns=[TEAM],
        **{"system_metadata_hop_limit": 1, **system(prod), **extra},
    )
    return run(lambda: KubernetesCluster("payments", args), stack="payments-prod" if prod else "payments-dev")


@pytest.fixture(scope="module")
def prod():
    return cluster(True, team_namespaces=["payments-prod"])


@pytest.fixture(scope="module")
def dev():
    return cluster(False, public_access_cidrs=["203.0.113.0/24"])


def test_prod_endpoint_private_only_with_deletion_protection(prod):
    eks = prod.one(CLUSTER)
    vpc = eks.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False, eks.urn
    assert not vpc.get("publicAccessCidrs"), eks.urn
    assert eks.inputs["deletionProtection"] is True, eks.urn


def test_dev_endpoint_public_only_to_allowed_cidrs(dev):
    eks = dev.one(CLUSTER)
    vpc = eks.inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True and vpc["publicAccessCidrs"] == ["203.0.113.0/24"], eks.urn
    assert eks.inputs["deletionProtection"] is False, eks.urn


@pytest.mark.parametrize("prod,cidrs,match", [(False, ["0.0.0.0/0"], "whole internet"),
                                             (True, ["203.0.113.0/24"], "a prod cluster's endpoint is private only")])
def test_open_or_prod_public_endpoint_is_refused(prod, cidrs, match):
    with pytest.raises(ValueError, match=match):
        eks_args(kubernetes_version="1.31", subnet_ids=["s"], prod=prod, tags=TAGS,
                              system_metadata_hop_limit=1, public_access_cidrs=cidrs, **system(prod))


def test_no_public_endpoint_without_cidrs():
    cap = cluster(False)
    assert cap.one(CLUSTER).inputs["vpcConfig"]["endpointPublicAccess"] is False


def test_secrets_encrypted_with_rotating_key_and_all_logs_kept(prod, dev):
    for cap, days in ((prod, 365), (dev, 90)):
        eks = cap.one(CLUSTER)
        enc = eks.inputs["encryptionConfig"]
        assert enc["resources"] == ["secrets"], eks.urn
        cluster_key = [k for k in cap.by_type("aws:kms/key:Key") if k.name == "payments-eks-key"][0]
        assert enc["provider"]["keyArn"] == cluster_key.outputs["arn"], eks.urn
        keys_rotate(cap)
        assert log_keys_admit_cloudwatch_logs(cap) == 1, eks.urn
        assert set(eks.inputs["enabledClusterLogTypes"]) >= {"api", "audit", "authenticator"}, eks.urn
        group = inputs(cap, "aws:cloudwatch/logGroup:LogGroup", "payments-control-plane")
        assert group["name"] == "/aws/eks/payments/cluster" and group["retentionInDays"] == days
        assert group["kmsKeyId"] == cluster_key.outputs["arn"]
        assert eks.inputs["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}


def test_oidc_provider_and_ebs_csi_irsa(prod):
    eks = prod.one(CLUSTER)
    issuer = eks.outputs["identities"][0]["oidcs"][0]["issuer"]
    oidc = prod.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["url"] == issuer and oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"], oidc.urn
    trust = policy(inputs(prod, "aws:iam/role:Role", "payments-ebs-csi-role")["assumeRolePolicy"])[0]
    assert trust["Principal"]["Federated"] == oidc.outputs["arn"]
    host = issuer.removeprefix("https://")
    assert trust["Condition"]["StringEquals"][f"{host}:sub"] == "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    csi = inputs(prod, "aws:eks/addon:Addon", "payments-aws-ebs-csi-driver")
    csi_role = [r for r in prod.by_type("aws:iam/role:Role") if r.name == "payments-ebs-csi-role"][0]
    assert csi["serviceAccountRoleArn"] == csi_role.outputs["arn"], csi_role.urn


def test_access_entries_admin_cluster_wide_team_scoped_to_namespaces(prod, dev):
    def grants(cap):
        return {
            (a.inputs["principalArn"], a.inputs["policyArn"].rsplit("/", 1)[-1], a.inputs["accessScope"]["type"], tuple(a.inputs["accessScope"].get("namespaces") or ()))
            for a in cap.by_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        }

    assert grants(prod) == {
        (ADMIN, "AmazonEKSClusterAdminPolicy", "cluster", ()),
        (TEAM, "AmazonEKSEditPolicy", "namespace", ("payments-prod",)),
    }
    assert (TEAM, "AmazonEKSViewPolicy", "cluster", ()) in grants(dev)


def test_core_addons_and_compute_addons_wait_for_the_system_pool(prod):
    addons = {a.inputs["addonName"]: a for a in prod.by_type("aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver"}
    system_group = [g for g in prod.by_type("aws:eks/nodeGroup:NodeGroup") if g.name == "payments-system-ng"][0]
    for name in ("coredns", "aws-ebs-csi-driver"):
        assert system_group.urn in addons[name].dependencies, f"{addons[name].urn} does not wait for the system pool"
    assert prod.one(CLUSTER).inputs["bootstrapSelfManagedAddons"] is False
    pool = prod.one("cloud-blueprints:aws:NodePool")
    assert pool.parent == prod.one(TYPE).urn
    assert system_group.inputs["scalingConfig"] == {"minSize": 3, "desiredSize": 3, "maxSize": 6}


def test_vpc_cni_enforces_network_policies(prod, dev):
    for cap in (prod, dev):
        cni = [a for a in cap.by_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni"][0]
        config = json.loads(cni.inputs.get("configurationValues") or "{}")
        assert config.get("enableNetworkPolicy") == "true", f"{cni.urn}: NetworkPolicies would not be enforced"
    others = [a for a in prod.by_type("aws:eks/addon:Addon") if a.inputs["addonName"] != "vpc-cni"]
    assert all("configurationValues" not in a.inputs for a in others), "only the CNI is configured"


def test_system_pool_hop_limit_comes_from_the_args():
    for hops in (1, 2):
        cap = cluster(False, system_metadata_hop_limit=hops)
        lt = cap.one("aws:ec2/launchTemplate:LaunchTemplate")
        assert lt.inputs["metadataOptions"]["httpPutResponseHopLimit"] == hops, lt.urn


def test_kubeconfig_is_secret_and_uses_short_lived_tokens(prod):
    outputs = prod.component_outputs[prod.one(TYPE).urn]
    assert outputs["kubeconfig"] == SECRET
    cfg = json.loads(kubeconfig("payments", "https://x.eks.amazonaws.com", "Q0E=", "us-east-1"))
    user = cfg["users"][0]["user"]
    assert "token" not in user and user["exec"]["command"] == "aws"
    assert user["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", "payments"]
    assert outputs["cluster_security_group_id"].startswith("sg-")
    assert outputs["oidc_provider_arn"].startswith("arn:aws:iam::111111111111:oidc-provider/oidc.eks.")


def test_everything_tagged_and_parented(prod, dev):
    for cap in (prod, dev):
        assert_owned_and_tagged(cap, cap.one(TYPE).urn)


def test_a_recorded_node_image_and_addon_versions_are_what_the_cluster_runs(prod):
    from dataclasses import replace

    base = eks_args(kubernetes_version="1.31", subnet_ids=["subnet-a", "subnet-b"], prod=False, tags=TAGS,
                    system_metadata_hop_limit=1, **system(False))
    plan = replace(base.plan, node_image="1.31.3-20260209", addon_versions=(("coredns", "v1.11.4-eksbuild.2"),
                                                                            ("vpc-cni", "v1.19.2-eksbuild.1")))
    cap = run(lambda: KubernetesCluster("payments", KubernetesClusterArgs(plan=plan, access=base.access)))
    group = cap.one("aws:eks/nodeGroup:NodeGroup")
    assert (group.inputs["version"], group.inputs["releaseVersion"]) == ("1.31", "1.31.3-20260209"), group.urn
    versions = {a.inputs["addonName"]: a.inputs.get("addonVersion") for a in cap.by_type("aws:eks/addon:Addon")}
    assert versions == {"coredns": "v1.11.4-eksbuild.2", "vpc-cni": "v1.19.2-eksbuild.1", "kube-proxy": None,
                        "eks-pod-identity-agent": None, "aws-ebs-csi-driver": None}
    unpinned = prod.one("aws:eks/nodeGroup:NodeGroup")
    assert "version" not in unpinned.inputs and "releaseVersion" not in unpinned.inputs, unpinned.urn


def test_only_the_ebs_csi_driver_gets_an_iam_role(prod):
    roles = {a.inputs["addonName"]: a.inputs.get("serviceAccountRoleArn") for a in prod.by_type("aws:eks/addon:Addon")}
    assert [name for name, role in roles.items() if role] == ["aws-ebs-csi-driver"], roles


def test_a_clusters_access_cannot_be_opened_after_its_checks():
    from dataclasses import FrozenInstanceError

    access = eks_args(kubernetes_version="1.31", subnet_ids=["s"], prod=True, tags=TAGS, system_metadata_hop_limit=1,
                      **system(True)).access
    with pytest.raises(FrozenInstanceError):
        access.public_access_cidrs = ["0.0.0.0/0"]
    assert access.public_endpoint is False


def test_the_clusters_kubernetes_provider_applies_server_side_with_the_secret_kubeconfig():
    from components.aws.eks import kubernetes_provider

    args = eks_args(kubernetes_version="1.31", subnet_ids=["subnet-a", "subnet-b"], prod=False, tags=TAGS,
                    system_metadata_hop_limit=1, **system(False))
    cap = run(lambda: kubernetes_provider("payments-k8s", KubernetesCluster("payments", args)))
    provider = cap.one("pulumi:providers:kubernetes")
    assert provider.inputs == {"enableServerSideApply": "true", "kubeconfig": "[secret]"}, provider.urn
    assert cap.one(CLUSTER).urn in provider.dependencies, f"{provider.urn} must wait for the cluster"


def test_the_kubeconfig_names_this_cluster_its_endpoint_ca_and_region():
    seen: list[str] = []
    args = eks_args(kubernetes_version="1.31", subnet_ids=["subnet-a", "subnet-b"], prod=False, tags=TAGS,
                    system_metadata_hop_limit=1, **system(False))

    def program():
        KubernetesCluster("payments", args).kubeconfig.apply(seen.append)

    cap = run(program)
    eks = cap.one(CLUSTER)
    cfg = json.loads(seen[0])
    assert cfg["clusters"] == [{"name": "payments", "cluster": {
        "server": eks.outputs["endpoint"], "certificate-authority-data": eks.outputs["certificateAuthority"]["data"]}}]
    assert cfg["contexts"] == [{"name": "payments", "context": {"cluster": "payments", "user": "payments"}}]
    assert cfg["users"][0]["user"]["exec"]["args"] == ["eks", "get-token", "--cluster-name", "payments",
                                                       "--region", "us-east-1", "--output", "json"]
