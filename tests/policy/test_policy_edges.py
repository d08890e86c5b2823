"""The edges of each policy's decision that the near-miss tables do not reach: values of a provider enum that sort on
either side of the compliant one, settings at their schema's bounds, and what a finding says (the figure a reviewer
acts on). Evaluated in process, like tests/policy/test_near_misses.py."""

from __future__ import annotations

import base64
import gzip

import pytest

from audit.run import Auditor
from blueprints.errors import BadInput
from tests.policy.support import LABELS, TAGS, capture, component, k8s, off_the_wire, res
from tests.policy.test_policies import EKS_OK, LT_OK, MSK_OK, RDS_OK, REDIS_OK, VM, VPC, cloud_init, merged, tagged

RDS = "aws:rds/instance:Instance"
MSK = "aws:msk/cluster:Cluster"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
EKS = "aws:eks/cluster:Cluster"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
CUSTOMER_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _msk(**changes):
    return res(MSK, "k", merged(MSK_OK, **changes))


def _transit(client_broker: str) -> dict:
    return {"encryptionAtRestKmsKeyArn": "arn:key", "encryptionInTransit": {"clientBroker": client_broker, "inCluster": True}}


def _public(access_type: str) -> dict:
    return {"connectivityInfo": {"publicAccess": {"type": access_type}}}


def _eks(**changes):
    return res(EKS, "c", merged(EKS_OK, **changes))


def _lt(**changes):
    return res(LT, "lt", merged(LT_OK, **changes))


def _flow_log(traffic: str):
    return [VPC, res("aws:ec2/flowLog:FlowLog", "fl", {"vpcId": "vpc-1", "trafficType": traffic, "tags": TAGS},
                     deps={"vpcId": [VPC]})]


def _default_sg(**rules):
    return [VPC, res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "d", {"vpcId": "vpc-1", **rules, "tags": TAGS},
                     deps={"vpcId": [VPC]})]


def _sg_rule(kind: str, port: int = 22, cidr: str = "0.0.0.0/0"):
    return res(SG_RULE, "r", {"type": kind, "protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": [cidr]})


def _cnpg(**spec):
    return k8s("Cluster", "postgresql.cnpg.io/v1", "pg", {"instances": 3, **spec})


def _hba(*lines: str):
    return _cnpg(postgresql={"pg_hba": list(lines)})


def _redis(conf: str):
    return k8s("ConfigMap", "v1", "redis-config", data={"redis.conf": conf})


def _replicas(kind: str, api: str, spec: dict, env: str | None = "prod"):
    labels = {k: v for k, v in LABELS.items() if k != "env"} | ({"env": env} if env else {})
    return k8s(kind, api, "x", spec, labels=labels)


TLS_REDIS = "port 0\ntls-port 6379\ntls-replication yes\n"
BACKUP = {"barmanObjectStore": {"destinationPath": "s3://backups/pg"}, "retentionPolicy": "30d"}


FOLDER = "vsphere:index/folder:Folder"
PORT_GROUP = "vsphere:index/distributedPortGroup:DistributedPortGroup"
RESOURCE_POOL = "vsphere:index/resourcePool:ResourcePool"
ANTI_AFFINITY = "vsphere:index/computeClusterVmAntiAffinityRule:ComputeClusterVmAntiAffinityRule"
KEYS = ("team", "owner", "cost-center", "env", "blueprint", "managed-by")
NO_SPOOFING = dict.fromkeys(["allowPromiscuous", "allowForgedTransmits", "allowMacChanges"], False)


def _pool(n: int, rule: dict | None = None, spread: int | None = None) -> list:
    """A VM pool of n VMs, with an anti-affinity rule over the first `spread` of them when `rule` is given."""
    pool = component("cloud-blueprints:vsphere:VmPool", "pool")
    vms = [res(VM, f"vm-{i}", {"folder": "team"}, parent=pool) for i in range(n)]
    if rule is None:
        return [pool, *vms]
    kept = vms[: n if spread is None else spread]
    return [pool, *vms, res(ANTI_AFFINITY, "spread", {**rule, "virtualMachineIds": ["x"] * len(kept)},
                            deps={"virtualMachineIds": kept})]


def _userdata(text: str, encoding: str, key: str = "guestinfo.userdata") -> dict:
    payload = {"base64": base64.b64encode(text.encode()), "b64": base64.b64encode(text.encode()),
               "gzip+base64": base64.b64encode(gzip.compress(text.encode())),
               "gz+b64": base64.b64encode(gzip.compress(text.encode()))}[encoding]
    return {"extraConfig": {key: payload.decode(), f"{key}.encoding": encoding}}


def _encoded(data: bytes, encoding: str) -> dict:
    """User data whose bytes are base64-encoded as they are, whatever encoding the VM declares."""
    return {"extraConfig": {"guestinfo.userdata": base64.b64encode(data).decode(), "guestinfo.userdata.encoding": encoding}}


PASSWORD = "#cloud-config\npassword: hunter2\n"
GZIPPED = gzip.compress(PASSWORD.encode())


def _vpc(**tags):
    return res("aws:ec2/vpc:Vpc", "v", {"tags": {**TAGS, **tags}})


def _literal(type_: str, **inputs):
    return res(type_, "x", {**inputs, "tags": TAGS})


AKIA = "AKIA" + "ABCDEFGHIJKLMNOP"  # the shape of an access key id, split so scanners leave this file alone


def _log_group(**props):
    return res(LOG_GROUP, "lg", {"kmsKeyId": CUSTOMER_KEY, "tags": TAGS, **props})


RBAC = "rbac.authorization.k8s.io/v1"
READS = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}


def _role(name: str, *rules: dict, kind: str = "Role"):
    return k8s(kind, RBAC, name, namespace="shop-prod" if kind == "Role" else None, rules=list(rules))


def _binding(role_kind: str, role: str, *groups: str, subject: str = "Group"):
    return k8s("RoleBinding", RBAC, f"{role}-binding", roleRef={"kind": role_kind, "name": role},
               subjects=[{"kind": subject, "name": g} for g in groups])


def _writes(group: str, resource: str) -> dict:
    return {"apiGroups": [group], "resources": [resource], "verbs": ["patch"]}


# policy -> [(why it might pass, resource, the message it must give)]
MUST_FAIL = {
    "aws-msk-cluster-encryption": [
        # The MSK API's ClientBroker values are TLS, TLS_PLAINTEXT and PLAINTEXT: one sorts after TLS, one before.
        ("plaintext only", _msk(encryptionInfo=_transit("PLAINTEXT")), "clientBroker is 'PLAINTEXT', not TLS"),
        ("TLS and plaintext", _msk(encryptionInfo=_transit("TLS_PLAINTEXT")), "clientBroker is 'TLS_PLAINTEXT', not TLS"),
    ],
    "aws-msk-cluster-private-authenticated": [
        ("public brokers that still require IAM", _msk(brokerNodeGroupInfo=_public("SERVICE_PROVIDED_EIPS")),
         "broker public access is SERVICE_PROVIDED_EIPS"),
    ],
    "aws-rds-instance-backup-retention": [
        ("no retention set at all", res(RDS, "db", {k: v for k, v in RDS_OK.items() if k != "backupRetentionPeriod"}),
         "backupRetentionPeriod is 0, below 7 days"),
        ("one day short of the minimum", res(RDS, "db", merged(RDS_OK, backupRetentionPeriod=6)),
         "backupRetentionPeriod is 6, below 7 days"),
    ],
    # aws_network
    "aws-ec2-vpc-flow-logs": [
        # FlowLog trafficType is ACCEPT, REJECT or ALL: ACCEPT sorts before ALL, REJECT after.
        ("accepted traffic only", _flow_log("ACCEPT"), "VPC vpc logs only part of its traffic"),
        ("rejected traffic only", _flow_log("REJECT"), "VPC vpc logs only part of its traffic"),
        ("no flow log", [VPC], "VPC vpc has no flow log"),
    ],
    "aws-ec2-vpc-default-security-group-locked": [
        ("managed, but with an egress rule", _default_sg(ingress=[], egress=[{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]),
         "VPC vpc: the default security group has rules"),
        ("managed, but with an ingress rule", _default_sg(ingress=[{"protocol": "-1", "self": True}]),
         "VPC vpc: the default security group has rules"),
    ],
    "aws-providers-provider-allowed-region": [
        ("no region named", res("pulumi:providers:aws", "p", {}, provider=None),
         "the provider names no region; it would follow the caller's environment"),
    ],
    "aws-ec2-securitygroup-open-admin-ports": [
        ("a standalone ingress rule", _sg_rule("ingress"), "0.0.0.0/0 may reach port(s) 22"),
        ("a VPC ingress rule to Redis over IPv6", res(INGRESS_RULE, "in", {
            "cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 6379, "toPort": 6379}), "::/0 may reach port(s) 6379"),
        ("a VPC ingress rule of every protocol, no ports", res(INGRESS_RULE, "in", {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"}),
         "0.0.0.0/0 may reach port(s) 22, 3389"),
        ("a rule with no ports and no protocol", res(SG_RULE, "r", {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"]}),
         "0.0.0.0/0 may reach port(s) 22, 3389"),
        # Ranges that only together are the whole internet, as in aws-eks-cluster-public-cidrs.
        ("two halves of the internet in one rule", res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
            {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"]}]}),
         "0.0.0.0/1, 128.0.0.0/1 together may reach port 22"),
        ("one half in each of two rules", res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
            {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/1"]},
            {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["128.0.0.0/1"]}]}),
         "0.0.0.0/1, 128.0.0.0/1 together may reach port 5432"),
        ("IPv4 halves beside a named IPv6 range", res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
            {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"],
             "ipv6CidrBlocks": ["2001:db8::/32"]}]}), "0.0.0.0/1, 128.0.0.0/1, 2001:db8::/32 together may reach port 22"),
        ("a malformed range ahead of two halves", res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
            {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["not-a-range", "0.0.0.0/1", "128.0.0.0/1"]}]}),
         "0.0.0.0/1, 128.0.0.0/1, not-a-range together may reach port 22"),
        ("IPv6 halves beside a named IPv4 range", res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
            {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["198.51.100.0/24"],
             "ipv6CidrBlocks": ["::/1", "8000::/1"]}]}), "198.51.100.0/24, 8000::/1, ::/1 together may reach port 22"),
        ("two halves of IPv6", res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
            {"protocol": "tcp", "fromPort": 6379, "toPort": 6379, "ipv6CidrBlocks": ["::/1", "8000::/1"]}]}),
         "8000::/1, ::/1 together may reach port 6379"),
    ],
    "aws-ec2-securitygroup-no-shared-cluster-network": [
        ("half the internet, which holds every shared cluster", res(INGRESS_RULE, "in", {
            "cidrIpv4": "0.0.0.0/1", "ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080}),
         "0.0.0.0/1 admits the shared cluster network 100.64.0.0/20"),
        ("a malformed range ahead of a shared one", res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
            {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["not-a-range", "100.64.16.0/24"]}]}),
         "100.64.16.0/24 admits the shared cluster network 100.64.16.0/20"),
    ],
    # aws_logging
    "aws-kms-key-rotation": [
        ("a symmetric key stated as such, rotation off", res(KEY, "k", {"keySpec": "SYMMETRIC_DEFAULT",
                                                                         "customerMasterKeySpec": "SYMMETRIC_DEFAULT"}),
         "enableKeyRotation is not true"),
    ],
    "aws-cloudwatch-loggroup-retention": [
        ("no retention", _log_group(), "no retention set: events are kept forever"),
        ("one day short", _log_group(retentionInDays=89), "retentionInDays is 89, below 90"),
    ],
    # aws_compute
    "aws-eks-cluster-secrets-encryption": [
        ("secrets named, no key", _eks(encryptionConfig={"resources": ["secrets"], "provider": {}}),
         "secrets are not envelope-encrypted"),
        ("no encryption config", _eks(encryptionConfig=None), "secrets are not envelope-encrypted"),
    ],
    "aws-eks-cluster-control-plane-logging": [
        ("two of three", _eks(enabledClusterLogTypes=["api", "audit"]), "control-plane logs not enabled: authenticator"),
        ("none", _eks(enabledClusterLogTypes=None), "control-plane logs not enabled: api, audit, authenticator"),
    ],
    "aws-eks-cluster-private-endpoint": [
        ("public off, private not stated", _eks(vpcConfig={"endpointPublicAccess": False}), "the API endpoint is not private-only"),
        ("no VPC settings at all", _eks(vpcConfig=None), "the API endpoint is not private-only"),
    ],
    "aws-eks-cluster-public-cidrs": [
        ("public, no CIDRs", _eks(vpcConfig={"endpointPublicAccess": True}),
         "public endpoint without publicAccessCidrs defaults to 0.0.0.0/0"),
        ("two IPv6 halves", _eks(vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["::/1", "8000::/1"]}),
         "publicAccessCidrs include the whole internet"),
        ("two IPv6 halves beside a named IPv4 range", _eks(vpcConfig={
            "endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24", "::/1", "8000::/1"]}),
         "publicAccessCidrs include the whole internet"),
    ],
    "aws-ec2-launchtemplate-imdsv2": [
        # httpTokens is optional or required: optional sorts before required.
        ("tokens optional", _lt(metadataOptions={"httpTokens": "optional"}), "metadataOptions.httpTokens is not 'required'"),
        ("no metadata options", _lt(metadataOptions=None), "metadataOptions.httpTokens is not 'required'"),
    ],
    "aws-ec2-launchtemplate-ebs-encrypted": [
        ("no mappings", _lt(blockDeviceMappings=None), "no block device mappings"),
        ("a second volume unencrypted", _lt(blockDeviceMappings=[*LT_OK["blockDeviceMappings"], {
            "deviceName": "/dev/xvdb", "ebs": {"encrypted": "false"}}]), "volume /dev/xvdb is not encrypted"),
    ],
    "aws-ec2-instance-allowed-families": [
        (f"{value} on {type_.split('/')[-1]}", res(type_, "x", {field: value, "tags": TAGS}), f"instance type {bad}")
        for type_, field, value, bad in [
            (RDS, "instanceClass", "db.x2g.large", "db.x2g.large"), (REDIS, "nodeType", "cache.x2gd.large", "cache.x2gd.large"),
            ("aws:eks/nodeGroup:NodeGroup", "instanceTypes", ["m7g.large", "x2gd.large"], "x2gd.large"),
        ]
    ],
    # kubernetes_tenancy
    "kubernetes-rbac-team-binding-no-guardrail-writes": [
        ("a namespaced Role that writes NetworkPolicies", [
            _role("netpol-editor", _writes("networking.k8s.io", "networkpolicies")),
            _binding("Role", "netpol-editor", "team-shop")],
         "group team-shop is bound to Role netpol-editor, which writes networking.k8s.io/networkpolicies"),
        ("a custom ClusterRole that writes quotas", [
            _role("quota-editor", _writes("", "resourcequotas"), kind="ClusterRole"),
            _binding("ClusterRole", "quota-editor", "team-shop")],
         "group team-shop is bound to ClusterRole quota-editor, which writes core/resourcequotas"),
        ("a read-only rule, then one that writes RoleBindings", [
            _role("mixed", READS, _writes("rbac.authorization.k8s.io", "rolebindings")),
            _binding("Role", "mixed", "team-shop")], "which writes rbac.authorization.k8s.io/rolebindings"),
        ("every resource of the networking group", [
            _role("net-all", {"apiGroups": ["networking.k8s.io"], "resources": ["*"], "verbs": ["create"]}),
            _binding("Role", "net-all", "team-shop")], "which writes networking.k8s.io/*"),
        ("a platform group's binding first, then a team's", [
            _binding("ClusterRole", "edit", "platform-admins"), _binding("ClusterRole", "admin", "team-shop")],
         "group team-shop is bound to admin"),
        ("two team groups in one binding", [_binding("ClusterRole", "edit", "team-a", "team-b")],
         "group team-a is bound to edit"),
        ("two team groups in one binding to a Role that writes RoleBindings", [
            _role("rb-editor", _writes("rbac.authorization.k8s.io", "rolebindings")),
            _binding("Role", "rb-editor", "team-a", "team-b")], "group team-a is bound to Role rb-editor"),
        ("a binding to edit, then one to a Role that writes NetworkPolicies", [
            _binding("ClusterRole", "edit", "team-shop"),
            _role("netpol-editor", _writes("networking.k8s.io", "networkpolicies")),
            _binding("Role", "netpol-editor", "team-shop")], "bound to Role netpol-editor"),
    ],
    # kubernetes_operators
    "kubernetes-cnpg-cluster-backup": [
        ("an object store without a destination", _cnpg(backup={"barmanObjectStore": {}, "retentionPolicy": "30d"}),
         "no object-store backup"),
        ("a destination without retention", _cnpg(backup={"barmanObjectStore": {"destinationPath": "s3://b/pg"}}),
         "no backup retentionPolicy"),
        ("no backup at all", _cnpg(), "no object-store backup"),
    ],
    "kubernetes-cnpg-cluster-tls-only": [
        ("plaintext refused from one network only", _hba("hostssl all all all scram-sha-256", "hostnossl all all 10.0.0.0/8 reject"),
         "a plaintext connection meets 'hostnossl all all 10.0.0.0/8 reject' first"),
        ("plaintext refused for one user only", _hba("hostnossl all app all reject"),
         "meets 'hostnossl all app all reject' first"),
        ("plaintext refused for one database only", _hba("hostnossl app all all reject"),
         "meets 'hostnossl app all all reject' first"),
        # a database or user named before 'all' in sort order, as 'app' is named after it
        ("plaintext refused for the admin database only", _hba("hostnossl admin all all reject"),
         "meets 'hostnossl admin all all reject' first"),
        ("plaintext refused for the admin user only", _hba("hostnossl all admin all reject"),
         "meets 'hostnossl all admin all reject' first"),
        ("plaintext for everyone, with a password", _hba("hostnossl all all all scram-sha-256"),
         "meets 'hostnossl all all all scram-sha-256' first"),
    ] + [
        # auth methods that sort before reject, as scram-sha-256 and trust sort after it
        (f"plaintext for everyone with {method}", _hba(f"hostnossl all all all {method}"),
         f"meets 'hostnossl all all all {method}' first") for method in ("md5", "password", "cert", "ldap")
    ] + [
        ("no pg_hba: the operator's own rule", _cnpg(), "meets 'host all all all scram-sha-256' first"),
        ("a host rule ahead of the refusal", _hba("host all all 10.0.0.0/8 md5", "hostnossl all all all reject"),
         "meets 'host all all 10.0.0.0/8 md5' first"),
    ],
    "kubernetes-redis-configmap-tls-only": [
        ("no port line: redis listens on 6379", _redis("tls-port 6379\ntls-replication yes\n"),
         "redis.conf serves plaintext on port 6379 (the default)"),
        ("port 0 overridden by a later line", _redis(TLS_REDIS + "port 6380\n"), "serves plaintext on port 6380"),
        ("port 0 only in a comment", _redis("# port 0\ntls-port 6379\ntls-replication yes\n"), "serves plaintext on port"),
        ("a TLS port of 0", _redis("port 0\ntls-port 0\ntls-replication yes\n"), "redis.conf has no tls-port"),
        ("no TLS port", _redis("port 0\ntls-replication yes\n"), "redis.conf has no tls-port"),
        ("replication left to its default", _redis("port 0\ntls-port 6379\n"), "tls-replication is not yes"),
        ("replication without TLS", _redis("port 0\ntls-port 6379\ntls-replication no\n"), "tls-replication is not yes"),
        ("replication named without a value", _redis("port 0\ntls-port 6379\ntls-replication\n"), "tls-replication is not yes"),
        ("a TLS port named without a value", _redis("port 0\ntls-port\ntls-replication yes\n"), "redis.conf has no tls-port"),
    ],
    "kubernetes-strimzi-kafka-listener-tls": [
        ("a listener that does not say tls", k8s("Kafka", "kafka.strimzi.io/v1beta2", "kafka", {"kafka": {
            "listeners": [{"name": "internal", "authentication": {"type": "tls"}}], "authorization": {"type": "simple"}}}),
         "listener internal is not TLS"),
    ],
    "kubernetes-operator-resource-replicas-by-tier": [
        ("two prod instances", _replicas("Cluster", "postgresql.cnpg.io/v1", {"instances": 2}), "instances is 2, below 3 for prod"),
        ("a prod node pool with no count", _replicas("KafkaNodePool", "kafka.strimzi.io/v1beta2", {}),
         "replicas is 1, below 3 for prod"),
        ("a single control plane", _replicas("Cluster", "cluster.x-k8s.io/v1beta1", {"topology": {"controlPlane": {"replicas": 1}}}),
         "controlPlane.replicas is 1, below 3 for prod"),
        ("a control plane with no count", _replicas("Cluster", "cluster.x-k8s.io/v1beta1", {"topology": {}}),
         "controlPlane.replicas is 1, below 3 for prod"),
    ],
    # baseline
    "cloudblueprints-ownership-resource-tags": [
        ("an owner in capitals", _vpc(owner="Lead@example.com"), "malformed ownership values: owner='Lead@example.com'"),
        # a capital beyond ASCII sorts after its lower case, unlike A-Z
        ("an owner with a capital in an international domain", _vpc(owner="lead@\u0130xample.com"),
         "malformed ownership values: owner='lead@\u0130xample.com'"),
        ("a blueprint without its patch", _vpc(blueprint="web-service@2.0"), "blueprint='web-service@2.0'"),
        ("an env spelled out", _vpc(env="production"), "env='production'"),
        ("managed by something longer", _vpc(**{"managed-by": "cloud-blueprints-legacy"}),
         "managed-by='cloud-blueprints-legacy'"),
        ("a cost center of the wrong shape", _vpc(**{"cost-center": "finance"}), "cost-center='finance'"),
        ("a team name with capitals", _vpc(team="Shop"), "team='Shop'"),
        ("no tags", res("aws:ec2/vpc:Vpc", "v", {}), "missing ownership keys: team, owner, cost-center, env, blueprint, managed-by"),
        ("labels with the owner not encoded", k8s("ConfigMap", "v1", "c", labels={**LABELS, "team": ""}),
         "missing ownership keys: team"),
    ],
    "cloudblueprints-secrets-input-plaintext": [
        ("a master password in capitals", _literal("aws:rds/instance:Instance", MasterPassword="hunter22"),
         "input 'MasterPassword' is a literal"),
        ("a Kubernetes Secret's data", k8s("Secret", "v1", "s", data={"password": "aHVudGVyMjI="}), "input 'data' is a literal"),
        ("an access key id deep in a config", _literal("aws:ssm/parameter:Parameter", value={"env": [f"KEY={AKIA}"]}),
         "value.env[0] looks like a AWS access key id"),
        ("a password assignment in a script", _literal("aws:ec2/launchTemplate:LaunchTemplate", userData="export password=hunter22"),
         "userData looks like a password assignment"),
        ("a private key", _literal("aws:ssm/parameter:Parameter", value="-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n"),
         "value looks like a private key"),
    ],
    "pulumi-providers-resource-explicit": [
        ("the default Kubernetes provider", res("kubernetes:core/v1:Namespace", "ns", {}, provider=None),
         "uses the default kubernetes provider"),
    ],
    # vsphere
    "vsphere-inventory-object-ownership-tags": [
        ("a VM one tag short", tagged(VM, "vm", {"folder": "team"}, keys=KEYS[:-1]),
         "vm carries 5 tags, fewer than the ownership keys"),
        ("a folder with no tags", [res(FOLDER, "f", {"path": "team"})], "f carries 0 tags"),
    ],
    "vsphere-vcenter-vm-team-folder": [
        ("a VM with no folder", [res(FOLDER, "f", {"path": "team"}), res(VM, "vm", {})], "VM vm is in folder None"),
    ],
    "vsphere-network-portgroup-security-policy": [
        (f"{flag} true", res(PORT_GROUP, "pg", {**NO_SPOOFING, flag: True}), f"not explicitly false: {flag}")
        for flag in NO_SPOOFING
    ],
    "vsphere-compute-resourcepool-limits": [
        ("memory unlimited (-1)", res(RESOURCE_POOL, "rp", {"cpuLimit": 1000, "memoryLimit": -1}), "unlimited: memoryLimit"),
        ("neither limit", res(RESOURCE_POOL, "rp", {}), "unlimited: cpuLimit, memoryLimit"),
    ],
    "vsphere-compute-vmpool-anti-affinity": [
        ("two VMs and no rule", _pool(2), "VM vm-0 shares pool pool with 1 others"),
        ("a disabled rule", _pool(3, {"enabled": False}), "VM vm-2 shares pool pool with 2 others"),
        ("a rule that leaves one VM out", _pool(3, {"enabled": True}, spread=2), "VM vm-2 shares pool pool"),
    ],
    "vsphere-vcenter-vm-guest-credentials": [
        (f"a password in {encoding} user data", res(VM, "vm", _userdata(PASSWORD, encoding)),
         "extraConfig guestinfo.userdata sets a password") for encoding in ("b64", "gzip+base64", "gz+b64")
    ] + [
        ("a password in the metadata", res(VM, "vm", _userdata(PASSWORD, "base64", "guestinfo.metadata")),
         "extraConfig guestinfo.metadata sets a password"),
        ("a password in JSON user data", res(VM, "vm", {"extraConfig": {"guestinfo.userdata": '{"passwd": "x"}'}}),
         "extraConfig guestinfo.userdata sets a password"),
        ("a domain join password", res(VM, "vm", {"clone": {"customize": {"windowsOptions": {
            "domainAdminPassword": "[secret]"}}}}), "clone.customize.windowsOptions.domainAdminPassword is set"),
        ("a vApp property named in capitals", res(VM, "vm", {"vapp": {"properties": {"Admin_Password": "x"}}}),
         "vApp property Admin_Password carries a password"),
        # cloud-init decompresses quietly: base64 that is not gzip is read as decoded, so the password applies
        ("a password in base64 user data declared gzip+base64", res(VM, "vm", _encoded(PASSWORD.encode(), "gzip+base64")),
         "extraConfig guestinfo.userdata sets a password"),
        ("a password in plain user data declared base64, which a non-ASCII character keeps from decoding", res(VM, "vm", {
            "extraConfig": {"guestinfo.userdata": PASSWORD + "# caf\u00e9\n", "guestinfo.userdata.encoding": "base64"}}),
         "extraConfig guestinfo.userdata sets a password"),
    ],
    "vsphere-vcenter-vm-no-passwordless-sudo": [
        ("NOPASSWD in gzipped user data", res(VM, "vm", _userdata("#cloud-config\nsudo: ALL=(ALL) NOPASSWD:ALL\n",
                                                                  "gzip+base64")), "cloud-init grants passwordless sudo"),
        ("NOPASSWD in base64 user data declared gz+b64", res(VM, "vm", _encoded(
            b"#cloud-config\nsudo: ALL=(ALL) NOPASSWD:ALL\n", "gz+b64")), "cloud-init grants passwordless sudo"),
    ],
    "vsphere-providers-provider-verified-tls": [
        ("unverified as a boolean", res("pulumi:providers:vsphere", "vc", {"allowUnverifiedSsl": True}, provider=None),
         "allowUnverifiedSsl is true"),
    ],
}

# policy -> [(why it might fail, resource)]
MUST_PASS = {
    "aws-elasticache-replicationgroup-transit-auth": [
        # ElastiCache creates a group with transit encryption in mode `required` unless told `preferred`.
        ("transit encryption on, the mode left to its default",
         res(REDIS, "r", {k: v for k, v in REDIS_OK.items() if k != "transitEncryptionMode"})),
    ],
    "aws-msk-cluster-private-authenticated": [
        ("public access stated as disabled", _msk(brokerNodeGroupInfo=_public("DISABLED"))),
        ("no connectivity settings: private by default", _msk(brokerNodeGroupInfo={})),
        ("IAM clients, unauthenticated access left to its default (off)", _msk(clientAuthentication={"sasl": {"iam": True}})),
    ],
    "aws-rds-instance-backup-retention": [
        ("exactly the minimum", res(RDS, "db", merged(RDS_OK, backupRetentionPeriod=7))),
    ],
    # aws_network
    "aws-ec2-securitygroup-open-admin-ports": [
        ("an egress rule to SSH anywhere", _sg_rule("egress")),
        ("an ingress rule to SSH from a private range", _sg_rule("ingress", cidr="10.0.0.0/8")),
        ("an ingress rule to HTTPS from anywhere", _sg_rule("ingress", port=443)),
        ("a malformed range beside a private one", res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
            {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8", "not-a-range"]}]})),
        ("halves of the internet that reach no port together", res("aws:ec2/securityGroup:SecurityGroup", "sg", {
            "ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8", "0.0.0.0/1"]},
                        {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["128.0.0.0/1"]}]})),
    ],
    "aws-ec2-securitygroup-no-shared-cluster-network": [
        ("the whole internet to a public load balancer, which the open-ports policy judges", res(INGRESS_RULE, "in", {
            "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443})),
        ("an IPv6 range", res(INGRESS_RULE, "in", {"cidrIpv6": "::/1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443})),
        ("a malformed range beside a team's own", res("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
            {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.255.0.0/28", "not-a-range"]}]})),
    ],
    "aws-ec2-vpc-flow-logs": [("all traffic", _flow_log("ALL"))],
    # aws_logging
    "aws-kms-key-rotation": [
        # Every KeySpec but SYMMETRIC_DEFAULT (RSA_*, ECC_*, HMAC_*, SM2) is one AWS cannot rotate.
        (f"an asymmetric key ({field})", res(KEY, "k", {field: spec}))
        for field, spec in [("keySpec", "RSA_2048"), ("customerMasterKeySpec", "ECC_NIST_P256"), ("keySpec", "HMAC_256")]
    ],
    "aws-cloudwatch-loggroup-retention": [("exactly the minimum", _log_group(retentionInDays=90))],
    # baseline
    "cloudblueprints-ownership-resource-tags": [
        ("labels with the owner encoded", k8s("ConfigMap", "v1", "c")),
        ("a provider without tags", res("pulumi:providers:aws", "p", {"region": "us-east-1"}, provider=None)),
        ("a resource that takes no tags", res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {"role": "r"})),
        ("a Helm release, which has no metadata to label", res("kubernetes:helm.sh/v3:Release", "ingress", {
            "chart": "ingress-nginx", "namespace": "ingress-nginx"})),
    ],
    "cloudblueprints-secrets-input-plaintext": [
        ("an empty password", _literal("aws:rds/instance:Instance", password="")),
        ("a ConfigMap's data", k8s("ConfigMap", "v1", "c", data={"password_file": "/run/secrets/db"})),
        ("a password read from the environment", _literal("aws:ec2/launchTemplate:LaunchTemplate",
                                                          userData="password=$DB_PASSWORD")),
        ("a short password-like word", _literal("aws:ssm/parameter:Parameter", value="password: abc")),
    ],
    "pulumi-providers-resource-explicit": [("a provider itself", res("pulumi:providers:aws", "p", {"region": "us-east-1"},
                                                                     provider=None))],
    # vsphere
    "vsphere-inventory-object-ownership-tags": [
        ("a VM with every tag", tagged(VM, "vm", {"folder": "team"})),
        ("a VM with one tag more than the ownership keys", tagged(VM, "vm", {"folder": "team"}, keys=(*KEYS, "backup"))),
    ],
    "vsphere-compute-vmpool-anti-affinity": [
        ("a rule with enabled left to its default", _pool(2, {})),
        ("a lone VM", _pool(1)),
    ],
    "vsphere-vcenter-vm-guest-credentials": [
        ("an empty vApp password property", res(VM, "vm", {"vapp": {"properties": {"admin_password": ""}}})),
        ("user data that is not base64 after all", res(VM, "vm", {"extraConfig": {
            "guestinfo.userdata": "#cloud-config\nssh_pwauth: false\n", "guestinfo.userdata.encoding": "base64"}})),
        ("locked password, SSH keys", res(VM, "vm", cloud_init("#cloud-config\nusers:\n- name: ops\n  lock_passwd: true\n"))),
        # gzip that does not decompress reaches cloud-init as the compressed bytes: no password applies, and the audit
        # of the stack goes on
        ("a truncated gzip payload", res(VM, "vm", _encoded(GZIPPED[:20], "gzip+base64"))),
        ("a corrupt gzip payload", res(VM, "vm", _encoded(GZIPPED[:10] + b"\xff" * 20 + GZIPPED[-8:], "gz+b64"))),
    ],
    # kubernetes_tenancy
    "kubernetes-rbac-team-binding-no-guardrail-writes": [
        ("a team bound to its own Role named edit, which only reads", [_role("edit", READS), _binding("Role", "edit", "team-shop")]),
        ("a user named like a team group bound to edit", [_binding("ClusterRole", "edit", "team-shop", subject="User")]),
        ("a platform group bound to admin", [_binding("ClusterRole", "admin", "platform-admins")]),
    ],
    # kubernetes_operators
    "kubernetes-cnpg-cluster-backup": [("an object store and a retention", _cnpg(backup=BACKUP))],
    "kubernetes-cnpg-cluster-tls-only": [
        (f"plaintext refused from {anywhere}", _hba("hostssl all all all scram-sha-256", f"hostnossl all all {anywhere} reject"))
        for anywhere in ("all", "0.0.0.0/0", "::/0")
    ] + [("every TCP connection refused, plaintext included", _hba("host all all all reject"))],
    "kubernetes-redis-configmap-tls-only": [
        ("directives in capitals", _redis("PORT 0\nTLS-PORT 6379\nTLS-REPLICATION yes\n")),
        ("a comment saying port 6379", _redis("# port 6379 was the old setting\n" + TLS_REDIS)),
        ("blank lines between directives", _redis("port 0\n\ntls-port 6379\n\n\ntls-replication yes\n")),
        ("a config map that is not redis.conf", k8s("ConfigMap", "v1", "app-config", data={"app.conf": "port 6379\n"})),
    ],
    "kubernetes-operator-resource-replicas-by-tier": [
        ("exactly three control planes", _replicas("Cluster", "cluster.x-k8s.io/v1beta1",
                                                   {"topology": {"controlPlane": {"replicas": 3}}})),
        ("three broker replicas", _replicas("KafkaNodePool", "kafka.strimzi.io/v1beta2", {"replicas": 3})),
        ("five prod instances, more than the minimum", _replicas("Cluster", "postgresql.cnpg.io/v1", {"instances": 5})),
    ] + [
        # every env but prod, sorting before it (dev) and after it (stage, test)
        (f"one {env} instance", _replicas("Cluster", "postgresql.cnpg.io/v1", {"instances": 1}, env=env))
        for env in ("dev", "stage", "test")
    ] + [
        ("one instance with no env", _replicas("Cluster", "postgresql.cnpg.io/v1", {"instances": 1}, env=None)),
    ],
    # aws_compute
    "aws-eks-cluster-private-endpoint": [("a dev cluster with a public endpoint", res(EKS, "c", {
        **EKS_OK, "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24"]},
        "tags": {**TAGS, "env": "dev"}}))],
    "aws-eks-cluster-public-cidrs": [
        ("no public endpoint and no CIDRs", _eks(vpcConfig={"endpointPublicAccess": False})),
        ("named IPv4 and IPv6 ranges together", _eks(vpcConfig={"endpointPublicAccess": True,
                                                                 "publicAccessCidrs": ["198.51.100.0/24", "2001:db8::/32"]})),
    ],
    "aws-ec2-launchtemplate-ebs-encrypted": [
        ("an instance-store volume beside an encrypted root", _lt(blockDeviceMappings=[
            *LT_OK["blockDeviceMappings"], {"deviceName": "/dev/sdb", "virtualName": "ephemeral0"}])),
    ],
    "aws-ec2-instance-allowed-families": [
        (f"{value}", res(type_, "x", {field: value, "tags": TAGS})) for type_, field, value in [
            (RDS, "instanceClass", "db.r7g.large"), (REDIS, "nodeType", "cache.m7g.large"),
            ("aws:eks/nodeGroup:NodeGroup", "instanceTypes", ["m7g.large", "c7g.xlarge"]),
            ("aws:ec2/instance:Instance", "ami", "ami-123")]
    ],
}


@pytest.fixture(scope="module")
def auditor(no_exemptions):
    with Auditor(exemptions_file=no_exemptions, in_process=True) as running:
        yield running


def _violations(auditor, policy: str, resources) -> list[str]:
    assert policy in auditor.policies, policy
    resources = resources if isinstance(resources, list) else [resources]
    return [f.message for f in auditor.audit(off_the_wire(*resources)).findings if f.policy == policy and f.status == "violation"]


@pytest.mark.parametrize(("policy", "resource", "message"), [
    pytest.param(policy, resource, message, id=f"{policy}: {label}")
    for policy, cases in MUST_FAIL.items() for label, resource, message in cases])
def test_an_edge_case_is_a_violation_that_says_why(auditor, policy, resource, message):
    found = _violations(auditor, policy, resource)
    assert any(message in m for m in found), (policy, found)


@pytest.mark.parametrize(("policy", "resource"), [
    pytest.param(policy, resource, id=f"{policy}: {label}") for policy, cases in MUST_PASS.items() for label, resource in cases])
def test_an_edge_case_inside_the_rule_passes(auditor, policy, resource):
    assert _violations(auditor, policy, resource) == []


# --- settings at their schema's bounds -----------------------------------------------------------------------------

SETTINGS = [("aws-rds-instance-backup-retention", "minimumDays"), ("aws-cloudwatch-loggroup-retention", "minimumDays"),
            ("kubernetes-operator-resource-replicas-by-tier", "prodMinimum")]


@pytest.mark.parametrize(("policy", "setting"), SETTINGS)
def test_a_setting_of_one_is_the_smallest_accepted(no_exemptions, policy, setting):
    with Auditor(packs=[policy.split("-")[0]], config={policy: {setting: 1}}, exemptions_file=no_exemptions,
                 in_process=True):
        pass
    with pytest.raises(BadInput, match=rf"{policy}\.{setting}: 0 is less than the minimum of 1"):
        Auditor(packs=[policy.split("-")[0]], config={policy: {setting: 0}}, exemptions_file=no_exemptions,
                in_process=True)


def test_an_unset_retention_fails_even_the_smallest_minimum(no_exemptions):
    unset = res(RDS, "db", {k: v for k, v in RDS_OK.items() if k != "backupRetentionPeriod"})
    policy = "aws-rds-instance-backup-retention"
    with Auditor(packs=["aws"], config={policy: {"minimumDays": 1}}, exemptions_file=no_exemptions,
                 in_process=True) as one_day:
        assert _violations(one_day, policy, unset) == ["backupRetentionPeriod is 0, below 1 days"]
        assert _violations(one_day, policy, res(RDS, "db", merged(RDS_OK, backupRetentionPeriod=1))) == []


# The ports the policy guards, each named by what listens there: a rule open to the world on exactly that port fails.
GUARDED = {"SSH": 22, "RDP": 3389, "PostgreSQL": 5432, "MySQL": 3306, "SQL Server": 1433, "Oracle": 1521, "Redis": 6379,
           "Kafka": 9092, "Kafka TLS": 9094, "Kafka SASL/SCRAM": 9096, "Kafka IAM": 9098, "MongoDB": 27017,
           "Redshift": 5439, "etcd": 2379, "Kubernetes API": 6443, "kubelet": 10250}


@pytest.mark.parametrize(("service", "port"), GUARDED.items())
def test_each_guarded_port_open_to_the_world_fails(auditor, service, port):
    rule = {"protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": ["0.0.0.0/0"]}
    found = _violations(auditor, "aws-ec2-securitygroup-open-admin-ports", res("aws:ec2/securityGroup:SecurityGroup", "sg",
                                                                              {"ingress": [rule]}))
    assert found == [f"0.0.0.0/0 may reach port(s) {port}"], (service, found)


def test_a_secret_or_a_string_not_known_until_deploy_is_neither_a_literal_nor_undecided(auditor):
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    computed = res(RDS, "db", {**RDS_OK, "password": UNKNOWN_STRING_VALUE,
                               "tags": {**TAGS, "note": UNKNOWN_STRING_VALUE}, "parameters": [UNKNOWN_STRING_VALUE]})
    found = [f for f in auditor.audit(capture(computed)).findings if f.policy == "cloudblueprints-secrets-input-plaintext"]
    assert found == [], [(f.status, f.message) for f in found]


def test_a_value_not_known_until_deploy_hides_no_literal_after_it(auditor):
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    computed = res(RDS, "db", {**RDS_OK, "password": UNKNOWN_STRING_VALUE, "token": "s3cr3t-value",
                               "tags": {**TAGS, "note": UNKNOWN_STRING_VALUE, "zz-key": f"KEY={AKIA}"},
                               "parameters": [UNKNOWN_STRING_VALUE, "password=hunter22"]})
    found = sorted(f.message for f in auditor.audit(capture(computed)).findings
                   if f.policy == "cloudblueprints-secrets-input-plaintext")
    assert found == ["input 'token' is a literal, not derived from a generator or secret store",
                     "parameters[1] looks like a password assignment", "tags.zz-key looks like a AWS access key id"], found
