"""What a vSphere stack costs: the on-prem chargeback rates of its tier (sites map `prices.onprem`)."""

from __future__ import annotations

from blueprints.plan import OperatorService, VksCluster, VspherePlan
from blueprints.prices import OnPremRates
from blueprints.resolved import ResolvedBlueprint
from cost.lines import CostComponent, CostLine, CostResource, d


def _charge(name: str, vcpu: int, memory_gib: int, storage_gib: int, rates: OnPremRates | None) -> tuple[CostLine, ...]:
    lines = []
    if vcpu:
        lines.append(CostLine(f"{name} vCPU", "vCPU", d(vcpu), d(rates.vcpu_month) if rates else None))
    if memory_gib:
        lines.append(CostLine(f"{name} memory", "GiB", d(memory_gib), d(rates.memory_gib_month) if rates else None))
    if storage_gib:
        lines.append(CostLine(f"{name} storage", "TiB", d(storage_gib) / 1024,
                              d(rates.storage_tib_month) if rates else None))
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


def components(resolved: ResolvedBlueprint, p: VspherePlan, rates: OnPremRates | None) -> list[CostComponent]:
    """The stack's cost by component: what placement commits, then each data service."""
    return [_vsphere_compute(resolved, p, rates), *(_vsphere_service(p.stack, ds, rates) for ds in p.data_services)]
