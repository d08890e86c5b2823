"""Turn a request into a resolved blueprint: catalog lookup, parameter checks, placement, IPAM."""

from __future__ import annotations

from typing import Iterable

from blueprints.catalog import Catalog, CatalogEntry
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest, DataServiceRequest, ParameterValue
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


def _parameters(entry: CatalogEntry, given: dict[str, ParameterValue]) -> dict[str, ParameterValue]:
    """Every parameter the entry declares: the given value, checked, else the default."""
    return {name: param.check(name, given[name]) if name in given else param.default
            for name, param in entry.parameters.items()}


def _data_services(entry: CatalogEntry, target: str, wanted: tuple[DataServiceRequest, ...]) -> tuple[ResolvedDataService, ...]:
    """The requested data services with the entry's size classes, or BadInput naming the one it does not offer."""
    for i, service in enumerate(wanted):
        if service.kind not in entry.spec.data_services:
            allowed = ", ".join(entry.spec.data_services) or "none"
            raise BadInput(f"data_services[{i}].kind: {entry.ref} offers {allowed}, not {service.kind}")
        if target == "vsphere" and service.kind not in ON_PREM_DATA_SERVICES:
            raise BadInput(f"data_services[{i}].kind: {service.kind} is offered on aws only")
    kinds = [s.kind for s in wanted]
    if len(set(kinds)) != len(kinds):
        raise BadInput("data_services: each kind may appear once")
    return tuple(
        ResolvedDataService(kind=s.kind, size=s.size, **entry.data_service_sizes[s.kind][s.size].model_dump())
        for s in wanted
    )


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
    parameters = _parameters(entry, request.parameters)

    wanted = request.data_services
    if wanted is None:
        wanted = tuple(DataServiceRequest(**d) for d in entry.spec.default_data_services)
    data_services = _data_services(entry, target, wanted)

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
        moves=entry.moves,
    )


def restamp(stack: ResolvedBlueprint, old: CatalogEntry, new: CatalogEntry) -> ResolvedBlueprint:
    """The stack at another version of its blueprint, with its placement and network kept as they are.

    BadInput when the version cannot keep them: another blueprint, a target it does not support, a
    different network size or number of placements, or a data service it no longer offers.
    """
    if new.name != old.name:
        raise BadInput(f"--to: {stack.stack} is a {old.name} stack; {new.ref} is another blueprint")
    target = stack.primary.target
    if target not in new.targets:
        raise BadInput(f"--to: {new.ref} supports {', '.join(new.targets)}, not {target}")
    if new.spec.network_prefix.get(target) != old.spec.network_prefix.get(target):
        raise BadInput(f"--to: {new.ref} needs another network size on {target}; a network is never moved silently, "
                       f"re-stamp with `bp new ... --force`")
    # The request keeps only the values the team chose; the rest follow the new version's defaults.
    chosen = {name: value for name, value in stack.request.parameters.items() if name in new.parameters}
    parameters = _parameters(new, chosen)
    if bool(parameters.get("ha")) != (len(stack.placements) > 1):
        raise BadInput(f"--to: {new.ref} needs a different number of placements; re-stamp with `bp new ... --force`")
    request = stack.request.model_copy(update={"blueprint": new.ref, "parameters": chosen})
    return stack.model_copy(update={
        "request": request, "spec": new.spec, "size": new.sizes[request.size], "parameters": parameters,
        "data_services": _data_services(new, target, request.data_services or ()), "moves": new.moves,
    })
