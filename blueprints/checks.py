"""Checks of stamped stacks against the catalog, the sites map and each other."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from blueprints import ledger
from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.placement import switch_of
from blueprints.resolved import Placement, ResolvedBlueprint
from blueprints.sites import SitesMap


@dataclass(frozen=True)
class Finding:
    """Something wrong with a stack; `error` findings fail validation, warnings do not."""

    stack: str
    message: str
    error: bool = True


def check_stack(bp: ResolvedBlueprint, catalog: Catalog, sites: SitesMap) -> list[Finding]:
    """A stack on its own: its catalog entry and its pools."""
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
    return found


def _both(a: str, b: str, message_a: str, message_b: str) -> list[Finding]:
    """A collision is a finding of each stack involved, each naming the other."""
    return [Finding(a, message_a), Finding(b, message_b)]


def _overlaps(placed: list[tuple[str, Placement]]) -> list[Finding]:
    # Sorted by start address, a network can only overlap the ones after it that start inside it.
    nets = sorted(placed, key=lambda sp: (int(sp[1].network.cidr.network_address), sp[1].network.cidr.prefixlen))
    found = []
    for i, (a, pa) in enumerate(nets):
        end = int(pa.network.cidr.broadcast_address)
        for b, pb in nets[i + 1:]:
            if int(pb.network.cidr.network_address) > end:
                break
            if a != b:
                found += _both(a, b, f"network {pa.network.cidr} (pool {pa.pool}) overlaps {b}'s {pb.network.cidr} (pool {pb.pool})",
                               f"network {pb.network.cidr} (pool {pb.pool}) overlaps {a}'s {pa.network.cidr} (pool {pa.pool})")
    return found


def _shared_vlans(placed: list[tuple[str, Placement]]) -> list[Finding]:
    by_switch: dict[tuple[str, int], list[tuple[str, Placement]]] = defaultdict(list)
    for stack, p in placed:
        if p.network.vlan is not None and switch_of(p):
            by_switch[(switch_of(p), p.network.vlan)].append((stack, p))
    found = []
    for (switch, vlan), users in sorted(by_switch.items()):
        for (a, pa), (b, pb) in combinations(users, 2):
            if a != b:
                found += _both(a, b, f"VLAN {vlan} on switch {switch} is also used by {b} (pool {pb.pool})",
                               f"VLAN {vlan} on switch {switch} is also used by {a} (pool {pa.pool})")
    return found


def check_fleet(stacks: list[ResolvedBlueprint]) -> list[Finding]:
    """Stacks against each other: no overlapping networks, no VLAN used twice on a distributed switch.

    Each collision is reported for both stacks, so checking either one finds it.
    """
    placed = [(bp.stack, p) for bp in stacks for p in bp.placements if p.network]
    return _overlaps(placed) + _shared_vlans(placed)


def check_ledger(stacks_folder: Path, stacks: list[ResolvedBlueprint]) -> list[Finding]:
    """The committed allocation ledger against the stack files."""
    return [Finding(stack, problem) for stack, problem in ledger.check(stacks_folder, stacks)]
