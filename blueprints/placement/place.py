"""Placement and IPAM against the sites map and the stacks already stamped; pool_choice ranks the pools."""

from __future__ import annotations

from blueprints.catalog import CatalogEntry
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest, is_prod
from blueprints.placement.allocation_index import Allocation, Availability, switch_of
from blueprints.placement.pool_choice import Verdict, judge, settle
from blueprints.resolved import AwsPlacement, NetworkAllocation, Placement, VspherePlacement
from blueprints.sites import DataCenter, Pool, Region, SitesMap


def _placement(sites: SitesMap, region: Region, dc: DataCenter, pool: Pool, network: NetworkAllocation | None) -> Placement:
    aws = vsphere = None
    if dc.aws and pool.aws:
        aws = AwsPlacement(
            region=dc.aws.region,
            account_id=pool.aws.account_id,
            availability_zones=pool.aws.zone_names,
            hub=dc.aws.hub,
            api_allowed_cidrs=dc.aws.api_allowed_cidrs,
            access_log_bucket=dc.aws.access_log_bucket,
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
            hosts=len(pool.vsphere.hosts),
            supervisor=dc.vsphere.supervisor,
            backup=dc.vsphere.backup,
            break_glass_ssh_keys=pool.vsphere.break_glass_ssh_keys,
        )
    return Placement(
        region=region.name, data_center=dc.name, pool=pool.name, target=dc.target, tier=pool.tier,
        aws=aws, vsphere=vsphere, shared_cluster=pool.shared_cluster, network=network,
    )


def place(
    request: BlueprintRequest,
    entry: CatalogEntry,
    sites: SitesMap,
    free: Availability,
    placements_wanted: int,
    trace: list[Verdict] | None = None,
) -> tuple[Placement, ...]:
    """Choose pools (in distinct data centers) by pool_choice's rule and allocate their networks from what is `free`.

    `trace`, when given, receives every pool's verdict per placement (what `bp new --explain` shows).
    """
    target = request.target
    tier = "prod" if is_prod(request.env) else "nonprod"
    size = entry.sizes[request.size]
    prefix = entry.spec.network_prefix.get(target) if target else None
    _known_names(request, sites)

    chosen: list[Placement] = []
    rejected: list[str] = []

    for n in range(placements_wanted):
        verdicts = judge(request, tier, size, sites, free.usage(), chosen)
        rejected += [f"{v.pool.name} (full)" for v in verdicts if v.capacity_only]
        for verdict in (v for v in verdicts if v.fits):
            fits, network = _network(verdict, prefix, target, sites, free, rejected)
            if not fits:
                continue
            chosen.append(_placement(sites, verdict.region, verdict.data_center, verdict.pool, network))
            # What this stack takes counts against its next placement too.
            free.take(Allocation(request.stack, verdict.pool.name, network.cidr if network else None,
                                 network.vlan if network else None, size.vcpu, size.memory_gib, switch_of(chosen[-1])))
            break
        placed = chosen[n].pool if len(chosen) > n else None
        if trace is not None:
            trace += settle(verdicts, placed, rejected)
        if placed is None:
            break

    if len(chosen) < placements_wanted:
        _no_room(request, placements_wanted, tier, size, rejected)
    return tuple(chosen)


def _known_names(request: BlueprintRequest, sites: SitesMap) -> None:
    """The region or site a request names exists in the sites map."""
    if request.region and request.region not in {r.name for r in sites.regions}:
        raise BadInput(f"region: unknown region '{request.region}' (known: {', '.join(r.name for r in sites.regions)})")
    if request.site and request.site not in {dc.name for _, dc in sites.data_centers()}:
        raise BadInput(f"site: unknown site '{request.site}' (see `bp sites`)")


def _network(verdict: Verdict, prefix: int | None, target: str | None, sites: SitesMap, free: Availability,
             rejected: list[str]) -> tuple[bool, NetworkAllocation | None]:
    """Whether a fitting pool has the network the stack needs (a free /prefix and, on vSphere, a VLAN), and that network.

    A pool without one is added to `rejected`, with why.
    """
    if prefix is None:
        return True, None
    pool = verdict.pool
    cidr = free.free_cidr(pool, prefix)
    if cidr is None:
        rejected.append(f"{pool.name} (no free /{prefix})")
        return False, None
    vlan = None
    if target == "vsphere":
        switch = switch_of(_placement(sites, verdict.region, verdict.data_center, pool, None))
        vlan = free.free_vlan(pool, switch)
        if vlan is None:
            rejected.append(f"{pool.name} (no free VLAN)")
            return False, None
    return True, NetworkAllocation(cidr=cidr, vlan=vlan)


def _no_room(request: BlueprintRequest, wanted: int, tier: str, size, rejected: list[str]) -> None:
    """BadInput: no pool (or too few data centers) for the request, naming the pools rejected and why."""
    where = f"site {request.site}" if request.site else f"region {request.region}"
    need = f"{wanted} data centers" if wanted > 1 else "pool"
    detail = f"; rejected: {', '.join(rejected)}" if rejected else ""
    raise BadInput(
        f"placement: no {need} in {where} for target {request.target}, tier {tier}, "
        f"zone {request.compliance_zone} with {size.vcpu} vCPU / {size.memory_gib} GiB free{detail}"
    )
