"""The AWS target: a team VPC on the region's hub, EKS or the pool's shared cluster, tenancy, managed data services.

For the platform's `network-hub` blueprint it builds the regional hub instead.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from blueprints.resolved import ResolvedBlueprint
from components.aws import (
    KafkaCluster, KafkaClusterArgs, KubernetesCluster, KubernetesClusterArgs, NetworkFabric, NetworkFabricArgs,
    NetworkHub, NetworkHubArgs, NodePool, NodePoolArgs, ObjectStore, ObjectStoreArgs, PostgresDatabase,
    PostgresDatabaseArgs, RedisCache, RedisCacheArgs, Taint, kubernetes_provider,
)
from components.aws.network import az_count
from components.compose_shared import shared_cluster_provider, tenancy

# General-purpose instance per node shape (vCPU, GiB); a node gets the smallest that fits.
INSTANCE_TYPES = ((2, 8, "m6i.large"), (4, 16, "m6i.xlarge"), (8, 32, "m6i.2xlarge"), (16, 64, "m6i.4xlarge"),
                  (32, 128, "m6i.8xlarge"))


def instance_type(vcpu: int, memory_gib: int) -> str:
    """The instance type of a node shape."""
    return next((t for c, m, t in INSTANCE_TYPES if c >= vcpu and m >= memory_gib), INSTANCE_TYPES[-1][2])


EKS_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}


def _taint(text: str) -> Taint:
    """A catalog taint `key=value:Effect` as the EKS API spells it."""
    key_value, _, effect = text.rpartition(":")
    key, _, value = key_value.partition("=")
    return Taint(key=key, value=value or None, effect=EKS_TAINT_EFFECTS[effect])


def _role(bp: ResolvedBlueprint, role: str) -> str:
    return f"arn:aws:iam::{bp.primary.aws.account_id}:role/{role}"


def compose(name: str, bp: ResolvedBlueprint, parent: pulumi.Resource) -> dict[str, Any]:
    """Build the AWS side of a team blueprint; returns the stack exports."""
    place = bp.primary.aws
    assert place is not None
    tags = bp.tags()
    provider = aws.Provider(
        f"{name}-aws",
        region=place.region,
        allowed_account_ids=[place.account_id],
        assume_roles=[{"role_arn": _role(bp, bp.platform.aws_deploy_role), "session_name": f"cloud-blueprints-{bp.stack}"}],
        opts=pulumi.ResourceOptions(parent=parent),
    )
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    if bp.spec.network_hub:
        return _hub(name, bp, opts)

    hub = place.hub
    network = NetworkFabric(name, NetworkFabricArgs(
        cidr=str(bp.primary.network.cidr), prod=bp.prod, tags=tags, availability_zones=list(place.availability_zones),
        interconnect_cidrs=[str(c) for c in place.interconnect_cidrs] if hub else [],
        transit_gateway_id=hub.transit_gateway_id if hub else None,
    ), opts=opts)
    exports: dict[str, Any] = {"vpc_id": network.vpc_id}

    allowed_groups: list = []
    allowed_cidrs: list[str] = []
    if bp.spec.cluster == "dedicated":
        cluster = KubernetesCluster(f"{name}-eks", KubernetesClusterArgs(
            kubernetes_version=bp.spec.kubernetes_version or "", vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids, prod=bp.prod, tags=tags,
            system_metadata_hop_limit=bp.spec.imds_hop_limit,
            public_access_cidrs=[] if bp.prod else [str(c) for c in place.api_allowed_cidrs],
            admin_role_arns=[_role(bp, bp.platform.aws_admin_role)],
            team_role_arns=[_role(bp, f"{bp.platform.aws_team_role_prefix}{bp.request.team}")],
            team_namespaces=[bp.stack],
        ), opts=opts)
        spot = bool(bp.parameters.get("spot_general_pool")) and not bp.prod
        for pool in bp.spec.node_pools:
            nodes = pool.nodes or bp.size.nodes
            NodePool(f"{name}-{pool.name}", NodePoolArgs(
                cluster_name=cluster.cluster_name, subnet_ids=network.private_subnet_ids,
                instance_types=[instance_type(bp.size.node_vcpu, bp.size.node_memory_gib)],
                min_size=nodes, desired_size=nodes, max_size=nodes * 2, prod=bp.prod, tags=tags,
                labels=pool.labels, taints=[_taint(t) for t in pool.taints],
                capacity_type="SPOT" if (pool.spot or spot) and pool.nodes is None else "ON_DEMAND",
                disk_size_gib=bp.size.disk_gib, metadata_hop_limit=bp.spec.hop_limit(pool),
            ), opts=pulumi.ResourceOptions(parent=cluster, provider=provider))
        exports.update(cluster_name=cluster.cluster_name, cluster_endpoint=cluster.endpoint, kubeconfig=cluster.kubeconfig)
        k8s_provider = kubernetes_provider(f"{name}-cluster", cluster, pulumi.ResourceOptions(parent=parent))
        allowed_groups.append(cluster.cluster_security_group_id)
    else:
        k8s_provider, shared = shared_cluster_provider(name, bp, parent)
        exports["cluster_name"] = shared.name
        if shared.cidr:
            allowed_cidrs.append(str(shared.cidr))

    if bp.spec.namespace:
        ns = tenancy(name, bp, pulumi.ResourceOptions(parent=parent, provider=k8s_provider))
        exports["namespace"] = ns.namespace

    _data_services(name, bp, network, allowed_groups, allowed_cidrs, opts, exports)
    return exports


def _data_services(name: str, bp: ResolvedBlueprint, network: NetworkFabric, groups: list, cidrs: list[str],
                   opts: pulumi.ResourceOptions, exports: dict) -> None:
    """Managed data services in the data subnets, reachable only from the team's cluster."""
    ha = bp.prod or bp.spec.ha_data_services
    reach = dict(vpc_id=network.vpc_id, prod=bp.prod, tags=bp.tags(),
                 allowed_security_group_ids=groups, allowed_cidrs=cidrs)
    for ds in bp.data_services:
        if ds.kind == "postgres":
            pg = PostgresDatabase(f"{name}-postgres", PostgresDatabaseArgs(
                **reach, subnet_ids=network.data_subnet_ids, size=ds.size, high_availability=ha,
                engine_version=str(bp.parameters.get("postgres_version", "16")),
            ), opts=opts)
            exports.update(postgres_endpoint=pg.endpoint, postgres_secret_arn=pg.master_user_secret_arn)
        elif ds.kind == "redis":
            redis = RedisCache(f"{name}-redis", RedisCacheArgs(**reach, subnet_ids=network.data_subnet_ids, size=ds.size),
                               opts=opts)
            exports.update(redis_endpoint=redis.primary_endpoint, redis_auth_secret_arn=redis.auth_token_secret_arn)
        elif ds.kind == "kafka":
            # One broker per AZ: MSK needs the subnet count before the subnets exist.
            per_az = [network.data_subnet_ids.apply(lambda ids, i=i: ids[i]) for i in range(az_count(bp.prod))]
            kafka = KafkaCluster(f"{name}-kafka", KafkaClusterArgs(
                **reach, subnet_ids=per_az, size=ds.size,
                kafka_version=str(bp.parameters.get("kafka_version", "3.7.x")),
            ), opts=opts)
            exports["kafka_bootstrap_brokers"] = kafka.bootstrap_brokers
        elif ds.kind == "object-storage":
            store = ObjectStore(f"{name}-objects", ObjectStoreArgs(prod=bp.prod, tags=bp.tags()), opts=opts)
            exports["bucket_name"] = store.bucket_name


def _hub(name: str, bp: ResolvedBlueprint, opts: pulumi.ResourceOptions) -> dict[str, Any]:
    """The platform's regional network hub."""
    place = bp.primary.aws
    hub = NetworkHub(f"{name}-hub", NetworkHubArgs(
        region=place.region, amazon_side_asn=int(bp.parameters["amazon_side_asn"]), tags=bp.tags(),
        onprem_supernets=[str(c) for c in place.interconnect_cidrs],
        # Direct Connect announces the region's AWS networks toward the data centers.
        advertised_prefixes=[str(c) for c in place.aws_supernets],
        direct_connect_gateway_id=place.hub.direct_connect_gateway_id if place.hub else None,
        share_principals=[bp.platform.aws_organization_arn] if bp.platform.aws_organization_arn else [],
    ), opts=opts)
    return {"transit_gateway_id": hub.transit_gateway_id, "prod_route_table_id": hub.prod_route_table_id,
            "nonprod_route_table_id": hub.nonprod_route_table_id}
