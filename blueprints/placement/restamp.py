"""Re-stamps keep what exists: an existing stack keeps its pools and networks unless asked to move."""

from __future__ import annotations

from blueprints.catalog import CatalogEntry
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest, is_prod
from blueprints.placement.allocation_index import Availability
from blueprints.placement.place import _placement
from blueprints.placement.pool_choice import Usage
from blueprints.resolved import Placement, ResolvedBlueprint
from blueprints.sites import SitesMap

MOVE = "pass --move-network to re-allocate it (this replaces its network and everything in it)"


def _same_place(request: BlueprintRequest, previous: ResolvedBlueprint) -> None:
    first = previous.primary
    if request.target != first.target:
        raise BadInput(f"--target: {previous.stack} runs on {first.target}, not {request.target}; {MOVE}")
    if request.site and request.site != first.data_center:
        raise BadInput(f"--site: {previous.stack} is placed in {first.data_center}, not {request.site}; {MOVE}")
    if request.region and request.region != first.region:
        raise BadInput(f"--region: {previous.stack} is placed in {first.region}, not {request.region}; {MOVE}")


def kept_placements(
    request: BlueprintRequest,
    entry: CatalogEntry,
    sites: SitesMap,
    free: Availability,
    previous: ResolvedBlueprint,
    placements_wanted: int,
) -> tuple[Placement, ...]:
    """The previous placements, re-read from the sites map, if the changed request still fits them."""
    _same_place(request, previous)
    if len(previous.placements) != placements_wanted:
        raise BadInput(f"--param ha: changes {previous.stack} from {len(previous.placements)} to "
                       f"{placements_wanted} placements; {MOVE}")
    size = entry.sizes[request.size]
    prefix = entry.spec.network_prefix.get(request.target)
    used = free.usage()
    kept = []
    for old in previous.placements:
        region, dc, pool = sites.find_pool(old.pool)
        tier = "prod" if is_prod(request.env) else "nonprod"
        if pool.tier != tier or request.compliance_zone not in pool.compliance_zones:
            raise BadInput(f"--compliance-zone: pool {pool.name} is not certified for {request.compliance_zone} "
                           f"({tier}); {MOVE}")
        in_pool = used.get(pool.name, Usage())
        free_vcpu = pool.capacity.vcpu - in_pool.vcpu
        free_mem = pool.capacity.memory_gib - in_pool.memory_gib
        if size.vcpu > free_vcpu or size.memory_gib > free_mem:
            raise BadInput(f"--size: {request.size} ({size.vcpu} vCPU / {size.memory_gib} GiB) no longer fits pool "
                           f"{pool.name}, which has {free_vcpu} vCPU / {free_mem} GiB free; {MOVE}")
        net = old.network
        held = net.cidr.prefixlen if net else None
        if held != prefix:
            wants = f"a /{prefix} network" if prefix else "no network"
            raise BadInput(f"--blueprint: {entry.ref} needs {wants}, {previous.stack} holds "
                           f"{net.cidr if net else 'none'}; {MOVE}")
        kept.append(_placement(sites, region, dc, pool, net))
    return tuple(kept)
