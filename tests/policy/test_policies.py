"""Every policy with a resource (or stack) that passes and one that fails, evaluated over the Analyzer protocol."""

from __future__ import annotations

import base64
import json

import pytest

from policy_packs.packs import all_rules
from tests.policy.support import LABELS, TAGS, capture, component, k8s, res

S3 = "aws:s3/"
BUCKET = res(f"{S3}bucket:Bucket", "b", {"tags": TAGS})


def bucket_setting(kind: str, props: dict):
    return res(f"{S3}{kind[0].lower() + kind[1:]}:{kind}", f"b-{kind}", {"bucket": "b-123", **props}, deps={"bucket": [BUCKET]})


RDS_OK = {"engine": "postgres", "storageEncrypted": True, "kmsKeyId": "arn:key", "backupRetentionPeriod": 14,
          "deletionProtection": True, "multiAz": True, "publiclyAccessible": False, "manageMasterUserPassword": True,
          "iamDatabaseAuthenticationEnabled": True, "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
          "instanceClass": "db.m7g.large", "tags": TAGS}
EKS_OK = {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:key"}},
          "enabledClusterLogTypes": ["api", "audit", "authenticator"],
          "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False}, "tags": TAGS}
LT_OK = {"metadataOptions": {"httpTokens": "required"}, "instanceType": "m7g.large",
         "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": "arn:key"}}], "tags": TAGS}
REDIS_OK = {"atRestEncryptionEnabled": True, "kmsKeyId": "arn:key", "transitEncryptionEnabled": True,
            "transitEncryptionMode": "required", "authToken": "[secret]", "nodeType": "cache.m7g.large", "tags": TAGS}
MSK_OK = {"encryptionInfo": {"encryptionAtRestKmsKeyArn": "arn:key", "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True}},
          "clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": False},
          "brokerNodeGroupInfo": {"connectivityInfo": {"publicAccess": {"type": "DISABLED"}}}, "tags": TAGS}
VPC = res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16", "tags": TAGS})
CONTAINER = {"name": "app", "image": "registry.example/app:1.4.2",
             "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "privileged": False,
                                 "capabilities": {"drop": ["ALL"]}},
             "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}


def deployment(container: dict | None = None, **pod):
    spec = {"containers": [container or CONTAINER], **pod}
    return k8s("Deployment", "apps/v1", "app", {"template": {"spec": spec}})


def merged(base: dict, **changes) -> dict:
    return {**base, **changes}


def namespace(psa: str | None = "restricted"):
    labels = {**LABELS, **({"pod-security.kubernetes.io/enforce": psa} if psa else {})}
    return k8s("Namespace", "v1", "shop-prod", namespace=None, labels=labels)


DENY_ALL = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
VM = "vsphere:index/virtualMachine:VirtualMachine"


def tagged(kind: str, name: str, inputs: dict, keys=("team", "owner", "cost-center", "env", "blueprint", "managed-by")):
    """A vSphere object carrying one looked-up fleet tag per key, as TeamPlacement attaches them."""
    return [res(kind, name, {**inputs, "tags": [f"urn:vmomi:InventoryServiceTag:{k}:GLOBAL" for k in keys]})]


def cloud_init(text: str) -> dict:
    return {"extraConfig": {"guestinfo.userdata": base64.b64encode(text.encode()).decode(), "guestinfo.userdata.encoding": "base64"}}


POOL = component("cloud-blueprints:vsphere:VmPool", "pool")
VMS = [res(VM, f"vm-{i}", {"folder": "team"}, parent=POOL) for i in range(2)]
PASSWORD = res("random:index/randomPassword:RandomPassword", "pw", {"length": 32})

CASES = {
    # policy: (passing resources, failing resources)
    "cloudblueprints-ownership-resource-tags": (
        [res("aws:ec2/vpc:Vpc", "v", {"tags": TAGS}), namespace()],
        [res("aws:ec2/vpc:Vpc", "v", {"tags": {**TAGS, "owner": "nobody", "cost-center": ""}})]),
    "cloudblueprints-secrets-input-plaintext": (
        [PASSWORD, res("aws:secretsmanager/secretVersion:SecretVersion", "sv", {"secretString": "generated"}, deps={"secretString": [PASSWORD]})],
        [res("aws:secretsmanager/secretVersion:SecretVersion", "sv", {"secretString": "hunter2-literal"})]),
    "pulumi-providers-resource-explicit": (
        [res("aws:ec2/vpc:Vpc", "v", {"tags": TAGS}), res("random:index/randomPassword:RandomPassword", "pw", {}, provider=None),
         res("time:index/rotating:Rotating", "rot", {"rotationDays": 30}, provider=None)],
        [res("aws:ec2/vpc:Vpc", "v", {"tags": TAGS}, provider=None)]),
    "cloudblueprints-policy-exemption-expired": ([VPC], None),  # see test_exemptions.py
    "aws-s3-bucket-public-access-block": (
        [BUCKET, bucket_setting("BucketPublicAccessBlock", dict.fromkeys(
            ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"], True))],
        [BUCKET, bucket_setting("BucketPublicAccessBlock", {"blockPublicAcls": True})]),
    "aws-s3-bucket-sse-kms": (
        [BUCKET, bucket_setting("BucketServerSideEncryptionConfiguration", {"rules": [
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:key"}}]})],
        [BUCKET, bucket_setting("BucketServerSideEncryptionConfiguration", {"rules": [
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]})]),
    "aws-s3-bucket-versioning": (
        [BUCKET, bucket_setting("BucketVersioning", {"versioningConfiguration": {"status": "Enabled"}})],
        [BUCKET]),
    "aws-s3-bucket-tls-only": (
        [BUCKET, bucket_setting("BucketPolicy", {"policy": json.dumps({"Statement": [
            {"Effect": "Deny", "Action": "s3:*", "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})})],
        [BUCKET, bucket_setting("BucketPolicy", {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]})})]),
    "aws-rds-instance-storage-encrypted": (
        [res("aws:rds/instance:Instance", "db", RDS_OK)], [res("aws:rds/instance:Instance", "db", merged(RDS_OK, storageEncrypted=False))]),
    "aws-rds-instance-backup-retention": (
        [res("aws:rds/instance:Instance", "db", RDS_OK)], [res("aws:rds/instance:Instance", "db", merged(RDS_OK, backupRetentionPeriod=1))]),
    "aws-rds-instance-deletion-protection": (
        [res("aws:rds/instance:Instance", "db", RDS_OK)], [res("aws:rds/instance:Instance", "db", merged(RDS_OK, deletionProtection=False))]),
    "aws-rds-instance-multi-az": (
        [res("aws:rds/instance:Instance", "db", RDS_OK)], [res("aws:rds/instance:Instance", "db", merged(RDS_OK, multiAz=False))]),
    "aws-rds-instance-not-public": (
        [res("aws:rds/instance:Instance", "db", RDS_OK)], [res("aws:rds/instance:Instance", "db", merged(RDS_OK, publiclyAccessible=True))]),
    "aws-rds-instance-managed-password": (
        [res("aws:rds/instance:Instance", "db", RDS_OK)],
        [res("aws:rds/instance:Instance", "db", merged(RDS_OK, manageMasterUserPassword=False, password="[secret]"))]),
    "aws-rds-instance-iam-auth": (
        [res("aws:rds/instance:Instance", "db", RDS_OK)],
        [res("aws:rds/instance:Instance", "db", merged(RDS_OK, iamDatabaseAuthenticationEnabled=False))]),
    "aws-rds-instance-log-exports": (
        [res("aws:rds/instance:Instance", "db", RDS_OK)],
        [res("aws:rds/instance:Instance", "db", merged(RDS_OK, enabledCloudwatchLogsExports=["upgrade"]))]),
    "aws-elasticache-replicationgroup-at-rest-encryption": (
        [res("aws:elasticache/replicationGroup:ReplicationGroup", "r", REDIS_OK)],
        [res("aws:elasticache/replicationGroup:ReplicationGroup", "r", merged(REDIS_OK, atRestEncryptionEnabled=False))]),
    "aws-elasticache-replicationgroup-transit-auth": (
        [res("aws:elasticache/replicationGroup:ReplicationGroup", "r", REDIS_OK)],
        [res("aws:elasticache/replicationGroup:ReplicationGroup", "r", merged(REDIS_OK, authToken=None, transitEncryptionMode="preferred"))]),
    "aws-msk-cluster-encryption": (
        [res("aws:msk/cluster:Cluster", "k", MSK_OK)],
        [res("aws:msk/cluster:Cluster", "k", merged(MSK_OK, encryptionInfo={"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT"}}))]),
    "aws-msk-cluster-private-authenticated": (
        [res("aws:msk/cluster:Cluster", "k", MSK_OK)],
        [res("aws:msk/cluster:Cluster", "k", merged(MSK_OK, clientAuthentication={"unauthenticated": True}))]),
    "aws-eks-cluster-secrets-encryption": (
        [res("aws:eks/cluster:Cluster", "c", EKS_OK)], [res("aws:eks/cluster:Cluster", "c", merged(EKS_OK, encryptionConfig=None))]),
    "aws-eks-cluster-control-plane-logging": (
        [res("aws:eks/cluster:Cluster", "c", EKS_OK)], [res("aws:eks/cluster:Cluster", "c", merged(EKS_OK, enabledClusterLogTypes=["api"]))]),
    "aws-eks-cluster-private-endpoint": (
        [res("aws:eks/cluster:Cluster", "c", EKS_OK)],
        [res("aws:eks/cluster:Cluster", "c", merged(EKS_OK, vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24"]}))]),
    "aws-eks-cluster-public-cidrs": (
        [res("aws:eks/cluster:Cluster", "c", merged(EKS_OK, vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24"]}))],
        [res("aws:eks/cluster:Cluster", "c", merged(EKS_OK, vpcConfig={"endpointPublicAccess": True}))]),
    "aws-ec2-launchtemplate-imdsv2": (
        [res("aws:ec2/launchTemplate:LaunchTemplate", "lt", LT_OK)],
        [res("aws:ec2/launchTemplate:LaunchTemplate", "lt", merged(LT_OK, metadataOptions={"httpTokens": "optional"}))]),
    "aws-ec2-launchtemplate-ebs-encrypted": (
        [res("aws:ec2/launchTemplate:LaunchTemplate", "lt", LT_OK)],
        [res("aws:ec2/launchTemplate:LaunchTemplate", "lt", merged(LT_OK, blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]))]),
    "aws-ec2-instance-allowed-families": (
        [res("aws:eks/nodeGroup:NodeGroup", "ng", {"instanceTypes": ["m6i.2xlarge"], "tags": TAGS})],
        [res("aws:eks/nodeGroup:NodeGroup", "ng", {"instanceTypes": ["p5.48xlarge"], "tags": TAGS})]),
    "aws-ec2-securitygroup-open-admin-ports": (
        [res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "in", {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "tags": TAGS})],
        [res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}], "tags": TAGS})]),
    "aws-ec2-securitygroup-no-shared-cluster-network": (
        [res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "in", {"referencedSecurityGroupId": "sg-0team", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "tags": TAGS}),
         res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "vpc", {"cidrIpv4": "10.0.0.0/21", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "tags": TAGS})],
        [res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "in", {"cidrIpv4": "100.64.0.0/20", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "tags": TAGS})]),
    "aws-ec2-vpc-flow-logs": (
        [VPC, res("aws:ec2/flowLog:FlowLog", "fl", {"vpcId": "vpc-1", "trafficType": "ALL", "tags": TAGS}, deps={"vpcId": [VPC]})],
        [VPC, res("aws:ec2/flowLog:FlowLog", "fl", {"vpcId": "vpc-1", "trafficType": "REJECT", "tags": TAGS}, deps={"vpcId": [VPC]})]),
    "aws-ec2-vpc-default-security-group-locked": (
        [VPC, res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "d", {"vpcId": "vpc-1", "ingress": [], "egress": [], "tags": TAGS}, deps={"vpcId": [VPC]})],
        [VPC]),
    "aws-providers-provider-allowed-region": (
        [res("pulumi:providers:aws", "p", {"region": "us-east-1"}, provider=None)],
        [res("pulumi:providers:aws", "p", {"region": "cn-north-1"}, provider=None)]),
    "aws-kms-key-rotation": (
        [res("aws:kms/key:Key", "k", {"enableKeyRotation": True, "tags": TAGS})], [res("aws:kms/key:Key", "k", {"tags": TAGS})]),
    "aws-cloudwatch-loggroup-retention": (
        [res("aws:cloudwatch/logGroup:LogGroup", "lg", {"retentionInDays": 365, "kmsKeyId": "arn:key", "tags": TAGS})],
        [res("aws:cloudwatch/logGroup:LogGroup", "lg", {"retentionInDays": 7, "kmsKeyId": "arn:key", "tags": TAGS})]),
    "aws-cloudwatch-loggroup-kms": (
        [res("aws:cloudwatch/logGroup:LogGroup", "lg", {"retentionInDays": 365, "kmsKeyId": "arn:key", "tags": TAGS})],
        [res("aws:cloudwatch/logGroup:LogGroup", "lg", {"retentionInDays": 365, "tags": TAGS})]),
    "kubernetes-pod-container-privileged": (
        [deployment()], [deployment(merged(CONTAINER, securityContext={**CONTAINER["securityContext"], "privileged": True}))]),
    "kubernetes-pod-spec-host-namespaces": ([deployment()], [deployment(hostNetwork=True)]),
    "kubernetes-pod-spec-host-path": ([deployment()], [deployment(volumes=[{"name": "root", "hostPath": {"path": "/"}}])]),
    "kubernetes-pod-container-privilege-escalation": (
        [deployment()], [deployment(merged(CONTAINER, securityContext={"runAsNonRoot": True}))]),
    "kubernetes-pod-container-run-as-non-root": (
        [deployment()], [deployment(merged(CONTAINER, securityContext={**CONTAINER["securityContext"], "runAsNonRoot": False}))]),
    "kubernetes-pod-container-drop-capabilities": (
        [deployment()], [deployment(merged(CONTAINER, securityContext={**CONTAINER["securityContext"], "capabilities": {"add": ["SYS_ADMIN"]}}))]),
    "kubernetes-pod-container-resource-limits": ([deployment()], [deployment(merged(CONTAINER, resources={}))]),
    "kubernetes-pod-container-image-pinned": ([deployment()], [deployment(merged(CONTAINER, image="nginx:latest"))]),
    "kubernetes-core-namespace-pod-security": ([namespace()], [namespace("baseline")]),
    "kubernetes-core-namespace-resource-quota": (
        [namespace(), k8s("ResourceQuota", "v1", "quota", {"hard": {"requests.cpu": "8"}})], [namespace()]),
    "kubernetes-core-namespace-limit-range": (
        [namespace(), k8s("LimitRange", "v1", "limits", {"limits": []})], [namespace()]),
    "kubernetes-networking-namespace-default-deny": (
        [namespace(), k8s("NetworkPolicy", "networking.k8s.io/v1", "deny", DENY_ALL)],
        [namespace(), k8s("NetworkPolicy", "networking.k8s.io/v1", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})]),
    "kubernetes-rbac-role-no-wildcards": (
        [k8s("Role", "rbac.authorization.k8s.io/v1", "r", rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])],
        [k8s("Role", "rbac.authorization.k8s.io/v1", "r", rules=[{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])]),
    "kubernetes-rbac-binding-no-cluster-admin": (
        [k8s("RoleBinding", "rbac.authorization.k8s.io/v1", "b", roleRef={"kind": "ClusterRole", "name": "edit"},
             subjects=[{"kind": "Group", "name": "team-shop"}])],
        [k8s("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "b", namespace=None, roleRef={"kind": "ClusterRole", "name": "cluster-admin"},
             subjects=[{"kind": "Group", "name": "team-shop"}])]),
    "kubernetes-rbac-team-binding-no-guardrail-writes": (
        [k8s("Role", "rbac.authorization.k8s.io/v1", "team-developer", rules=[
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create", "delete"]},
            {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["get", "list"]}]),
         k8s("RoleBinding", "rbac.authorization.k8s.io/v1", "b", roleRef={"kind": "Role", "name": "team-developer"},
             subjects=[{"kind": "Group", "name": "team-shop"}])],
        [k8s("RoleBinding", "rbac.authorization.k8s.io/v1", "b", roleRef={"kind": "ClusterRole", "name": "edit"},
             subjects=[{"kind": "Group", "name": "team-shop"}])]),
    "kubernetes-cnpg-cluster-backup": (
        [k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {"instances": 3, "backup": {"barmanObjectStore": {"destinationPath": "s3://b/p"}, "retentionPolicy": "30d"}})],
        [k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {"instances": 3})]),
    "kubernetes-cnpg-cluster-tls-only": (
        [k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {"instances": 3, "postgresql": {
            "pg_hba": ["hostssl all all all scram-sha-256", "hostnossl all all all reject"]}})],
        # Today's default before this rule: hostssl only, so plaintext falls through to CNPG's appended host rule.
        [k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {"instances": 3, "postgresql": {
            "pg_hba": ["hostssl all all 10.0.0.0/8 scram-sha-256"]}})]),
    "kubernetes-redis-configmap-tls-only": (
        [k8s("ConfigMap", "v1", "redis-config", data={"redis.conf": "port 0\ntls-port 6379\ntls-replication yes\n"})],
        # The configuration before TLS: plaintext on 6379.
        [k8s("ConfigMap", "v1", "redis-config", data={"redis.conf": "port 6379\nbind 0.0.0.0\nappendonly yes\n"})]),
    "kubernetes-strimzi-kafka-listener-tls": (
        [k8s("Kafka", "kafka.strimzi.io/v1beta2", "kafka", {"kafka": {"authorization": {"type": "simple"},
                                                                      "listeners": [{"name": "tls", "tls": True, "authentication": {"type": "tls"}}]}})],
        [k8s("Kafka", "kafka.strimzi.io/v1beta2", "kafka", {"kafka": {"listeners": [{"name": "plain", "tls": False}]}})]),
    "kubernetes-operator-resource-replicas-by-tier": (
        [k8s("KafkaNodePool", "kafka.strimzi.io/v1beta2", "brokers", {"replicas": 3})],
        [k8s("Cluster", "cluster.x-k8s.io/v1beta1", "vks", {"topology": {"controlPlane": {"replicas": 1}}})]),
    "vsphere-inventory-object-ownership-tags": (
        tagged("vsphere:index/folder:Folder", "f", {"path": "team"}),
        tagged("vsphere:index/folder:Folder", "f", {"path": "team"}, keys=("team", "env"))),
    "vsphere-vcenter-vm-team-folder": (
        [res("vsphere:index/folder:Folder", "f", {"path": "team"}), res(VM, "vm", {"folder": "team"})],
        [res("vsphere:index/folder:Folder", "f", {"path": "team"}), res(VM, "vm", {"folder": "shared"})]),
    "vsphere-network-portgroup-security-policy": (
        [res("vsphere:index/distributedPortGroup:DistributedPortGroup", "pg", dict.fromkeys(["allowPromiscuous", "allowForgedTransmits", "allowMacChanges"], False))],
        [res("vsphere:index/distributedPortGroup:DistributedPortGroup", "pg", {"allowPromiscuous": True})]),
    "vsphere-compute-resourcepool-limits": (
        [res("vsphere:index/resourcePool:ResourcePool", "rp", {"cpuLimit": 1000, "memoryLimit": 4096})],
        [res("vsphere:index/resourcePool:ResourcePool", "rp", {"cpuLimit": -1})]),
    "vsphere-compute-vmpool-anti-affinity": (
        [POOL, *VMS, res("vsphere:index/computeClusterVmAntiAffinityRule:ComputeClusterVmAntiAffinityRule", "spread",
                         {"enabled": True, "virtualMachineIds": ["a", "b"]}, deps={"virtualMachineIds": VMS})],
        [POOL, *VMS]),
    "vsphere-vcenter-vm-no-passwordless-sudo": (
        [res(VM, "vm", cloud_init('#cloud-config\n{"users": [{"name": "ops", "lock_passwd": true}]}'))],
        # The VM pool's cloud-init before: the admin user in sudo with NOPASSWD.
        [res(VM, "vm", cloud_init('#cloud-config\n{"users": [{"name": "ops", "groups": ["sudo"], '
                                  '"sudo": "ALL=(ALL) NOPASSWD:ALL"}]}'))]),
    "vsphere-vcenter-vm-guest-credentials": (
        [res(VM, "vm", cloud_init("#cloud-config\nusers:\n- name: ops\n  lock_passwd: true\n"))],
        [res(VM, "vm", cloud_init("#cloud-config\nchpasswd:\n  list: root:hunter2\npassword: hunter2\n"))]),
    "vsphere-providers-provider-verified-tls": (
        [res("pulumi:providers:vsphere", "vc", {"vsphereServer": "vc", "allowUnverifiedSsl": "false"}, provider=None)],
        [res("pulumi:providers:vsphere", "vc", {"vsphereServer": "vc", "allowUnverifiedSsl": "true"}, provider=None)]),
}


def test_every_policy_has_a_case():
    assert set(CASES) == set(all_rules()), sorted(set(all_rules()) ^ set(CASES))


def _of(result, policy: str, status: str = "violation"):
    return [f for f in result.findings if f.policy == policy and f.status == status]


@pytest.mark.parametrize("policy", sorted(p for p, (_, bad) in CASES.items() if bad is not None))
def test_policy_passes_compliant_and_fails_noncompliant(auditor, policy):
    good, bad = CASES[policy]
    passed = auditor.audit(capture(*good))
    assert not _of(passed, policy), [(f.urn, f.message) for f in _of(passed, policy)]
    failed = auditor.audit(capture(*bad))
    assert _of(failed, policy), f"{policy} did not fire on {[r.urn for r in bad]}"
    expected = auditor.policies[policy].enforcement
    assert {f.enforcement for f in _of(failed, policy)} == {expected}


@pytest.mark.parametrize("hba", [
    [],  # the operator's template alone ends with `host all all all scram-sha-256`
    ["hostssl all all all scram-sha-256"],
    ["host all all 10.0.0.0/8 scram-sha-256", "hostnossl all all all reject"],
    ["hostnossl all all 10.0.0.0/8 reject"],
])
def test_cnpg_tls_only_fails_whenever_plaintext_reaches_an_accepting_rule(auditor, hba):
    pg = k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {"instances": 3, "postgresql": {"pg_hba": hba}})
    assert _of(auditor.audit(capture(pg)), "kubernetes-cnpg-cluster-tls-only"), hba
