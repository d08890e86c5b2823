"""Turn a request into a resolved blueprint: catalog lookup, parameter checks, placement, IPAM."""

from __future__ import annotations

from typing import Iterable

from blueprints import clock, support
from blueprints.catalog import Catalog, CatalogEntry
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest, DataServiceRequest, is_prod
from blueprints.placement.allocation_index import AllocationIndex
from blueprints.placement.place import place
from blueprints.placement.restamp import kept_placements
from blueprints.decisions import Decisions
from blueprints.plan import OFFERED, decide, plan
from blueprints.resolved import PeerHub, ResolvedBlueprint, ResolvedDataService
from blueprints.sites import SitesMap

# On-prem data services run as operators; object storage there is the platform's own store, not a team's.
ON_PREM_DATA_SERVICES = OFFERED["vsphere"]


def _target(request: BlueprintRequest, targets: tuple[str, ...], sites: SitesMap) -> str:
    if request.target:
        return request.target
    if request.site:
        for _, dc in sites.data_centers():
            if dc.name == request.site:
                return dc.target
    return targets[0]


def _data_service(entry: CatalogEntry, wanted: DataServiceRequest, target: str, parameters: dict, prod: bool) -> ResolvedDataService:
    """A data service with the catalog's promise for this target and tier written out."""
    terms = entry.data_service_terms[wanted.kind]
    version = str(parameters[terms.version_parameter]) if terms.version_parameter else terms.version
    copies = terms.replicas.get(target)
    retention = terms.backup_retention_days
    return ResolvedDataService(
        kind=wanted.kind, size=wanted.size, **entry.data_service_sizes[wanted.kind][wanted.size].model_dump(),
        version=version,
        replicas=(copies.ha if prod or entry.spec.ha_data_services else copies.single) if copies else 1,
        backup_retention_days=retention["prod" if prod else "nonprod"] if retention else None,
    )


def _with_peer_hubs(resolved: ResolvedBlueprint, sites: SitesMap) -> ResolvedBlueprint:
    """A hub stack learns every other region's hub and the supernets behind it, per tier."""
    own = resolved.primary.aws
    peers = []
    for dc, hub in sites.hubs():
        if dc.aws.region == own.region:
            continue
        by_tier = {tier: tuple(net for pool in dc.pools if pool.tier == tier for net in pool.supernets)
                   for tier in ("prod", "nonprod")}
        peers.append(PeerHub(region=dc.aws.region, transit_gateway_id=hub.transit_gateway_id, account_id=hub.account_id,
                             prod_cidrs=by_tier["prod"], nonprod_cidrs=by_tier["nonprod"]))
    placement = resolved.primary.model_copy(update={"aws": own.model_copy(update={"peer_hubs": tuple(peers)})})
    return resolved.model_copy(update={"placements": (placement, *resolved.placements[1:])})


def resolve(
    request: BlueprintRequest,
    catalog: Catalog,
    sites: SitesMap,
    existing: Iterable[ResolvedBlueprint] = (),
    move_network: bool = False,
    trace: list | None = None,
    refuse_ended: bool = True,
) -> ResolvedBlueprint:
    """Everything `bp new` decides, or BadInput naming the field at fault; `trace` collects pool verdicts.

    A stack already in `existing` keeps its placements and networks unless `move_network` is set. Pass an
    AllocationIndex when stamping many: any other iterable of stacks is indexed afresh for this one request.
    `refuse_ended=False` resolves a version whose promises are past their support end (golden renders of old versions).
    """
    index = existing if isinstance(existing, AllocationIndex) else AllocationIndex(existing)
    entry = catalog.get(request.blueprint)
    if not request.region and not request.site:
        raise BadInput("region or site: one is required (e.g. --region amer or --site ny1)")

    target = _target(request, entry.targets, sites)
    if target not in entry.targets:
        raise BadInput(f"target: {entry.ref} supports {', '.join(entry.targets)}, not {target}")

    parameters = _parameters(request, entry)
    wanted = _wanted_services(request, entry, target)
    data_services = tuple(_data_service(entry, s, target, parameters, is_prod(request.env)) for s in wanted)

    pinned = request.model_copy(update={"blueprint": entry.ref, "target": target, "data_services": wanted})
    count = 2 if parameters.get("ha") else 1
    previous = index.get(request.stack)
    if previous and not move_network:
        placements = kept_placements(pinned, entry, sites, index.seen_by(request.stack), previous, count)
    else:
        placements = place(pinned, entry, sites, index.seen_by(request.stack), placements_wanted=count, trace=trace)
    resolved = ResolvedBlueprint(
        request=pinned,
        spec=entry.spec,
        size=entry.sizes[request.size],
        parameters=parameters,
        data_services=data_services,
        placements=placements,
        platform=sites.platform,
        decisions=Decisions(),
        moves=entry.moves,
    )
    if entry.spec.network_hub:
        resolved = _with_peer_hubs(resolved, sites)
    resolved = resolved.model_copy(update={"decisions": decide(resolved, sites.fleet, sites.releases)})
    plan(resolved)  # a promise the fleet cannot keep fails here, before anything is written
    if refuse_ended:
        support.refuse_past_end(resolved, sites.support, clock.today(), _newest(catalog, entry.name))
    return resolved


def _parameters(request: BlueprintRequest, entry: CatalogEntry) -> dict:
    """Every declared parameter: the request's value, checked, or the default."""
    unknown = sorted(set(request.parameters) - set(entry.parameters))
    if unknown:
        known = ", ".join(entry.parameters) or "none"
        raise BadInput(f"parameters.{unknown[0]}: not a parameter of {entry.ref} (declared: {known})")
    return {
        name: param.check(name, request.parameters[name]) if name in request.parameters else param.default
        for name, param in entry.parameters.items()
    }


def _wanted_services(request: BlueprintRequest, entry: CatalogEntry, target: str) -> tuple[DataServiceRequest, ...]:
    """The data services asked for (or the blueprint's defaults), each offered by the entry on this target, once."""
    wanted = request.data_services
    if wanted is None:
        wanted = tuple(DataServiceRequest(**d) for d in entry.spec.default_data_services)
    for i, service in enumerate(wanted):
        if service.kind not in entry.spec.data_services:
            allowed = ", ".join(entry.spec.data_services) or "none"
            raise BadInput(f"data_services[{i}].kind: {entry.ref} offers {allowed}, not {service.kind}")
        if target == "vsphere" and service.kind not in ON_PREM_DATA_SERVICES:
            raise BadInput(f"data_services[{i}].kind: {service.kind} is offered on aws only")
    kinds = [s.kind for s in wanted]
    if len(set(kinds)) != len(kinds):
        raise BadInput("data_services: each kind may appear once")
    return wanted


def _newest(catalog: Catalog, name: str) -> str | None:
    """The version to suggest instead of one whose promises are past their support end."""
    current = [e for e in catalog.versions(name) if not e.deprecated]
    return current[-1].ref if current else None


def restamp(stack: ResolvedBlueprint, to: str, catalog: Catalog, sites: SitesMap,
            existing: Iterable[ResolvedBlueprint] = ()) -> ResolvedBlueprint:
    """The stack re-stamped at another version (`name@version`) of its blueprint, placement and network kept.

    The request keeps the parameter values the team chose (those the new version still declares);
    every other value follows the new version. BadInput when the version cannot keep the placement.
    """
    old, new = catalog.get(stack.blueprint_ref), catalog.get(to)
    if new.name != old.name:
        raise BadInput(f"--to: {stack.stack} is a {old.name} stack; {new.ref} is another blueprint")
    chosen = {name: value for name, value in stack.request.parameters.items() if name in new.parameters}
    request = stack.request.model_copy(update={"blueprint": new.ref, "parameters": chosen})
    others = [bp for bp in existing if bp.stack != stack.stack]
    return resolve(request, catalog, sites, [*others, stack])
