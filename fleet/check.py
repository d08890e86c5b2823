"""`bp fleet check`: fleet-wide invariants, each a small function from the fleet to its findings.

Add an invariant by writing `def name(fleet) -> Iterable[FleetFinding]` and appending it to INVARIANTS.
Every invariant is O(n log n) or better in the number of stacks, so the check holds at thousands of stacks.
"""

from __future__ import annotations

from typing import Callable, Iterable

from blueprints.placement.capacity import pool_use
from blueprints.support import Deadline, Use, by_version
from fleet.checks import check_decisions, check_pin, check_stack
from fleet.exposure import advisories, stale_decisions
from fleet.stamped import FleetFinding, StampedFleet
from fleet.sweep import network_overlaps, shared_vlans

Invariant = Callable[[StampedFleet], Iterable[FleetFinding]]


# Request fields that say who owns a stack and who pays; a stack file lacking one has no accountable owner.
OWNERSHIP_FIELDS = (".request.owner:", ".request.cost_center:", ".request.team:")


def unreadable_stacks(fleet: StampedFleet) -> Iterable[FleetFinding]:
    """A stack file that does not parse cannot be checked or deployed; one without an owner is named as such."""
    return [FleetFinding("missing-owner" if any(f in str(exc) for f in OWNERSHIP_FIELDS) else "unreadable",
                         (name,), str(exc))
            for name, exc in fleet.unreadable]


def stack_checks(fleet: StampedFleet) -> Iterable[FleetFinding]:
    """Each stack against the catalog and the sites map (unknown or deprecated versions, pools that changed).

    A retired stack's warnings (a deprecated version) are moot: it is on its way out. Its errors still count,
    since its program must still run to destroy it.
    """
    return [FleetFinding("stack", (f.stack,), f.message, f.error)
            for bp in fleet.stacks for f in check_stack(bp, fleet.catalog, fleet.sites, fleet.today)
            if f.error or not bp.retired]


def hand_edits(fleet: StampedFleet) -> Iterable[FleetFinding]:
    """Each stack holds what `bp new` decides for its request (sizes, network size), and its pin names its version."""
    return [FleetFinding("hand-edited", (f.stack,), f.message, f.error)
            for bp in fleet.stacks for f in check_decisions(bp, fleet.catalog) + check_pin(bp, fleet.pins.get(bp.stack))]


def networks(fleet: StampedFleet) -> Iterable[FleetFinding]:
    """No network overlaps another anywhere in the fleet, nor a cluster-internal network of the sites map."""
    return network_overlaps(fleet.stacks, fleet.sites)


def vlans(fleet: StampedFleet) -> Iterable[FleetFinding]:
    """No VLAN id is used twice on one distributed switch."""
    return shared_vlans(fleet.stacks)


def pool_capacity(fleet: StampedFleet) -> Iterable[FleetFinding]:
    """No pool has more committed than its capacity."""
    use = pool_use((pool for _, _, pool in fleet.sites.pools()), fleet.stacks)
    by_pool: dict[str, set[str]] = {}
    for bp in fleet.stacks:
        for p in bp.placements:
            by_pool.setdefault(p.pool, set()).add(bp.stack)
    found = []
    for name, u in use.items():
        if u.free_vcpu < 0 or u.free_memory_gib < 0:
            stacks = tuple(sorted(by_pool[name]))
            found.append(FleetFinding(
                "pool-overcommitted", stacks,
                f"pool {name} is over-committed: {u.used_vcpu}/{u.vcpu} vCPU, "
                f"{u.used_memory_gib}/{u.memory_gib} GiB memory, by {len(stacks)} stacks"))
    return found


def expired_pins(fleet: StampedFleet) -> Iterable[FleetFinding]:
    """A pin holds until its expiry; after it the stack must move, or an approver renew the pin."""
    found = []
    for bp in fleet.stacks:
        pin = fleet.pins.get(bp.stack)
        if pin is not None and not bp.retired and not pin.holds(fleet.today):
            found.append(FleetFinding("pin-expired", (bp.stack,),
                                      f"{bp.stack}: pin on {pin.version} expired on {pin.expires} (approver "
                                      f"{pin.approver}, reason: {pin.reason}); upgrade it or renew the pin with `bp pin`"))
    return found


def past_sunset(fleet: StampedFleet) -> Iterable[FleetFinding]:
    """No stack in service runs a blueprint version past its sunset date (unknown versions: see stack_checks)."""
    entries = {e.ref: e for e in fleet.catalog.entries}
    found = []
    for bp in fleet.stacks:
        entry = entries.get(bp.blueprint_ref) if not bp.retired else None
        if entry is not None and entry.sunset is not None and fleet.today > entry.sunset:
            found.append(FleetFinding("version-sunset", (bp.stack,),
                                      f"{bp.stack}: {entry.ref} passed its sunset on {entry.sunset}; run "
                                      f"`bp upgrade {bp.stack} --to {entry.name}@{entry.successor}`"))
    return found


def support_ends(fleet: StampedFleet) -> Iterable[FleetFinding]:
    """A product version in use whose support ends within the warning window: one warning per version, with its stacks.

    A stack past an end is an error of `stack_checks` already; the operator release past its end is one here, since
    every stack's `pulumi up` runs on it. Retired stacks are on their way out and are not warned about.
    """
    support = fleet.sites.support
    if support is None:
        return []
    window = fleet.warn_days if fleet.warn_days is not None else support.warn_days
    release = fleet.sites.operator.release if fleet.sites.operator else None
    found = []
    for d, stacks in by_version([bp for bp in fleet.stacks if not bp.retired], support, release):
        ended = fleet.today > d.end
        if (d.end - fleet.today).days > window or (ended and d.use.product != "pulumi-kubernetes-operator"):
            continue
        named = Deadline(Use(d.use.product, d.use.version, f"{len(stacks)} stacks"), d.window)
        found.append(FleetFinding("support-ended" if ended else "support-ending", tuple(sorted(stacks)),
                                  f"{named.describe(fleet.today)}; move them before it", error=ended))
    return found


INVARIANTS: list[Invariant] = [unreadable_stacks, stack_checks, hand_edits, networks, vlans, pool_capacity, expired_pins,
                               past_sunset, support_ends]
INVARIANTS += [stale_decisions, advisories]  # releases and decisions (fleet/exposure.py)


def check(fleet: StampedFleet, invariants: Iterable[Invariant] = INVARIANTS) -> list[FleetFinding]:
    """Every finding of every invariant: errors first, then by rule and stacks."""
    found = [f for invariant in invariants for f in invariant(fleet)]
    return sorted(found, key=lambda f: (not f.error, f.rule, f.stacks, f.message))
