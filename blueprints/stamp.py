"""Turn a request into a resolved blueprint: catalog lookup, parameter checks, placement, IPAM."""

from __future__ import annotations

from typing import Iterable

from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest, DataServiceRequest
from blueprints.placement import place
from blueprints.resolved import ResolvedBlueprint, ResolvedDataService
from blueprints.sites import SitesMap

# On-prem data services run as operators; object storage there is the platform's own store, not a team's.
ON_PREM_DATA_SERVICES = {"postgres", "redis", "kafka"}


def _target(request: BlueprintRequest, targets: tuple[str, ...], sites: SitesMap) -> str:
    if request.target:
        return request.target
    if request.site:
        for _, dc in sites.data_centers():
            if dc.name == request.site:
                return dc.target
    return targets[0]


def resolve(
    request: BlueprintRequest,
    catalog: Catalog,
    sites: SitesMap,
    existing: Iterable[ResolvedBlueprint] = (),
    trace: list | None = None,
) -> ResolvedBlueprint:
    """Everything `bp new` decides, or BadInput naming the field at fault; `trace` collects pool verdicts."""
    entry = catalog.get(request.blueprint)
    if not request.region and not request.site:
        raise BadInput("region or site: one is required (e.g. --region amer or --site ny1)")

    target = _target(request, entry.targets, sites)
    if target not in entry.targets:
        raise BadInput(f"target: {entry.ref} supports {', '.join(entry.targets)}, not {target}")

    unknown = sorted(set(request.parameters) - set(entry.parameters))
    if unknown:
        known = ", ".join(entry.parameters) or "none"
        raise BadInput(f"parameters.{unknown[0]}: not a parameter of {entry.ref} (declared: {known})")
    parameters = {
        name: param.check(name, request.parameters[name]) if name in request.parameters else param.default
        for name, param in entry.parameters.items()
    }

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
    data_services = tuple(
        ResolvedDataService(kind=s.kind, size=s.size, **entry.data_service_sizes[s.kind][s.size].model_dump())
        for s in wanted
    )

    pinned = request.model_copy(update={"blueprint": entry.ref, "target": target, "data_services": wanted})
    placements = place(pinned, entry, sites, existing, placements_wanted=2 if parameters.get("ha") else 1,
                       trace=trace)
    return ResolvedBlueprint(
        request=pinned,
        spec=entry.spec,
        size=entry.sizes[request.size],
        parameters=parameters,
        data_services=data_services,
        placements=placements,
        platform=sites.platform,
    )
