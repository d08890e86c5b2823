"""Which resources hold data, and which property changes make the real engine replace them.

The offline engine has no provider plugins to ask, so the upgrade diff reads this reviewed table.
Sources: the pulumi-aws resource schemas (the Terraform AWS provider's `ForceNew` arguments),
pulumi-vsphere's `virtualMachine` (clone source), pulumi-kubernetes (a changed `metadata.name` or
`metadata.namespace` is a replace for every object; StatefulSet fields the API server refuses to
patch), and the operators' own rules (CloudNativePG, Strimzi and Cluster API resources are found by
name, so renaming one creates a new cluster). Property paths are the engine's (camelCase) input names.
Review this table whenever a component starts using a new stateful type.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """What replacing or deleting one resource type means."""

    stateful: bool
    """Deleting or replacing it loses data (databases, volumes, clusters, networks with workloads in them)."""
    forces_replace: tuple[str, ...] = ()
    """Input paths whose change makes the provider replace the resource."""


KUBERNETES_IDENTITY = ("metadata.name", "metadata.namespace")

KINDS: dict[str, Kind] = {
    # AWS data services: the identity, the storage encryption and the subnet placement are fixed at create.
    "aws:rds/instance:Instance": Kind(True, (
        "identifier", "engine", "dbName", "username", "storageEncrypted", "kmsKeyId", "availabilityZone",
        "characterSetName", "ncharCharacterSetName", "timezone", "snapshotIdentifier", "restoreToPointInTime",
        "s3Import", "customIamInstanceProfile",
    )),
    "aws:rds/cluster:Cluster": Kind(True, (
        "clusterIdentifier", "engine", "engineMode", "databaseName", "masterUsername", "storageEncrypted",
        "kmsKeyId", "availabilityZones", "dbSubnetGroupName", "snapshotIdentifier", "restoreToPointInTime",
        "s3Import", "sourceRegion",
    )),
    "aws:elasticache/replicationGroup:ReplicationGroup": Kind(True, (
        "replicationGroupId", "atRestEncryptionEnabled", "kmsKeyId", "subnetGroupName", "port",
        "snapshotArns", "snapshotName", "preferredCacheClusterAzs",
    )),
    "aws:elasticache/cluster:Cluster": Kind(True, (
        "clusterId", "engine", "subnetGroupName", "port", "snapshotArns", "snapshotName", "availabilityZone",
    )),
    "aws:msk/cluster:Cluster": Kind(True, (
        "clusterName", "brokerNodeGroupInfo.clientSubnets", "brokerNodeGroupInfo.securityGroups",
        "encryptionInfo.encryptionAtRestKmsKeyArn", "encryptionInfo.encryptionInTransit.inCluster",
    )),
    "aws:eks/cluster:Cluster": Kind(True, (
        "name", "roleArn", "vpcConfig.securityGroupIds", "kubernetesNetworkConfig.serviceIpv4Cidr",
        "kubernetesNetworkConfig.ipFamily", "outpostConfig", "bootstrapSelfManagedAddons",
        "accessConfig.bootstrapClusterCreatorAdminPermissions",
    )),
    "aws:ec2/vpc:Vpc": Kind(True, ("cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength")),
    "aws:ec2/subnet:Subnet": Kind(True, ("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn")),
    "aws:s3/bucket:Bucket": Kind(True, ("bucket", "bucketPrefix", "objectLockEnabled")),
    "aws:s3/bucketV2:BucketV2": Kind(True, ("bucket", "bucketPrefix", "objectLockEnabled")),
    # A KMS key that goes away takes every ciphertext it protects with it.
    "aws:kms/key:Key": Kind(True, ("customerMasterKeySpec", "keySpec", "keyUsage", "multiRegion", "xksKeyId")),
    # Stateless AWS kinds whose replacement the upgrade diff should still name correctly.
    "aws:rds/parameterGroup:ParameterGroup": Kind(False, ("family", "name", "namePrefix")),
    "aws:rds/subnetGroup:SubnetGroup": Kind(False, ("name", "namePrefix")),
    "aws:elasticache/subnetGroup:SubnetGroup": Kind(False, ("name",)),
    "aws:ec2/securityGroup:SecurityGroup": Kind(False, ("name", "namePrefix", "vpcId", "description")),
    "aws:cloudwatch/logGroup:LogGroup": Kind(True, ("name", "namePrefix")),
    # vSphere: a VM's disks are its data; a new clone source means a new VM.
    "vsphere:index/virtualMachine:VirtualMachine": Kind(True, ("clone.templateUuid", "datastoreClusterId")),
    # Kubernetes: deleting a namespace deletes everything in it, volumes included.
    "kubernetes:core/v1:Namespace": Kind(True, KUBERNETES_IDENTITY),
    "kubernetes:core/v1:PersistentVolumeClaim": Kind(True, (
        *KUBERNETES_IDENTITY, "spec.storageClassName", "spec.accessModes", "spec.volumeMode", "spec.selector",
    )),
    "kubernetes:apps/v1:StatefulSet": Kind(False, (
        *KUBERNETES_IDENTITY, "spec.selector", "spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy",
    )),
    # Operators own the volumes of the clusters they run: a deleted resource takes its PVCs with it.
    "kubernetes:postgresql.cnpg.io/v1:Cluster": Kind(True, (*KUBERNETES_IDENTITY, "spec.bootstrap")),
    "kubernetes:kafka.strimzi.io/v1beta2:Kafka": Kind(True, KUBERNETES_IDENTITY),
    "kubernetes:kafka.strimzi.io/v1beta2:KafkaNodePool": Kind(True, (*KUBERNETES_IDENTITY, "spec.storage.type")),
    "kubernetes:cluster.x-k8s.io/v1beta1:Cluster": Kind(True, KUBERNETES_IDENTITY),
    "kubernetes:cluster.x-k8s.io/v1beta2:Cluster": Kind(True, KUBERNETES_IDENTITY),
}


def kind_of(type_token: str) -> Kind:
    """The row for a type; Kubernetes objects not listed still replace on a new name or namespace."""
    found = KINDS.get(type_token)
    if found is not None:
        return found
    if type_token.startswith("kubernetes:") and not type_token.startswith("kubernetes:helm"):
        return Kind(False, KUBERNETES_IDENTITY)
    return Kind(False)


def replacing(type_token: str, changed: tuple[str, ...]) -> tuple[str, ...]:
    """The changed input paths that force a replacement of a resource of this type."""
    rules = kind_of(type_token).forces_replace
    return tuple(p for p in changed if any(p == r or p.startswith(r + ".") or r.startswith(p + ".") for r in rules))
