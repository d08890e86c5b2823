"""What an AWS stack costs: on-demand list prices of its region (sites map `prices.aws`), by implementation type."""

from __future__ import annotations

from decimal import Decimal

from blueprints import clock
from blueprints.plan import (
    AwsDataService,
    AwsPlan,
    EksCluster,
    ElastiCacheRedis,
    MskKafka,
    NodePoolPlan,
    RdsPostgres,
    S3Bucket,
    SharedClusterPlan,
)
from blueprints.prices import AwsRegionPrices, Price
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import MachineShape, SitesMap
from cost.lines import CostComponent, CostLine, CostResource, d, usd


def _hourly(name: str, count: int, hours: Decimal, price: Price | None) -> CostLine:
    return CostLine(name, "hours", count * hours, usd(price))


def _gib_month(name: str, gib: int, price: Price | None) -> CostLine:
    return CostLine(name, "GB", d(gib), usd(price))


def _node_pool(name: str, pool: NodePoolPlan, table: AwsRegionPrices, hours: Decimal) -> CostResource:
    machine = pool.machines[0]
    # Spot nodes are priced at on-demand: the most they can cost, as spot prices move.
    usage = f"Instance usage (Linux, {'spot, at most on-demand' if pool.spot else 'on-demand'}, {machine})"
    return CostResource(name, "aws:eks/nodeGroup:NodeGroup", (
        _hourly(usage, pool.nodes, hours, table.instance_hour.get(machine)),
        _gib_month("Root volumes (gp3)", pool.nodes * pool.disk_gib, table.ebs_gp3_gib_month),
    ))


def _eks_extended(p: AwsPlan, sites: SitesMap) -> bool:
    """The cluster's Kubernetes version is past EKS standard support today (support calendar): AWS bills extended
    support for the control plane."""
    version = p.cluster.kubernetes_version if isinstance(p.cluster, EksCluster) else None
    window = sites.support.window("eks", version) if sites.support and version else None
    end = window.end_of_standard_support if window else None
    return end is not None and clock.today() > end


def _aws_cluster(shared_node: MachineShape, p: AwsPlan, table: AwsRegionPrices, hours: Decimal,
                 extended: bool) -> CostComponent:
    cluster = p.cluster
    resources: list[CostResource] = []
    if isinstance(cluster, EksCluster):
        control = (_hourly(f"EKS cluster (extended support, Kubernetes {cluster.kubernetes_version})", 1, hours,
                           table.eks_extended_cluster_hour) if extended
                   else _hourly("EKS cluster", 1, hours, table.eks_cluster_hour))
        resources.append(CostResource(f"{p.stack}-eks", "aws:eks/cluster:Cluster", (control,)))
        resources.append(_node_pool(f"{p.stack}-eks-system", cluster.system_pool, table, hours))
        resources += [_node_pool(f"{p.stack}-{pool.name}", pool, table, hours) for pool in cluster.node_pools]
    elif isinstance(cluster, SharedClusterPlan) and p.tenancy:
        # The shared cluster runs on the fleet's smallest general-purpose type; a namespace pays for its quota's
        # share of those nodes, vCPU for vCPU.
        shape = shared_node
        node = table.instance_hour.get(shape.name)
        per_vcpu = d(node.usd) / shape.vcpu if node else None
        resources.append(CostResource(p.tenancy.namespace, "kubernetes:core/v1:Namespace", (
            CostLine(f"Shared cluster vCPU ({shape.name} per vCPU, on-demand)", "vCPU-hours",
                     p.tenancy.cpu * hours, per_vcpu),)))
    return CostComponent("cluster", "cloud-blueprints:aws:KubernetesCluster", tuple(resources))


def _aws_network(p: AwsPlan, table: AwsRegionPrices, hours: Decimal) -> CostComponent:
    net = p.network
    if net is None:
        return CostComponent("network", "cloud-blueprints:aws:NetworkFabric", ())
    resources = [CostResource(f"{p.stack}-nat-{i}", "aws:ec2/natGateway:NatGateway",
                              (_hourly("NAT gateway", 1, hours, table.nat_gateway_hour),)) for i in range(net.nat_gateways)]
    if net.transit_gateway_id:
        resources.append(CostResource(f"{p.stack}-tgw-attachment", "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
                                      (_hourly("Transit Gateway attachment", 1, hours, table.transit_gateway_attachment_hour),)))
    return CostComponent("network", "cloud-blueprints:aws:NetworkFabric", tuple(resources))


def _rds(name: str, ds: RdsPostgres, table: AwsRegionPrices, hours: Decimal) -> CostResource:
    n = ds.replicas
    return CostResource(name, "aws:rds/instance:Instance", (
        _hourly(f"Database instance (on-demand, {'Multi-AZ' if n > 1 else 'Single-AZ'}, {ds.instance_class})", n, hours,
                table.database_hour.get(ds.instance_class)),
        _gib_month("Storage (gp3)", ds.storage_gib * n, table.rds_gp3_gib_month)))


def _elasticache(name: str, ds: ElastiCacheRedis, table: AwsRegionPrices, hours: Decimal) -> CostResource:
    return CostResource(name, "aws:elasticache/replicationGroup:ReplicationGroup", (
        _hourly(f"Cache nodes (on-demand, {ds.instance_class})", ds.replicas, hours,
                table.cache_node_hour.get(ds.instance_class)),))


def _msk(name: str, ds: MskKafka, table: AwsRegionPrices, hours: Decimal) -> CostResource:
    return CostResource(name, "aws:msk/cluster:Cluster", (
        _hourly(f"Brokers (on-demand, {ds.instance_class})", ds.replicas, hours, table.kafka_broker_hour.get(ds.instance_class)),
        _gib_month("Broker storage", ds.storage_gib * ds.replicas, table.msk_storage_gib_month)))


def _s3(name: str, ds: S3Bucket, table: AwsRegionPrices, hours: Decimal) -> CostResource:
    return CostResource(name, "aws:s3/bucketV2:BucketV2", (
        _gib_month("Storage (Standard), as sized", ds.storage_gib, table.s3_standard_gib_month),))


AWS_PRICING = {RdsPostgres: (_rds, "PostgresDatabase"), ElastiCacheRedis: (_elasticache, "RedisCache"),
               MskKafka: (_msk, "KafkaCluster"), S3Bucket: (_s3, "ObjectStore")}
"""How each AWS implementation of a data service is billed, and the component that builds it."""


def _aws_service(stack: str, ds: AwsDataService, table: AwsRegionPrices, hours: Decimal) -> CostComponent:
    price, component = AWS_PRICING[type(ds)]
    return CostComponent(ds.kind, f"cloud-blueprints:aws:{component}", (price(f"{stack}-{ds.kind}", ds, table, hours),))


def components(resolved: ResolvedBlueprint, p: AwsPlan, table: AwsRegionPrices, hours: Decimal,
               sites: SitesMap) -> list[CostComponent]:
    """The stack's cost by component: cluster, network, then each data service."""
    extended = _eks_extended(p, sites)
    # The shared cluster's nodes are the sites map's, not a decision of the team's stack.
    return [_aws_cluster(sites.fleet.aws_instance_types[0], p, table, hours, extended), _aws_network(p, table, hours),
            *(_aws_service(p.stack, ds, table, hours) for ds in p.data_services)]


