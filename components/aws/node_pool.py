"""NodePool: an EKS managed node group on a hardened launch template."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.aws._common import Account, assume_role_policy, kms_key
from components.aws.tagging import named
from components.ownership import require_ownership

NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly")
"""The only managed policies a node needs: join the cluster, run the VPC CNI, pull images."""

TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
_GRAVITON = re.compile(r"^[a-z]+\d+[a-z]*g[a-z]*\.")


@dataclass(frozen=True)
class Taint:
    """A Kubernetes taint on every node of the pool."""

    key: str
    effect: str
    value: str | None = None

    def __post_init__(self) -> None:
        if self.effect not in TAINT_EFFECTS:
            raise ValueError(f"Taint {self.key}: effect {self.effect!r} is not one of {list(TAINT_EFFECTS)}")


@dataclass(frozen=True)
class NodePoolArgs:
    """Inputs of a managed node group. Pass `opts=ResourceOptions(parent=cluster)`."""

    cluster_name: pulumi.Input[str]
    """The EKS cluster the nodes join."""
    subnet_ids: Sequence[pulumi.Input[str]] | pulumi.Input[Sequence[str]]
    """Private subnets, one or more per AZ."""
    instance_types: Sequence[str]
    """Instance types from the size class; all x86_64 or all Graviton."""
    min_size: int
    desired_size: int
    max_size: int
    prod: bool
    """Prod: a 30-day key deletion window and a gentler rolling update."""
    tags: Mapping[str, str]
    metadata_hop_limit: int
    """IMDSv2 hop limit from the catalog: 1 keeps pods off the node role's credentials; 2 lets pods reach IMDS."""
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[Taint] = ()
    capacity_type: str = "ON_DEMAND"
    """ON_DEMAND or SPOT."""
    disk_size_gib: int = 50
    """gp3 root volume, KMS-encrypted."""
    kubernetes_version: pulumi.Input[str] | None = None
    """None: the cluster's version."""
    release_version: str | None = None
    """The EKS optimized AMI release version (1.34.3-20260209); a new one is a rolling update of the group, at most
    `update_config`'s share of nodes unavailable at once. None: the AMI EKS picks when the group is created."""

    def __post_init__(self) -> None:
        require_ownership(self.tags, "NodePoolArgs")
        if not 0 <= self.min_size <= self.desired_size <= self.max_size or self.max_size < 1:
            raise ValueError(f"NodePoolArgs: need 0 <= min <= desired <= max, max >= 1: {self.min_size}/{self.desired_size}/{self.max_size}")
        if self.capacity_type not in CAPACITY_TYPES:
            raise ValueError(f"NodePoolArgs: capacity_type {self.capacity_type!r} is not one of {list(CAPACITY_TYPES)}")
        if self.metadata_hop_limit not in (1, 2):
            raise ValueError("NodePoolArgs: metadata_hop_limit must be 1 or 2")
        if not self.instance_types:
            raise ValueError("NodePoolArgs: at least one instance type")
        arm = {bool(_GRAVITON.match(t)) for t in self.instance_types}
        if len(arm) > 1:
            raise ValueError(f"NodePoolArgs: instance types mix architectures: {list(self.instance_types)}")

    @property
    def ami_type(self) -> str:
        return "AL2023_ARM_64_STANDARD" if _GRAVITON.match(self.instance_types[0]) else "AL2023_x86_64_STANDARD"


class NodePool(pulumi.ComponentResource):
    """Managed nodes: IMDSv2 only, encrypted gp3 root volumes, a node role with only what nodes need."""

    node_group_name: pulumi.Output[str]
    node_group_arn: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    launch_template_id: pulumi.Output[str]

    def __init__(self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:aws:NodePool", name, None, opts)
        account = Account.of(self)
        role, attachments = self._least_privilege_node_role(name, args, account)
        key = self._volume_key(name, args, account)
        template = self._imdsv2_encrypted_launch_template(name, args, key)
        group = aws.eks.NodeGroup(
            f"{name}-ng",
            cluster_name=args.cluster_name,
            node_role_arn=role.arn,
            subnet_ids=args.subnet_ids,
            version=args.kubernetes_version,
            release_version=args.release_version,
            ami_type=args.ami_type,
            instance_types=list(args.instance_types),
            capacity_type=args.capacity_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.min_size, desired_size=args.desired_size, max_size=args.max_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=25 if args.prod else 50),
            labels=dict(args.labels),
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=t.effect) for t in args.taints],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(str)),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            tags=named(args.tags, f"{name}-ng"),
            # The cluster autoscaler owns the desired size once the pool runs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments, ignore_changes=["scalingConfig.desiredSize"]),
        )

        self.node_group_name = group.node_group_name
        self.node_group_arn = group.arn
        self.node_role_arn = role.arn
        self.launch_template_id = template.id
        self.register_outputs(
            {
                "node_group_name": self.node_group_name,
                "node_group_arn": self.node_group_arn,
                "node_role_arn": self.node_role_arn,
                "launch_template_id": self.launch_template_id,
            }
        )

    def _least_privilege_node_role(self, name: str, args: NodePoolArgs,
                                   account: Account) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        """The node role with NODE_POLICIES only: join the cluster, run the VPC CNI, pull images."""
        role = aws.iam.Role(
            f"{name}-node-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            tags=named(args.tags, f"{name}-node-role"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy}",
                role=role.name,
                policy_arn=account.managed_policy(policy),
                opts=pulumi.ResourceOptions(parent=role),
            )
            for policy in NODE_POLICIES
        ]
        return role, attachments

    def _volume_key(self, name: str, args: NodePoolArgs, account: Account) -> aws.kms.Key:
        """The root volumes' key; Auto Scaling launches the instances, so its service-linked role may use it."""
        autoscaling_role = pulumi.Output.all(account.partition, account.account_id).apply(
            lambda a: f"arn:{a[0]}:iam::{a[1]}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        )
        return kms_key(
            f"{name}-ebs",
            description=f"Encrypts the root volumes of node pool {name}",
            account=account,
            prod=args.prod,
            tags=args.tags,
            parent=self,
            extra_statements=[
                autoscaling_role.apply(
                    lambda arn: {
                        "Sid": "AutoScalingUsesKeyForVolumes",
                        "Effect": "Allow",
                        "Principal": {"AWS": arn},
                        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                        "Resource": "*",
                    }
                ),
                autoscaling_role.apply(
                    lambda arn: {
                        "Sid": "AutoScalingCreatesGrantsForVolumes",
                        "Effect": "Allow",
                        "Principal": {"AWS": arn},
                        "Action": "kms:CreateGrant",
                        "Resource": "*",
                        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                    }
                ),
            ],
        )

    def _imdsv2_encrypted_launch_template(self, name: str, args: NodePoolArgs, key: aws.kms.Key) -> aws.ec2.LaunchTemplate:
        """IMDSv2 required at the catalog's hop limit, KMS-encrypted gp3 root volumes, ownership tags on what it launches."""
        tags = args.tags
        propagated = [
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=named(tags, f"{name}-node"))
            for kind in ("instance", "volume", "network-interface")
        ]
        return aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"Nodes of {name}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=args.metadata_hop_limit,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=key.arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            tag_specifications=propagated,
            tags=named(tags, f"{name}-lt"),
            opts=pulumi.ResourceOptions(parent=self),
        )
