"""Placement and IPAM against the sites map and the stacks already stamped; pool_choice ranks the pools."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Iterable

from blueprints.catalog import CatalogEntry
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest, is_prod
from blueprints.pool_choice import Verdict, judge, settle, usage_by_pool
from blueprints.resolved import AwsPlacement, NetworkAllocation, Placement, ResolvedBlueprint, VspherePlacement
from blueprints.sites import DataCenter, Pool, Region, SitesMap


@dataclass(frozen=True)
class Allocation:
    """What one existing placement holds in its pool."""

    stack: str
    pool: str
    cidr: IPv4Network | None
    vlan: int | None
    vcpu: int
    memory_gib: int
    switch: str | None = None


def switch_of(placement: Placement) -> str | None:
    """The distributed switch a placement's VLAN lives on: VLAN ids are unique per switch, not per pool."""
    return f"{placement.vsphere.vcenter}/{placement.vsphere.distributed_switch}" if placement.vsphere else None


def allocations(stacks: Iterable[ResolvedBlueprint]) -> list[Allocation]:
    """Every placement of the given stacks, as pool usage."""
    return [
        Allocation(
            stack=bp.stack,
            pool=p.pool,
            cidr=p.network.cidr if p.network else None,
            vlan=p.network.vlan if p.network else None,
            vcpu=bp.size.vcpu,
            memory_gib=bp.size.memory_gib,
            switch=switch_of(p),
        )
        for bp in stacks
        for p in bp.placements
    ]


def _free_cidr(pool: Pool, prefix: int, used: list[IPv4Network]) -> IPv4Network | None:
    """The first block of `prefix` in the pool's supernets that overlaps nothing in use."""
    for supernet in pool.supernets:
        if prefix < supernet.prefixlen:
            continue
        inside = sorted(u for u in used if u.overlaps(supernet))
        for candidate in supernet.subnets(new_prefix=prefix):
            if not any(candidate.overlaps(u) for u in inside):
                return candidate
    return None


def _free_vlan(pool: Pool, used: set[int]) -> int | None:
    assert pool.vlans is not None
    return next((v for v in range(pool.vlans.first, pool.vlans.last + 1) if v not in used), None)


def _placement(sites: SitesMap, region: Region, dc: DataCenter, pool: Pool, network: NetworkAllocation | None) -> Placement:
    aws = vsphere = None
    if dc.aws and pool.aws:
        aws = AwsPlacement(
            region=dc.aws.region,
            account_id=pool.aws.account_id,
            availability_zones=pool.aws.availability_zones,
            hub=dc.aws.hub,
            api_allowed_cidrs=dc.aws.api_allowed_cidrs,
            interconnect_cidrs=sites.supernets(region.name, "vsphere"),
            aws_supernets=sites.supernets(region.name, "aws"),
        )
    if dc.vsphere and pool.vsphere:
        vsphere = VspherePlacement(
            vcenter=dc.vsphere.vcenter,
            datacenter=dc.vsphere.datacenter,
            compute_cluster=pool.vsphere.compute_cluster,
            datastore=pool.vsphere.datastore,
            distributed_switch=pool.vsphere.distributed_switch,
            supervisor=dc.vsphere.supervisor,
            backup=dc.vsphere.backup,
        )
    return Placement(
        region=region.name, data_center=dc.name, pool=pool.name, target=dc.target, tier=pool.tier,
        aws=aws, vsphere=vsphere, shared_cluster=pool.shared_cluster, network=network,
    )


def place(
    request: BlueprintRequest,
    entry: CatalogEntry,
    sites: SitesMap,
    existing: Iterable[ResolvedBlueprint],
    placements_wanted: int = 1,
    trace: list[Verdict] | None = None,
) -> tuple[Placement, ...]:
    """Choose pools (in distinct data centers) by pool_choice's rule and allocate their networks.

    `trace`, when given, receives every pool's verdict per placement (what `bp new --explain` shows).
    """
    target = request.target
    tier = "prod" if is_prod(request.env) else "nonprod"
    size = entry.sizes[request.size]
    prefix = entry.spec.network_prefix.get(target) if target else None
    used = [a for a in allocations(existing) if a.stack != request.stack]

    if request.region and request.region not in {r.name for r in sites.regions}:
        raise BadInput(f"region: unknown region '{request.region}' (known: {', '.join(r.name for r in sites.regions)})")
    if request.site and request.site not in {dc.name for _, dc in sites.data_centers()}:
        raise BadInput(f"site: unknown site '{request.site}' (see `bp sites`)")

    chosen: list[Placement] = []
    rejected: list[str] = []

    for n in range(placements_wanted):
        verdicts = judge(request, tier, size, sites, usage_by_pool(used), chosen)
        rejected += [f"{v.pool.name} (full)" for v in verdicts if v.capacity_only]
        for verdict in (v for v in verdicts if v.fits):
            region, dc, pool = verdict.region, verdict.data_center, verdict.pool
            in_pool = [a for a in used if a.pool == pool.name]
            network = None
            if prefix is not None:
                cidr = _free_cidr(pool, prefix, [a.cidr for a in used if a.cidr])
                if cidr is None:
                    rejected.append(f"{pool.name} (no free /{prefix})")
                    continue
                vlan = None
                if target == "vsphere":
                    switch = switch_of(_placement(sites, region, dc, pool, None))
                    vlan = _free_vlan(pool, {a.vlan for a in used if a.switch == switch and a.vlan is not None})
                    if vlan is None:
                        rejected.append(f"{pool.name} (no free VLAN)")
                        continue
                network = NetworkAllocation(cidr=cidr, vlan=vlan)
            chosen.append(_placement(sites, region, dc, pool, network))
            # What this stack takes counts against its next placement too.
            used.append(Allocation(request.stack, pool.name, network.cidr if network else None,
                                   network.vlan if network else None, size.vcpu, size.memory_gib,
                                   switch_of(chosen[-1])))
            break
        placed = chosen[n].pool if len(chosen) > n else None
        if trace is not None:
            trace += settle(verdicts, placed, rejected)
        if placed is None:
            break

    if len(chosen) < placements_wanted:
        where = f"site {request.site}" if request.site else f"region {request.region}"
        need = f"{placements_wanted} data centers" if placements_wanted > 1 else "pool"
        detail = f"; rejected: {', '.join(rejected)}" if rejected else ""
        raise BadInput(
            f"placement: no {need} in {where} for target {target}, tier {tier}, "
            f"zone {request.compliance_zone} with {size.vcpu} vCPU / {size.memory_gib} GiB free{detail}"
        )
    return tuple(chosen)
