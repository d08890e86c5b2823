"""Near misses: resources that look compliant and are not, each of which its policy must still fail; and the edge
cases just inside a rule, which it must pass. Evaluated by pulumi-policy's own analyzer servicer, in process (the
requests and answers of the Analyzer protocol without the pack processes, so a mutation run pays no start-up)."""

from __future__ import annotations

import json

import pytest

from audit.run import Auditor
from tests.policy.support import TAGS, k8s, off_the_wire, res
from tests.policy.test_policies import (BUCKET, CONTAINER, DENY_ALL, EKS_OK, MSK_OK, RDS_OK, REDIS_OK, bucket_setting,
                                        deployment, merged, namespace)

AWS_KEY = "arn:aws:kms:us-east-1:111122223333:alias/aws/{}"
CUSTOMER_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SC = CONTAINER["securityContext"]
NP = ("NetworkPolicy", "networking.k8s.io/v1")
PAB = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]


PORT_GROUP = "vsphere:index/distributedPortGroup:DistributedPortGroup"
RESOURCE_POOL = "vsphere:index/resourcePool:ResourcePool"


def eks(vpc: dict):
    return res("aws:eks/cluster:Cluster", "c", merged(EKS_OK, vpcConfig=vpc))


def cnpg(hba: list[str]):
    return k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {"instances": 3, "postgresql": {"pg_hba": hba}})


def strimzi(listeners: list[dict], authorization: dict | None = {"type": "simple"}):  # noqa: B006 (never mutated)
    kafka = {"listeners": listeners, **({"authorization": authorization} if authorization else {})}
    return k8s("Kafka", "kafka.strimzi.io/v1beta2", "kafka", {"kafka": kafka})


def sse(algorithm: str, key: str | None) -> dict:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return {"rules": [{"applyServerSideEncryptionByDefault": default}]}


def sg(*ingress: dict):
    return res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": list(ingress), "tags": TAGS})


def rule(low: int, high: int, cidr: str = "0.0.0.0/0", protocol: str = "tcp") -> dict:
    return {"protocol": protocol, "fromPort": low, "toPort": high, "cidrBlocks": [cidr]}


def tls_policy(statement: dict) -> dict:
    return {"policy": json.dumps({"Statement": [statement]})}


# policy -> [(what makes it look compliant, resources)]: every one must be reported.
MUST_FAIL = {
    "kubernetes-pod-container-run-as-non-root": [
        ("runAsUser 0 with runAsNonRoot true", deployment(merged(CONTAINER, securityContext={**SC, "runAsUser": 0}))),
        ("the pod says runAsUser 0, the container only runAsNonRoot",
         deployment(CONTAINER, securityContext={"runAsUser": 0})),
        ("the pod says non-root, the container overrides it",
         deployment(merged(CONTAINER, securityContext={**SC, "runAsNonRoot": False}), securityContext={"runAsNonRoot": True})),
        ("only the init container runs as root", deployment(
            CONTAINER, initContainers=[merged(CONTAINER, name="init", securityContext={**SC, "runAsUser": 0})])),
        # Pod Security 'restricted' wants runAsNonRoot itself: a user id alone does not stop an image's root user
        ("a non-root user id, runAsNonRoot left out", deployment(merged(
            CONTAINER, securityContext={k: v for k, v in SC.items() if k != "runAsNonRoot"} | {"runAsUser": 1000}))),
    ],
    "kubernetes-pod-container-privileged": [
        ("a CronJob's privileged container", k8s("CronJob", "batch/v1", "nightly", {"schedule": "0 3 * * *", "jobTemplate": {
            "spec": {"template": {"spec": {"containers": [merged(CONTAINER, securityContext={**SC, "privileged": True})]}}}}})),
        ("an ephemeral container is privileged", deployment(
            CONTAINER, ephemeralContainers=[merged(CONTAINER, name="debug", securityContext={**SC, "privileged": True})])),
    ],
    "kubernetes-pod-container-drop-capabilities": [
        ("drops ALL and adds SYS_ADMIN back", deployment(merged(
            CONTAINER, securityContext={**SC, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "SYS_ADMIN"]}}))),
        ("drops every capability by name but not ALL", deployment(merged(
            CONTAINER, securityContext={**SC, "capabilities": {"drop": ["NET_RAW", "SYS_ADMIN"]}}))),
        ("drops ALL and adds back one sorting before NET_BIND_SERVICE", deployment(merged(
            CONTAINER, securityContext={**SC, "capabilities": {"drop": ["ALL"], "add": ["AUDIT_WRITE"]}}))),
    ],
    "kubernetes-pod-container-privilege-escalation": [
        ("allowPrivilegeEscalation left out", deployment(merged(
            CONTAINER, securityContext={k: v for k, v in SC.items() if k != "allowPrivilegeEscalation"}))),
    ],
    "kubernetes-pod-container-resource-limits": [
        ("a memory limit but no CPU limit", deployment(merged(CONTAINER, resources={"limits": {"memory": "1Gi"}}))),
        ("requests instead of limits", deployment(merged(CONTAINER, resources={"requests": {"cpu": "1", "memory": "1Gi"}}))),
    ],
    "kubernetes-pod-container-image-pinned": [
        ("a CloudNativePG cluster on latest", k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {
            "instances": 3, "imageName": "ghcr.io/cloudnative-pg/postgresql:latest"})),
        ("a registry port looks like a tag", deployment(merged(CONTAINER, image="registry.example:5000/app"))),
        ("latest after a registry port", deployment(merged(CONTAINER, image="registry.example:5000/app:latest"))),
    ],
    "kubernetes-pod-spec-host-namespaces": [
        ("only hostPID", deployment(CONTAINER, hostPID=True)),
    ],
    "kubernetes-networking-namespace-default-deny": [
        ("a default-deny that allows all egress", [namespace(), k8s(*NP[:1], NP[1], "deny", {**DENY_ALL, "egress": [{}]})]),
        ("a default-deny that allows all ingress", [namespace(), k8s(*NP[:1], NP[1], "deny", {**DENY_ALL, "ingress": [{}]})]),
        ("a deny-all for some pods only", [namespace(), k8s(*NP[:1], NP[1], "deny",
                                                            {**DENY_ALL, "podSelector": {"matchLabels": {"app": "web"}}})]),
        ("a deny-all in another namespace", [namespace(), k8s(*NP[:1], NP[1], "deny", DENY_ALL, namespace="other")]),
    ],
    "kubernetes-core-namespace-pod-security": [
        ("warn and audit restricted, no enforce label", [k8s("Namespace", "v1", "shop-prod", namespace=None, labels={
            "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted"})]),
        ("warn and audit restricted, enforce baseline", [k8s("Namespace", "v1", "shop-prod", namespace=None, labels={
            "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted"})]),
    ],
    "kubernetes-core-namespace-resource-quota": [
        ("a quota, in a namespace sorting after this one", [namespace(), k8s("ResourceQuota", "v1", "q", {"hard": {"cpu": "4"}},
                                                                             namespace="zz-other")]),
        ("a quota, in a namespace sorting before this one", [namespace(), k8s("ResourceQuota", "v1", "q", {"hard": {"cpu": "4"}},
                                                                              namespace="default")]),
    ],
    "kubernetes-rbac-role-no-wildcards": [
        ("one wildcard verb among named ones", k8s("Role", "rbac.authorization.k8s.io/v1", "r",
                                                  rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
                                                         {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "*"]}])),
    ],
    "kubernetes-rbac-binding-no-cluster-admin": [
        ("cluster-admin to a team group beside a platform user", k8s(
            "ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "b", namespace=None,
            roleRef={"kind": "ClusterRole", "name": "cluster-admin"},
            subjects=[{"kind": "User", "name": "platform"}, {"kind": "Group", "name": "team-shop"}])),
    ],
    "aws-s3-bucket-sse-kms": [
        ("SSE-KMS with the AWS-managed key (ARN)", [BUCKET, bucket_setting(
            "BucketServerSideEncryptionConfiguration", sse("aws:kms", AWS_KEY.format("s3")))]),
        ("SSE-KMS with the AWS-managed key (alias)", [BUCKET, bucket_setting(
            "BucketServerSideEncryptionConfiguration", sse("aws:kms", "alias/aws/s3"))]),
        ("SSE-KMS with no key: AWS picks its own", [BUCKET, bucket_setting(
            "BucketServerSideEncryptionConfiguration", sse("aws:kms", None))]),
        ("a customer key named with SSE-S3", [BUCKET, bucket_setting(
            "BucketServerSideEncryptionConfiguration", sse("AES256", CUSTOMER_KEY))]),
    ],
    "aws-s3-bucket-public-access-block": [
        *[(f"three flags of four, {missing} left out", [BUCKET, bucket_setting(
            "BucketPublicAccessBlock", {f: True for f in PAB if f != missing})]) for missing in PAB],
        ("four flags, one as the string 'false'", [BUCKET, bucket_setting(
            "BucketPublicAccessBlock", {**dict.fromkeys(PAB, True), "restrictPublicBuckets": "false"})]),
        ("all four on a block for another bucket", [BUCKET, res("aws:s3/bucket:Bucket", "other", {"tags": TAGS}),
                                                    bucket_setting("BucketPublicAccessBlock", dict.fromkeys(PAB, True))]),
    ],
    "aws-s3-bucket-versioning": [
        ("versioning configured but Suspended", [BUCKET, bucket_setting(
            "BucketVersioning", {"versioningConfiguration": {"status": "Suspended"}})]),
        ("versioning configured but Disabled", [BUCKET, bucket_setting(
            "BucketVersioning", {"versioningConfiguration": {"status": "Disabled"}})]),
    ],
    "aws-s3-bucket-tls-only": [
        ("a Deny on SecureTransport true", [BUCKET, bucket_setting("BucketPolicy", tls_policy(
            {"Effect": "Deny", "Action": "s3:*", "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}))]),
        ("a Deny on SecureTransport '0', which IAM does not read as false", [BUCKET, bucket_setting("BucketPolicy", tls_policy(
            {"Effect": "Deny", "Action": "s3:*", "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "0"}}}))]),
        ("a lower-case 'deny', which IAM does not accept as an effect", [BUCKET, bucket_setting("BucketPolicy", tls_policy(
            {"Effect": "deny", "Action": "s3:*", "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))]),
        ("an Allow on SecureTransport false", [BUCKET, bucket_setting("BucketPolicy", tls_policy(
            {"Effect": "Allow", "Action": "s3:*", "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))]),
    ],
    "aws-rds-instance-storage-encrypted": [
        ("encrypted with the AWS-managed key", res("aws:rds/instance:Instance", "db", merged(RDS_OK, kmsKeyId=AWS_KEY.format("rds")))),
        ("encrypted, no key", res("aws:rds/instance:Instance", "db", {k: v for k, v in RDS_OK.items() if k != "kmsKeyId"})),
        ("a key but storage not encrypted", res("aws:rds/instance:Instance", "db", merged(RDS_OK, storageEncrypted="false"))),
    ],
    "aws-elasticache-replicationgroup-at-rest-encryption": [
        ("encrypted with the AWS-managed key", res("aws:elasticache/replicationGroup:ReplicationGroup", "r",
                                                   merged(REDIS_OK, kmsKeyId="alias/aws/elasticache"))),
    ],
    "aws-elasticache-replicationgroup-transit-auth": [
        ("TLS on but preferred", res("aws:elasticache/replicationGroup:ReplicationGroup", "r",
                                     merged(REDIS_OK, transitEncryptionMode="preferred"))),
        ("TLS required but no auth", res("aws:elasticache/replicationGroup:ReplicationGroup", "r",
                                         {k: v for k, v in REDIS_OK.items() if k != "authToken"})),
    ],
    "aws-msk-cluster-encryption": [
        ("at rest with the AWS-managed key", res("aws:msk/cluster:Cluster", "k", merged(MSK_OK, encryptionInfo={
            **MSK_OK["encryptionInfo"], "encryptionAtRestKmsKeyArn": AWS_KEY.format("kafka")}))),
        ("TLS to clients, plaintext between brokers", res("aws:msk/cluster:Cluster", "k", merged(MSK_OK, encryptionInfo={
            **MSK_OK["encryptionInfo"], "encryptionInTransit": {"clientBroker": "TLS", "inCluster": False}}))),
    ],
    "aws-cloudwatch-loggroup-kms": [
        ("the AWS-managed key", res("aws:cloudwatch/logGroup:LogGroup", "lg",
                                    {"retentionInDays": 365, "kmsKeyId": AWS_KEY.format("logs"), "tags": TAGS})),
    ],
    "aws-ec2-securitygroup-open-admin-ports": [
        ("a wide range that includes SSH", sg(rule(0, 65535))),
        ("exactly port 22", sg(rule(22, 22))),
        ("a range ending exactly on 1433", sg(rule(23, 1433))),
        ("all protocols, ports 0-0", sg(rule(0, 0, protocol="-1"))),
        ("Postgres to ::/0", sg({"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "ipv6CidrBlocks": ["::/0"]})),
        ("a closed rule beside an open one", sg(rule(443, 443, "10.0.0.0/8"), rule(6379, 6379))),
    ],
    "aws-ec2-securitygroup-no-shared-cluster-network": [
        ("one /24 of a shared cluster's pods", sg(rule(5432, 5432, "100.64.0.0/24"))),
        ("the carrier-grade NAT range holding every shared cluster", sg(rule(6379, 6379, "100.64.0.0/10"))),
        ("a rule resource, as the components write them", res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                                                              "in", {"cidrIpv4": "100.64.32.0/20", "ipProtocol": "tcp",
                                                                     "fromPort": 5432, "toPort": 5432, "tags": TAGS})),
    ],
    "aws-eks-cluster-public-cidrs": [
        ("two halves that make the whole internet", eks({"endpointPublicAccess": True,
                                                          "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]})),
        ("a named CIDR beside 0.0.0.0/0", eks({"endpointPublicAccess": True,
                                               "publicAccessCidrs": ["198.51.100.0/24", "0.0.0.0/0"]})),
        ("public access left to its default", eks({"publicAccessCidrs": []})),
    ],
    "aws-eks-cluster-private-endpoint": [
        ("private on, public left to its default (on)", eks({"endpointPrivateAccess": True})),
    ],
    "aws-eks-cluster-secrets-encryption": [
        ("a key, but for config maps", res("aws:eks/cluster:Cluster", "c", merged(EKS_OK, encryptionConfig={
            "resources": ["configmaps"], "provider": {"keyArn": CUSTOMER_KEY}}))),
    ],
    "kubernetes-cnpg-cluster-tls-only": [
        (f"a {kind} line beside hostssl ones", cnpg(["hostssl all all 10.0.0.0/8 scram-sha-256",
                                                     f"{kind} all all 10.0.0.0/8 scram-sha-256"]))
        for kind in ("host", "hostnossl", "hostnogssenc")
    ],
    "kubernetes-strimzi-kafka-listener-tls": [
        ("a TLS listener and a plain one", strimzi([{"name": "tls", "tls": True, "authentication": {"type": "tls"}},
                                                    {"name": "plain", "tls": False, "authentication": {"type": "scram-sha-512"}}])),
        ("TLS without client authentication", strimzi([{"name": "tls", "tls": True}])),
        ("TLS and authentication but no authorization", strimzi([{"name": "tls", "tls": True, "authentication": {"type": "tls"}}],
                                                                authorization=None)),
    ],
    "kubernetes-operator-resource-replicas-by-tier": [
        ("two prod instances", k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {"instances": 2})),
        ("a prod node pool with no replica count", k8s("KafkaNodePool", "kafka.strimzi.io/v1beta2", "brokers", {})),
    ],
    "vsphere-network-portgroup-security-policy": [
        ("two of three false, promiscuous left to the switch", res(PORT_GROUP, "pg", {"allowForgedTransmits": False,
                                                                                       "allowMacChanges": False})),
        ("all three false but ports may override", res(PORT_GROUP, "pg", {**dict.fromkeys(
            ["allowPromiscuous", "allowForgedTransmits", "allowMacChanges"], False), "securityPolicyOverrideAllowed": "true"})),
    ],
    "vsphere-compute-resourcepool-limits": [
        ("a CPU limit of 0", res(RESOURCE_POOL, "rp", {"cpuLimit": 0, "memoryLimit": 4096})),
        ("a CPU limit and no memory limit", res(RESOURCE_POOL, "rp", {"cpuLimit": 1000})),
    ],
}

# policy -> [(why it might look wrong, resources)]: each just inside the rule, which it must pass.
MUST_PASS = {
    "aws-s3-bucket-sse-kms": [
        ("a customer key ARN", [BUCKET, bucket_setting("BucketServerSideEncryptionConfiguration", sse("aws:kms", CUSTOMER_KEY))]),
        ("a customer key alias", [BUCKET, bucket_setting("BucketServerSideEncryptionConfiguration",
                                                         sse("aws:kms:dsse", "alias/shop-prod-data"))]),
    ],
    "aws-rds-instance-storage-encrypted": [
        ("a customer key with encryption as the string 'true'",
         res("aws:rds/instance:Instance", "db", merged(RDS_OK, storageEncrypted="true", kmsKeyId=CUSTOMER_KEY))),
    ],
    "aws-ec2-securitygroup-open-admin-ports": [
        ("a range between sensitive ports", sg(rule(23, 1432))),
        ("SSH from the private network only", sg(rule(22, 22, "10.0.0.0/8"))),
    ],
    "aws-ec2-securitygroup-no-shared-cluster-network": [
        ("the block just past the last shared cluster", sg(rule(5432, 5432, "100.64.240.0/20"))),
        ("the team's own VPC", sg(rule(5432, 5432, "10.0.0.0/21"))),
    ],
    "kubernetes-pod-container-run-as-non-root": [
        ("non-root from the pod, a user id from the container",
         deployment(merged(CONTAINER, securityContext={k: v for k, v in SC.items() if k != "runAsNonRoot"} | {"runAsUser": 1000}),
                    securityContext={"runAsNonRoot": True})),
    ],
    "aws-eks-cluster-public-cidrs": [
        ("two named halves of private space", eks({"endpointPublicAccess": True,
                                                   "publicAccessCidrs": ["198.51.100.0/25", "198.51.100.128/25"]})),
    ],
    "kubernetes-cnpg-cluster-tls-only": [
        ("hostssl, then every plaintext connection refused ahead of the operator's host rule", cnpg([
            "local all postgres peer", "hostssl all all all scram-sha-256", "hostnossl all all all reject"])),
    ],
    "kubernetes-operator-resource-replicas-by-tier": [
        ("exactly three prod instances", k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {"instances": 3})),
    ],
    "vsphere-compute-resourcepool-limits": [
        ("the smallest limits", res(RESOURCE_POOL, "rp", {"cpuLimit": 1, "memoryLimit": 1})),
    ],
    "kubernetes-rbac-binding-no-cluster-admin": [
        (f"{why}", k8s("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "b", namespace=None,
                       roleRef={"kind": "ClusterRole", "name": role}, subjects=[{"kind": kind, "name": name}]))
        for why, role, kind, name in [("a team group bound to admin, which sorts before cluster-admin", "admin", "Group", "team-shop"),
                                      ("a platform group bound to cluster-admin", "cluster-admin", "Group", "platform-admins"),
                                      ("a user, not a group, named like a team", "cluster-admin", "User", "team-shop")]
    ],
    "kubernetes-pod-container-drop-capabilities": [
        ("drops ALL and adds back only NET_BIND_SERVICE", deployment(merged(
            CONTAINER, securityContext={**SC, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}))),
    ],
    "kubernetes-pod-container-image-pinned": [
        ("a CloudNativePG cluster on a fixed tag", k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {
            "instances": 3, "imageName": "ghcr.io/cloudnative-pg/postgresql:17.2"})),
        ("a tag sorting after latest", deployment(merged(CONTAINER, image="registry.example/app:v1.4.2"))),
        ("a registry port and a fixed tag", deployment(merged(CONTAINER, image="registry.example:5000/app:1.4.2"))),
        ("latest pinned by digest", deployment(merged(CONTAINER, image="registry.example/app:latest@sha256:" + "a" * 64))),
    ],
}


@pytest.fixture(scope="module")
def auditor(no_exemptions):
    with Auditor(exemptions_file=no_exemptions, in_process=True) as running:
        yield running


def _cases(table):
    return [pytest.param(policy, resources, id=f"{policy}: {label}") for policy, cases in table.items()
            for label, resources in cases]


def _of(result, policy: str):
    return [f for f in result.findings if f.policy == policy and f.status == "violation"]


@pytest.mark.parametrize(("policy", "resources"), _cases(MUST_FAIL))
def test_a_near_miss_is_still_a_violation(auditor, policy, resources):
    resources = resources if isinstance(resources, list) else [resources]
    assert policy in auditor.policies, policy
    found = _of(auditor.audit(off_the_wire(*resources)), policy)
    assert found, f"{policy} passed {[r.urn for r in resources]}"


@pytest.mark.parametrize(("policy", "resources"), _cases(MUST_PASS))
def test_a_case_just_inside_the_rule_passes(auditor, policy, resources):
    resources = resources if isinstance(resources, list) else [resources]
    assert policy in auditor.policies, policy
    found = _of(auditor.audit(off_the_wire(*resources)), policy)
    assert not found, [(f.urn, f.message) for f in found]
