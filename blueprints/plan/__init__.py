"""The plan: a pure function from a resolved blueprint to every value its target's components need.

The resolved blueprint (the stack file) holds the catalog's promises and the decisions taken from the
sites map when it was stamped (`decide.py`); the plan turns them into instance types, VM classes, images, replica counts, quotas,
subnets and networks, with one frozen type per implementation (`RdsPostgres` on AWS, `CnpgPostgres`
on vSphere, ...). Plain dataclasses and no Pulumi, so it is tested without an engine and the
components receive explicit values instead of looking anything up.

`shared.py` holds what every target's plan holds, `aws.py` and `vsphere.py` each target's types.
"""

from __future__ import annotations

from blueprints.plan.aws import (
    AWS_SERVICES, HA_ZONES, ZONES, AwsDataService, AwsNetworkPlan, AwsPlan, EksCluster, ElastiCacheRedis,
    HubAttachmentPlan, HubPeerPlan, HubPlan, MskKafka, PodSecurityGroupPlan, RdsPostgres, S3Bucket, aws_plan,
    subnet_plan,
)
from blueprints.plan.decide import (
    KUBERNETES_DECISIONS, decide, differences, hop, kubernetes_minor, minor_key, minors_between, stale,
)
from blueprints.plan.shared import (
    KAFKA_CONTROLLER_STORAGE_GIB, DataServicePlan, NodePoolPlan, PlanError, SharedClusterPlan, Taint, TeamPlan,
    TenancyPlan,
)
from blueprints.plan.vsphere import (
    KAFKA_CONTROLLERS, VSPHERE_SERVICES, BackupPlan, CnpgPostgres, ContainerResources, OperatorService,
    RedisStatefulSet, StrimziKafka, VksCluster, VmPoolPlan, VsphereSitePlan, VspherePlan, spread_groups, vsphere_plan,
)
from blueprints.resolved import ResolvedBlueprint

Plan = AwsPlan | VspherePlan
ClusterPlan = EksCluster | VksCluster | SharedClusterPlan
"""A team's cluster: dedicated (one type per target) or a namespace on the pool's shared one."""

OFFERED: dict[str, frozenset[str]] = {"aws": frozenset(AWS_SERVICES), "vsphere": frozenset(VSPHERE_SERVICES)}
"""The data service kinds each target implements."""


def rotates_in_program(bp: ResolvedBlueprint) -> bool:
    """Whether the stack's own program rotates a secret on a schedule (Redis on Kubernetes), so that something must
    run `pulumi up` after the rotation time even when nothing in the repository changed."""
    offered = AWS_SERVICES if bp.primary.target == "aws" else VSPHERE_SERVICES
    return any(offered.get(ds.kind) is RedisStatefulSet for ds in bp.data_services)


def plan(bp: ResolvedBlueprint) -> Plan:
    """The plan of a resolved blueprint for its target; PlanError names what the fleet lacks."""
    return aws_plan(bp) if bp.primary.target == "aws" else vsphere_plan(bp)


__all__ = [
    "AWS_SERVICES", "HA_ZONES", "KAFKA_CONTROLLERS", "KAFKA_CONTROLLER_STORAGE_GIB", "KUBERNETES_DECISIONS", "OFFERED",
    "VSPHERE_SERVICES", "ZONES", "AwsDataService", "AwsNetworkPlan", "AwsPlan", "BackupPlan", "ClusterPlan",
    "CnpgPostgres",
    "ContainerResources", "DataServicePlan", "EksCluster", "ElastiCacheRedis", "HubAttachmentPlan", "HubPeerPlan",
    "HubPlan", "MskKafka", "NodePoolPlan", "OperatorService", "Plan", "PlanError", "PodSecurityGroupPlan",
    "RdsPostgres", "RedisStatefulSet",
    "S3Bucket", "SharedClusterPlan", "StrimziKafka", "Taint", "TeamPlan", "TenancyPlan", "VksCluster", "VmPoolPlan",
    "VsphereSitePlan", "VspherePlan", "decide", "differences", "hop", "kubernetes_minor", "minor_key",
    "minors_between", "plan", "rotates_in_program", "spread_groups", "stale", "subnet_plan",
]
