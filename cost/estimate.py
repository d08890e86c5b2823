"""The monthly cost of one stack, by component and resource, from its plan and the sites map's price table.

AWS stacks are priced at on-demand list prices per region; vSphere stacks at the on-prem chargeback rates of
their tier. Money is Decimal so that a figure a reviewer computes by hand from the table is the figure shown.
A resource whose price the table lacks is listed with no price (and counted as such), never silently as free.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from blueprints import clock
from blueprints.errors import BadInput
from blueprints.plan import (
    AwsDataService, AwsPlan, EksCluster, ElastiCacheRedis, MskKafka, NodePoolPlan, OperatorService, RdsPostgres,
    S3Bucket, SharedClusterPlan, VksCluster, VspherePlan, plan,
)
from blueprints.prices import AwsRegionPrices, OnPremRates, Price
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap

class NoPrices(BadInput):
    """The sites map has no price table."""


@dataclass(frozen=True)
class CostLine:
    """One priced quantity: a cost component in Infracost's words."""

    name: str
    """What is billed, e.g. 'Instance usage (on-demand, m6i.large)'."""
    unit: str
    """Unit of the quantity and the price: hours, GB, vCPU, GiB, TiB."""
    monthly_quantity: Decimal
    """Units in a month."""
    price: Decimal | None
    """Price of one unit; None: the table has no price for it."""

    @property
    def monthly(self) -> Decimal:
        """Monthly cost; zero when unpriced (the resource says so)."""
        return self.monthly_quantity * self.price if self.price is not None else Decimal(0)


@dataclass(frozen=True)
class CostResource:
    """A resource the stack creates, with what it costs."""

    name: str
    """Resource name as the program names it."""
    type: str
    """Pulumi type token."""
    lines: tuple[CostLine, ...]
    """Its cost components."""

    @property
    def monthly(self) -> Decimal:
        """Monthly cost of its priced lines."""
        return sum((line.monthly for line in self.lines), Decimal(0))

    @property
    def unpriced(self) -> bool:
        """Some line has no price in the table."""
        return any(line.price is None for line in self.lines)


@dataclass(frozen=True)
class CostComponent:
    """A component of the blueprint (cluster, network, a data service) and its resources."""

    name: str
    """Component name, e.g. 'cluster', 'postgres'."""
    type: str
    """The component's type token."""
    resources: tuple[CostResource, ...]
    """Its resources."""

    @property
    def monthly(self) -> Decimal:
        """Monthly cost of its resources."""
        return sum((r.monthly for r in self.resources), Decimal(0))


@dataclass(frozen=True)
class Estimate:
    """The monthly cost of one stack."""

    stack: str
    """`<team>-<env>`."""
    blueprint: str
    """`name@version`."""
    target: str
    """aws or vsphere."""
    location: str
    """AWS region, or the on-prem tier whose rates apply."""
    hours_per_month: int
    """Hours a month is counted as."""
    components: tuple[CostComponent, ...]
    """What costs, by component."""

    @property
    def monthly(self) -> Decimal:
        """Total monthly cost of everything priced."""
        return sum((c.monthly for c in self.components), Decimal(0))

    @property
    def unpriced(self) -> tuple[CostResource, ...]:
        """Resources the price table has no price for."""
        return tuple(r for c in self.components for r in c.resources if r.unpriced)


def money(value: Decimal) -> Decimal:
    """Rounded to the cent, as shown."""
    return value.quantize(Decimal("0.01"))


def _d(value: float | int) -> Decimal:
    return Decimal(str(value))


def _usd(price: Price | None) -> Decimal | None:
    return _d(price.usd) if price is not None else None


def estimate(resolved: ResolvedBlueprint, sites: SitesMap) -> Estimate:
    """The monthly cost of a stamped (or about to be stamped) stack, at the sites map's prices, today."""
    prices = sites.prices
    if prices is None:
        raise NoPrices("prices: the sites map has no price table; add 'prices' (see blueprints/prices.py)")
    the_plan = plan(resolved)
    hours = _d(prices.hours_per_month)
    if isinstance(the_plan, AwsPlan):
        table = prices.aws.get(the_plan.region, AwsRegionPrices())
        parts = _aws(resolved, the_plan, table, hours, _eks_extended(the_plan, sites))
        where = the_plan.region
    else:
        tier = "prod" if the_plan.prod else "nonprod"
        rates = prices.onprem.get(tier)
        parts = _vsphere(resolved, the_plan, rates)
        where = f"on-prem {tier}"
    return Estimate(stack=resolved.stack, blueprint=resolved.blueprint_ref, target=resolved.primary.target,
                    location=where, hours_per_month=prices.hours_per_month,
                    components=tuple(c for c in parts if c.resources))


# --- AWS -------------------------------------------------------------------------------------------------

def _hourly(name: str, count: int, hours: Decimal, price: Price | None) -> CostLine:
    return CostLine(name, "hours", count * hours, _usd(price))


def _gib_month(name: str, gib: int, price: Price | None) -> CostLine:
    return CostLine(name, "GB", _d(gib), _usd(price))


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


def _aws_cluster(resolved: ResolvedBlueprint, p: AwsPlan, table: AwsRegionPrices, hours: Decimal,
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
        shape = resolved.fleet.aws_instance_types[0]
        node = table.instance_hour.get(shape.name)
        per_vcpu = _d(node.usd) / shape.vcpu if node else None
        resources.append(CostResource(p.tenancy.namespace, "kubernetes:core/v1:Namespace", (
            CostLine(f"Shared cluster vCPU ({shape.name} per vCPU, on-demand)", "vCPU-hours",
                     p.tenancy.cpu * hours, per_vcpu),)))
    return CostComponent("cluster", "cloud-blueprints:aws:KubernetesCluster", tuple(resources))


def _aws_network(p: AwsPlan, table: AwsRegionPrices, hours: Decimal) -> CostComponent:
    net = p.network
    if net is None:
        return CostComponent("network", "cloud-blueprints:aws:NetworkFabric", ())
    # One NAT gateway in nonprod, one per zone in prod (components/aws/network.py).
    nats = len(net.zones) if p.prod else 1
    resources = [CostResource(f"{p.stack}-nat-{i}", "aws:ec2/natGateway:NatGateway",
                              (_hourly("NAT gateway", 1, hours, table.nat_gateway_hour),)) for i in range(nats)]
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


def _aws(resolved: ResolvedBlueprint, p: AwsPlan, table: AwsRegionPrices, hours: Decimal,
         extended: bool) -> list[CostComponent]:
    return [_aws_cluster(resolved, p, table, hours, extended), _aws_network(p, table, hours),
            *(_aws_service(p.stack, ds, table, hours) for ds in p.data_services)]


# --- vSphere ---------------------------------------------------------------------------------------------

def _charge(name: str, vcpu: int, memory_gib: int, storage_gib: int, rates: OnPremRates | None) -> tuple[CostLine, ...]:
    lines = []
    if vcpu:
        lines.append(CostLine(f"{name} vCPU", "vCPU", _d(vcpu), _d(rates.vcpu_month) if rates else None))
    if memory_gib:
        lines.append(CostLine(f"{name} memory", "GiB", _d(memory_gib), _d(rates.memory_gib_month) if rates else None))
    if storage_gib:
        lines.append(CostLine(f"{name} storage", "TiB", _d(storage_gib) / 1024,
                              _d(rates.storage_tib_month) if rates else None))
    return tuple(lines)


def _vsphere_compute(resolved: ResolvedBlueprint, p: VspherePlan, rates: OnPremRates | None) -> CostComponent:
    """What placement commits: the size class in every data center, or in the namespace on a shared cluster."""
    size = resolved.size
    vm_disks = p.vm_pool.count_per_site * p.vm_pool.disk_gb if p.vm_pool else 0
    resources = [CostResource(f"{p.stack}-{site.data_center}", "vsphere:index/resourcePool:ResourcePool",
                              _charge("Reserved", size.vcpu, size.memory_gib, vm_disks, rates)) for site in p.sites]
    cluster = p.cluster
    if isinstance(cluster, VksCluster):
        disks = sum(pool.nodes * pool.disk_gib for pool in cluster.node_pools)
        resources.append(CostResource(f"{p.stack}-cluster", "cloud-blueprints:k8s:VksCluster",
                                      _charge("Node disks", 0, 0, disks, rates)))
    elif not p.sites and p.tenancy:
        resources.append(CostResource(p.tenancy.namespace, "kubernetes:core/v1:Namespace",
                                      _charge("Namespace quota", size.vcpu, size.memory_gib, 0, rates)))
    return CostComponent("compute", "cloud-blueprints:vsphere:TeamPlacement", tuple(resources))


def _vsphere_service(stack: str, ds: OperatorService, rates: OnPremRates | None) -> CostComponent:
    """A data service's pods and volumes, as the namespace quota counts them."""
    pods = ds.replicas + ds.controllers
    storage = ds.storage_gib * ds.replicas + getattr(ds, "controller_storage_gib", 0) * ds.controllers
    kind = {"postgres": "PostgresCluster", "redis": "RedisCache", "kafka": "KafkaCluster"}[ds.kind]
    res = CostResource(f"{stack}-{ds.kind}", f"cloud-blueprints:k8s:{kind}",
                       _charge(f"Pods ({pods})", ds.vcpu * pods, ds.memory_gib * pods, storage, rates))
    return CostComponent(ds.kind, f"cloud-blueprints:k8s:{kind}", (res,))


def _vsphere(resolved: ResolvedBlueprint, p: VspherePlan, rates: OnPremRates | None) -> list[CostComponent]:
    return [_vsphere_compute(resolved, p, rates), *(_vsphere_service(p.stack, ds, rates) for ds in p.data_services)]
