"""Checks of stamped stacks against the catalog, the sites map and each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from blueprints import clock
from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from blueprints.support import past_end
from fleet.sweep import network_overlaps, shared_vlans
from store import ledger


@dataclass(frozen=True)
class Finding:
    """Something wrong with a stack; `error` findings fail validation, warnings do not."""

    stack: str
    message: str
    error: bool = True


def check_stack(bp: ResolvedBlueprint, catalog: Catalog, sites: SitesMap, today: date | None = None) -> list[Finding]:
    """A stack on its own: its catalog entry, its pools, and its products' support on `today` (default: the clock's)."""
    found = []
    try:
        entry = catalog.get(bp.blueprint_ref)
    except BadInput as exc:
        return [Finding(bp.stack, str(exc))]
    if entry.deprecated:
        found.append(Finding(bp.stack, f"{entry.ref} is deprecated: {entry.deprecated}", error=False))
    if bp.spec != entry.spec:
        found.append(Finding(bp.stack, f"spec differs from the catalog's {entry.ref}; re-stamp with `bp new --force`"))
    if bp.request.target not in entry.targets:
        found.append(Finding(bp.stack, f"target {bp.request.target} is not one of {entry.ref}'s"))
    for placement in bp.placements:
        try:
            _, dc, pool = sites.find_pool(placement.pool)
        except BadInput as exc:
            found.append(Finding(bp.stack, str(exc)))
            continue
        if dc.name != placement.data_center or dc.target != placement.target or pool.tier != placement.tier:
            found.append(Finding(bp.stack, f"pool {pool.name} no longer matches its placement (site, target or tier changed)"))
        if bp.request.compliance_zone not in pool.compliance_zones:
            found.append(Finding(bp.stack, f"pool {pool.name} is not certified for zone {bp.request.compliance_zone}"))
        net = placement.network
        if net and not any(net.cidr.subnet_of(s) for s in pool.supernets):
            found.append(Finding(bp.stack, f"network {net.cidr} is outside pool {pool.name}'s supernets"))
        if net and net.vlan is not None and pool.vlans and not pool.vlans.first <= net.vlan <= pool.vlans.last:
            found.append(Finding(bp.stack, f"VLAN {net.vlan} is outside pool {pool.name}'s range"))
        recorded = placement.vsphere.hosts if placement.vsphere else None
        if recorded and pool.vsphere and len(pool.vsphere.hosts) < recorded:
            found.append(Finding(bp.stack, f"pool {pool.name} has {len(pool.vsphere.hosts)} hosts, the stack's anti-affinity "
                                 f"rules were sized for {recorded}; re-stamp with `bp new --force`", error=False))
    found += [Finding(bp.stack, f"{line}; upgrade it") for line in past_end(bp, sites.support, today or clock.today())]
    return found + check_cluster_networks(bp, sites)


def check_cluster_networks(bp: ResolvedBlueprint, sites: SitesMap) -> list[Finding]:
    """The cluster-internal networks a stack file carries must stay outside every network of the fleet."""
    nets = bp.decisions.cluster_networks
    return [] if nets is None else [
        Finding(bp.stack, f"cluster network {label} {net} overlaps {what} {other}; re-stamp with `bp new --force`")
        for label, net in (("pods", nets.pods), ("services", nets.services))
        for what, other in sites.fleet_networks_overlapping(net)
    ]


def check_fleet(stacks: list[ResolvedBlueprint]) -> list[Finding]:
    """Stacks against each other: no overlapping networks, no VLAN used twice on a switch; one finding per stack involved."""
    return [Finding(stack, f.message) for f in network_overlaps(stacks) + shared_vlans(stacks) for stack in f.stacks]


def check_ledger(stacks_folder: Path, stacks: list[ResolvedBlueprint]) -> list[Finding]:
    """The committed allocation ledger against the stack files."""
    return [Finding(stack, problem) for stack, problem in ledger.check(stacks_folder, stacks)]


def check_hand_edits(repo: Path, stacks: list[ResolvedBlueprint], catalog: Catalog) -> list[Finding]:
    """What `bp new` decided, recomputed for each stack: its sizes, its network's size, its pin's version.

    A file edited by hand passes the schema and may agree with a rewritten ledger; it cannot agree with what the
    catalog gives its request. (Where the ledger recorded another allocation: `check_ledger`.)
    """
    from store.pins import read_pin
    from store.stack_files import stack_path

    found = []
    for bp in stacks:
        found += check_decisions(bp, catalog)
        path = stack_path(repo, bp.stack)
        try:
            found += check_pin(bp, read_pin(path) if path.is_file() else None)
        except BadInput as exc:
            found.append(Finding(bp.stack, str(exc)))
    return found


def _shape(size) -> str:
    return f"{size.vcpu} vCPU / {size.memory_gib} GiB"


def check_decisions(bp: ResolvedBlueprint, catalog: Catalog) -> list[Finding]:
    """The stack's size class, data services and networks against what its catalog entry gives its request."""
    try:
        entry = catalog.get(bp.blueprint_ref)
    except BadInput:
        return []  # an unknown version: check_stack says so
    fix = "re-stamp with `bp new --force`"
    found = []
    wanted = entry.sizes.get(bp.request.size)
    if wanted is not None and bp.size != wanted:
        held = next((name for name, size in entry.sizes.items() if size == bp.size), "no size class")
        found.append(Finding(bp.stack, f"size: the request asks for {bp.request.size} ({_shape(wanted)}), the file "
                                       f"holds {held} ({_shape(bp.size)}) of {entry.ref}; {fix}"))
    asked = [(d.kind, d.size) for d in bp.request.data_services or ()]
    if bp.request.data_services is not None and asked != [(d.kind, d.size) for d in bp.data_services]:
        found.append(Finding(bp.stack, f"data_services: the request asks for {asked or 'none'}, the file holds "
                                       f"{[(d.kind, d.size) for d in bp.data_services] or 'none'}; {fix}"))
    for ds in bp.data_services:
        terms = entry.data_service_sizes.get(ds.kind, {}).get(ds.size)
        if terms is not None and (ds.vcpu, ds.memory_gib, ds.storage_gib) != (terms.vcpu, terms.memory_gib, terms.storage_gib):
            found.append(Finding(bp.stack, f"data_services {ds.kind}: size {ds.size} of {entry.ref} is {_shape(terms)}, "
                                           f"{terms.storage_gib} GiB storage; the file holds {_shape(ds)}, "
                                           f"{ds.storage_gib} GiB storage; {fix}"))
    return found + _network_sizes(bp, entry.spec.network_prefix.get(bp.request.target), entry.ref)


def _network_sizes(bp: ResolvedBlueprint, prefix: int | None, ref: str) -> list[Finding]:
    found = []
    for placement in bp.placements:
        net = placement.network
        held = f"/{net.cidr.prefixlen} ({net.cidr})" if net else "no network"
        wants = f"a /{prefix}" if prefix else "no network"
        if (net.cidr.prefixlen if net else None) != prefix:
            found.append(Finding(bp.stack, f"network in pool {placement.pool}: {ref} allocates {wants} on "
                                           f"{bp.request.target}, the file holds {held}; a network changes only with "
                                           "`bp new --force --move-network`"))
    return found


def check_pin(bp: ResolvedBlueprint, pin) -> list[Finding]:
    """A pin holds the version its stack is on; one naming another version contradicts the file."""
    if pin is None or pin.version == bp.blueprint_ref:
        return []
    return [Finding(bp.stack, f"pinned at {pin.version} but on {bp.blueprint_ref}: move it back, or remove the pin with "
                              "`bp unpin`")]
