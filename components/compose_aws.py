"""The AWS target's steps: a team VPC on the region's hub (or the hub itself), EKS, managed data services."""

from __future__ import annotations

from dataclasses import replace

import pulumi
import pulumi_aws as aws

from blueprints.plan import (
    AwsPlan, EksCluster, ElastiCacheRedis, MskKafka, PodSecurityGroupPlan, RdsPostgres, S3Bucket,
)
from components.aws import (
    EksAccess, HubAttachment, HubAttachmentArgs, HubPeer, KafkaCluster, KafkaClusterArgs, KubernetesCluster, KubernetesClusterArgs, NetworkFabric, NetworkFabricArgs,
    NetworkHub, NetworkHubArgs, NodePool, NodePoolArgs, ObjectStore, ObjectStoreArgs, PostgresDatabase,
    PostgresDatabaseArgs, RedisCache, RedisCacheArgs, Taint, kubernetes_provider,
)
from components.aws._common import DataTierAccess
from components.aws.tagging import named
from components.contracts import ClusterAccess, KafkaService, ObjectStorageService, PostgresService, RedisService
from components.steps import Built, Cluster, Foundation

EKS_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}


def foundation(plan: AwsPlan, at: Built) -> Foundation:
    """The account's provider, then the regional hub (network-hub) or the team VPC attached to it."""
    name, parent = at.name, at.parent
    opts = pulumi.ResourceOptions(parent=parent, provider=_provider(f"{name}-aws", plan, plan.account_id,
                                                                     plan.deploy_role_arn, parent))
    if plan.hub is not None:
        return Foundation(opts=opts, exports=_hub(name, plan, opts))
    net = plan.network
    network = NetworkFabric(name, NetworkFabricArgs(
        cidr=net.cidr, prod=plan.prod, tags=plan.tags, availability_zones=list(net.zones), subnets=net.subnets,
        nat_gateways=net.nat_gateways,
        interconnect_cidrs=list(net.interconnect_cidrs), transit_gateway_id=net.transit_gateway_id,
        cluster_cidrs=list(net.cluster_cidrs),
        zone_retention_days=plan.zone.log_retention_days,
    ), opts=opts)
    if net.hub_attachment is not None:
        hub = net.hub_attachment
        # Accepting and routing happen in the hub's account, through a provider of its own.
        HubAttachment(f"{name}-hub", HubAttachmentArgs(
            attachment_id=network.transit_gateway_attachment_id, segment_route_table_id=hub.segment_route_table_id,
            interconnect_route_table_id=hub.interconnect_route_table_id, accept=hub.accept, tags=plan.tags,
        ), opts=pulumi.ResourceOptions(parent=parent, provider=_provider(
            f"{name}-hub-aws", plan, hub.account_id, hub.deploy_role_arn, parent)))
    return Foundation(opts=opts, exports={"vpc_id": network.vpc_id}, network=network)


def _provider(name: str, plan: AwsPlan, account_id: str, role_arn: str, parent: pulumi.Resource) -> aws.Provider:
    """A provider pinned to one account of the plan's region, through the platform's deploy role."""
    return aws.Provider(
        name,
        region=plan.region,
        allowed_account_ids=[account_id],
        assume_roles=[{"role_arn": role_arn, "session_name": f"cloud-blueprints-{plan.stack}"}],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def eks_cluster(spec: EksCluster, at: Built) -> Cluster:
    """EKS with the fleet's system pool and the catalog's node pools."""
    name, plan, base, parent = at.name, at.plan, at.base, at.parent
    network = base.network
    cluster = KubernetesCluster(f"{name}-eks", KubernetesClusterArgs(plan=spec, access=EksAccess(
        subnet_ids=network.private_subnet_ids, prod=plan.prod, tags=plan.tags,
        public_access_cidrs=list(plan.public_access_cidrs), admin_role_arns=[plan.admin_role_arn],
        team_role_arns=[plan.team_role_arn], team_namespaces=[plan.stack],
        zone_retention_days=plan.zone.log_retention_days,
    )), opts=base.opts)
    for pool in spec.node_pools:
        NodePool(f"{name}-{pool.name}", NodePoolArgs(
            cluster_name=cluster.cluster_name, subnet_ids=network.private_subnet_ids, instance_types=list(pool.machines),
            min_size=pool.min_nodes, desired_size=pool.nodes, max_size=pool.max_nodes, prod=plan.prod, tags=plan.tags,
            labels=pool.labels, taints=[Taint(key=t.key, value=t.value, effect=EKS_TAINT_EFFECTS[t.effect]) for t in pool.taints],
            capacity_type="SPOT" if pool.spot else "ON_DEMAND", disk_size_gib=pool.disk_gib,
            metadata_hop_limit=pool.imds_hop_limit, release_version=spec.node_image,
            kubernetes_version=spec.kubernetes_version if spec.node_image else None,
        ), opts=pulumi.ResourceOptions(parent=cluster, provider=base.opts.provider))
    return Cluster(
        access=ClusterAccess(cluster_name=cluster.cluster_name, kubeconfig=cluster.kubeconfig),
        provider=kubernetes_provider(f"{name}-cluster", cluster, pulumi.ResourceOptions(parent=parent)),
        client_security_group_ids=(cluster.cluster_security_group_id,),
    )


def team_pod_security_group(pods: PodSecurityGroupPlan, shared: Cluster, at: Built) -> Cluster:
    """The team's own security group in the shared cluster's VPC, which its application pods wear beside the
    cluster's node group; the team's data services admit this group and no network of the cluster."""
    plan = at.plan
    group = aws.ec2.SecurityGroup(
        f"{at.name}-pods-sg",
        # No rules of its own: it names the team's pods. Their traffic is allowed by the node group they keep.
        description=f"Application pods of {plan.stack} on the shared cluster: admitted by its data services",
        vpc_id=pods.vpc_id,
        tags=named(plan.tags, f"{at.name}-pods-sg"),
        opts=at.base.opts,
    )
    return replace(shared, client_security_group_ids=(group.id,),
                   pod_security_group_ids=(group.id, pods.cluster_security_group_id))


def _data_tier(at: Built, subnet_ids) -> DataTierAccess:
    """A managed service in the data subnets, reachable only from the team's cluster."""
    cluster = at.cluster
    return DataTierAccess(
        vpc_id=at.base.network.vpc_id, subnet_ids=subnet_ids, prod=at.plan.prod, tags=at.plan.tags,
        allowed_security_group_ids=list(cluster.client_security_group_ids) if cluster else [],
        allowed_cidrs=list(cluster.client_cidrs) if cluster else [],
        zone_retention_days=at.plan.zone.log_retention_days,
    )


def postgres(ds: RdsPostgres, at: Built) -> PostgresService:
    """RDS for PostgreSQL in the data tier."""
    pg = PostgresDatabase(f"{at.name}-postgres", PostgresDatabaseArgs(
        plan=ds, access=_data_tier(at, at.base.network.data_subnet_ids)), opts=at.base.opts)
    return PostgresService(host=pg.address, port=pg.port, secret=pg.master_user_secret_arn)


def redis(ds: ElastiCacheRedis, at: Built) -> RedisService:
    """ElastiCache for Redis OSS in the data tier."""
    cache = RedisCache(f"{at.name}-redis", RedisCacheArgs(
        plan=ds, access=_data_tier(at, at.base.network.data_subnet_ids)), opts=at.base.opts)
    return RedisService(host=cache.primary_endpoint, port=cache.port, secret=cache.auth_token_secret_arn)


def kafka(ds: MskKafka, at: Built) -> KafkaService:
    """MSK with one data subnet per zone."""
    # MSK needs the subnet count before the subnets exist: one per zone of the plan.
    ids = at.base.network.data_subnet_ids
    per_zone = [ids.apply(lambda found, i=i: found[i]) for i in range(len(at.plan.network.zones))]
    cluster = KafkaCluster(f"{at.name}-kafka", KafkaClusterArgs(plan=ds, access=_data_tier(at, per_zone)),
                           opts=at.base.opts)
    return KafkaService(bootstrap=cluster.bootstrap_brokers)


def object_store(ds: S3Bucket, at: Built) -> ObjectStorageService:
    """An S3 bucket; noncurrent versions kept as long as the catalog keeps backups."""
    store = ObjectStore(f"{at.name}-objects", ObjectStoreArgs(plan=ds, prod=at.plan.prod, tags=at.plan.tags,
                                                              access_log_bucket=ds.access_log_bucket),
                        opts=at.base.opts)
    return ObjectStorageService(bucket=store.bucket_name)


def _hub(name: str, plan: AwsPlan, opts: pulumi.ResourceOptions) -> dict:
    """The platform's regional network hub."""
    h = plan.hub
    hub = NetworkHub(f"{name}-hub", NetworkHubArgs(
        region=h.region, amazon_side_asn=h.amazon_side_asn, tags=plan.tags,
        onprem_supernets=list(h.onprem_supernets),
        # Direct Connect announces the region's AWS networks toward the data centers.
        advertised_prefixes=list(h.advertised_prefixes),
        direct_connect_gateway_id=h.direct_connect_gateway_id, share_principals=list(h.share_principals),
        peers=[HubPeer(region=p.region, transit_gateway_id=p.transit_gateway_id, prod_cidrs=list(p.prod_cidrs),
                       nonprod_cidrs=list(p.nonprod_cidrs), account_id=p.account_id, attachment_id=p.attachment_id)
               for p in h.peers],
    ), opts=opts)
    return {"transit_gateway_id": hub.transit_gateway_id, "prod_route_table_id": hub.prod_route_table_id,
            "nonprod_route_table_id": hub.nonprod_route_table_id,
            "interconnect_route_table_id": hub.interconnect_route_table_id,
            "peering_attachment_ids": hub.peering_attachment_ids, "peerings_awaiting_acceptance": list(h.awaiting_peers)}
