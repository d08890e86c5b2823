"""What "valid" means for stamped stacks: one list of invariants, one finding type, one entry point.

`bp validate` and `bp fleet check` both call `check`: validate with a scope (the stacks it names, or all of them)
and the program run passed in; fleet check over the whole fleet without it. So both report the same findings for
the same fleet, apart from what only running a program can find.

Add an invariant by writing `def name(fleet, scope) -> Iterable[FleetFinding]` and appending it to INVARIANTS.
Every invariant is O(n log n) or better in the number of stacks, so the check holds at thousands of stacks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Callable, Iterable

from blueprints import clock
from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.placement.capacity import pool_use
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from blueprints.support import Deadline, Use, by_version, past_end
from fleet.exposure import advisories, stale_decisions
from fleet.stamped import FleetFinding, ProgramRun, Scope, StampedFleet, with_runs
from fleet.sweep import network_overlaps, shared_vlans
from store import ledger

# Re-stamping is the fix for a stack file whose decisions the catalog or the sites map no longer back.
RESTAMP = "re-stamp with `bp new --force`"

# Request fields that say who owns a stack and who pays; a stack file lacking one has no accountable owner.
OWNERSHIP_FIELDS = (".request.owner:", ".request.cost_center:", ".request.team:")


Invariant = Callable[[StampedFleet, Scope], Iterable[FleetFinding]]


def _finding(bp: ResolvedBlueprint, message: str, error: bool = True, rule: str = "stack") -> FleetFinding:
    return FleetFinding(rule, (bp.stack,), message, error)


# -- one stack on its own ----------------------------------------------------------------------------------------


def check_stack(bp: ResolvedBlueprint, catalog: Catalog, sites: SitesMap, today: date | None = None) -> list[FleetFinding]:
    """A stack on its own: its catalog entry, its pools, and its products' support on `today` (default: the clock's)."""
    try:
        entry = catalog.get(bp.blueprint_ref)
    except BadInput as exc:
        return [_finding(bp, str(exc))]
    found = []
    if entry.deprecated:
        found.append(_finding(bp, f"{entry.ref} is deprecated: {entry.deprecated}", error=False))
    if bp.spec != entry.spec:
        found.append(_finding(bp, f"spec differs from the catalog's {entry.ref}; re-stamp with `bp new --force`"))
    if bp.request.target not in entry.targets:
        found.append(_finding(bp, f"target {bp.request.target} is not one of {entry.ref}'s"))
    for placement in bp.placements:
        found += _check_placement(bp, placement, sites)
    found += [_finding(bp, f"{line}; upgrade it") for line in past_end(bp, sites.support, today or clock.today())]
    return found + check_cluster_networks(bp, sites)


def _check_placement(bp: ResolvedBlueprint, placement, sites: SitesMap) -> list[FleetFinding]:
    """One placement against the pool it names: still there, same site and tier, certified, its network inside."""
    try:
        _, dc, pool = sites.find_pool(placement.pool)
    except BadInput as exc:
        return [_finding(bp, str(exc))]
    found = []
    if dc.name != placement.data_center or dc.target != placement.target or pool.tier != placement.tier:
        found.append(_finding(bp, f"pool {pool.name} no longer matches its placement (site, target or tier changed)"))
    if bp.request.compliance_zone not in pool.compliance_zones:
        found.append(_finding(bp, f"pool {pool.name} is not certified for zone {bp.request.compliance_zone}"))
    net = placement.network
    if net and not any(net.cidr.subnet_of(s) for s in pool.supernets):
        found.append(_finding(bp, f"network {net.cidr} is outside pool {pool.name}'s supernets"))
    if net and net.vlan is not None and pool.vlans and not pool.vlans.first <= net.vlan <= pool.vlans.last:
        found.append(_finding(bp, f"VLAN {net.vlan} is outside pool {pool.name}'s range"))
    recorded = placement.vsphere.hosts if placement.vsphere else None
    if recorded and pool.vsphere and len(pool.vsphere.hosts) < recorded:
        found.append(_finding(bp, f"pool {pool.name} has {len(pool.vsphere.hosts)} hosts, the stack's anti-affinity "
                                  f"rules were sized for {recorded}; {RESTAMP}", error=False))
    return found


def check_cluster_networks(bp: ResolvedBlueprint, sites: SitesMap) -> list[FleetFinding]:
    """The cluster-internal networks a stack file carries must stay outside every network of the fleet."""
    nets = bp.decisions.cluster_networks
    return [] if nets is None else [
        _finding(bp, f"cluster network {label} {net} overlaps {what} {other}; {RESTAMP}")
        for label, net in (("pods", nets.pods), ("services", nets.services))
        for what, other in sites.fleet_networks_overlapping(net)
    ]


def _shape(size) -> str:
    return f"{size.vcpu} vCPU / {size.memory_gib} GiB"


def check_decisions(bp: ResolvedBlueprint, catalog: Catalog) -> list[FleetFinding]:
    """The stack's size class, data services and networks against what its catalog entry gives its request.

    A file edited by hand passes the schema and may agree with a rewritten ledger; it cannot agree with what the
    catalog gives its request. (Where the ledger recorded another allocation: `ledger_matches`.)
    """
    try:
        entry = catalog.get(bp.blueprint_ref)
    except BadInput:
        return []  # an unknown version: check_stack says so
    found = []
    wanted = entry.sizes.get(bp.request.size)
    if wanted is not None and bp.size != wanted:
        held = next((name for name, size in entry.sizes.items() if size == bp.size), "no size class")
        found.append(_finding(bp, f"size: the request asks for {bp.request.size} ({_shape(wanted)}), the file "
                                  f"holds {held} ({_shape(bp.size)}) of {entry.ref}; {RESTAMP}"))
    asked = [(d.kind, d.size) for d in bp.request.data_services or ()]
    if bp.request.data_services is not None and asked != [(d.kind, d.size) for d in bp.data_services]:
        found.append(_finding(bp, f"data_services: the request asks for {asked or 'none'}, the file holds "
                                  f"{[(d.kind, d.size) for d in bp.data_services] or 'none'}; {RESTAMP}"))
    for ds in bp.data_services:
        terms = entry.data_service_sizes.get(ds.kind, {}).get(ds.size)
        if terms is not None and (ds.vcpu, ds.memory_gib, ds.storage_gib) != (terms.vcpu, terms.memory_gib, terms.storage_gib):
            found.append(_finding(bp, f"data_services {ds.kind}: size {ds.size} of {entry.ref} is {_shape(terms)}, "
                                      f"{terms.storage_gib} GiB storage; the file holds {_shape(ds)}, "
                                      f"{ds.storage_gib} GiB storage; {RESTAMP}"))
    return found + _network_sizes(bp, entry.spec.network_prefix.get(bp.request.target), entry.ref)


def _network_sizes(bp: ResolvedBlueprint, prefix: int | None, ref: str) -> list[FleetFinding]:
    found = []
    for placement in bp.placements:
        net = placement.network
        held = f"/{net.cidr.prefixlen} ({net.cidr})" if net else "no network"
        wants = f"a /{prefix}" if prefix else "no network"
        if (net.cidr.prefixlen if net else None) != prefix:
            found.append(_finding(bp, f"network in pool {placement.pool}: {ref} allocates {wants} on "
                                      f"{bp.request.target}, the file holds {held}; a network changes only with "
                                      "`bp new --force --move-network`"))
    return found


def check_pin(bp: ResolvedBlueprint, pin) -> list[FleetFinding]:
    """A pin holds the version its stack is on; one naming another version contradicts the file."""
    if pin is None or pin.version == bp.blueprint_ref:
        return []
    return [_finding(bp, f"pinned at {pin.version} but on {bp.blueprint_ref}: move it back, or remove the pin with "
                         "`bp unpin`")]


def check_fleet(stacks: list[ResolvedBlueprint]) -> list[FleetFinding]:
    """Stacks against each other: no overlapping networks, no VLAN used twice on a switch; one finding per stack involved."""
    return [replace(f, stacks=(stack,)) for f in network_overlaps(stacks) + shared_vlans(stacks) for stack in f.stacks]


# -- the invariants ----------------------------------------------------------------------------------------------


def unreadable_stacks(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
    """A stack file that does not parse cannot be checked or deployed; one without an owner is named as such."""
    return [FleetFinding("missing-owner" if any(f in str(exc) for f in OWNERSHIP_FIELDS) else "unreadable",
                         (name,), str(exc))
            for name, exc in fleet.unreadable]


def stack_checks(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
    """Each stack against the catalog and the sites map (unknown or deprecated versions, pools that changed).

    A retired stack's warnings (a deprecated version) are moot: it is on its way out. Its errors still count,
    since its program must still run to destroy it.
    """
    return [f for bp in scope.stacks for f in check_stack(bp, fleet.catalog, fleet.sites, fleet.today)
            if f.error or not bp.retired]


def hand_edits(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
    """Each stack holds what `bp new` decides for its request (sizes, network size), and its pin names its version."""
    return [replace(f, rule="hand-edited")
            for bp in scope.stacks for f in check_decisions(bp, fleet.catalog) + check_pin(bp, fleet.pins.get(bp.stack))]


def ledger_matches(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
    """The committed allocation ledger agrees with the stack files (judged only when every file reads)."""
    if fleet.repo is None or fleet.unreadable:
        return []
    from store.stack_files import stacks_dir

    return [FleetFinding("ledger", (stack,), problem) for stack, problem in ledger.check(stacks_dir(fleet.repo), fleet.stacks)]


def interrupted_changes(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
    """No change was killed half way through swapping files in (its kept old texts are still beside them)."""
    if fleet.repo is None:
        return []
    from store.file_swap import interrupted
    from store.stack_files import stacks_dir

    return [FleetFinding("interrupted-change", (), f"{kept.name}: a change was killed while swapping files in; this "
                         f"is the old text of {kept.name[1:].rsplit('.', 2)[0]}: compare with git, keep the right "
                         "one and remove it") for kept in interrupted(stacks_dir(fleet.repo))]


def networks(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
    """No network overlaps another anywhere in the fleet, nor a cluster-internal network of the sites map."""
    return network_overlaps(fleet.stacks, fleet.sites)


def vlans(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
    """No VLAN id is used twice on one distributed switch."""
    return shared_vlans(fleet.stacks)


def pool_capacity(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
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


def expired_pins(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
    """A pin holds until its expiry; after it the stack must move, or an approver renew the pin."""
    found = []
    for bp in scope.stacks:
        pin = fleet.pins.get(bp.stack)
        if pin is not None and not bp.retired and not pin.holds(fleet.today):
            found.append(FleetFinding("pin-expired", (bp.stack,),
                                      f"{bp.stack}: pin on {pin.version} expired on {pin.expires} (approver "
                                      f"{pin.approver}, reason: {pin.reason}); upgrade it or renew the pin with `bp pin`"))
    return found


def past_sunset(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
    """No stack in service runs a blueprint version past its sunset date (unknown versions: see stack_checks)."""
    entries = {e.ref: e for e in fleet.catalog.entries}
    found = []
    for bp in scope.stacks:
        entry = entries.get(bp.blueprint_ref) if not bp.retired else None
        if entry is not None and entry.sunset is not None and fleet.today > entry.sunset:
            found.append(FleetFinding("version-sunset", (bp.stack,),
                                      f"{bp.stack}: {entry.ref} passed its sunset on {entry.sunset}; run "
                                      f"`bp upgrade {bp.stack} --to {entry.name}@{entry.successor}`"))
    return found


def support_ends(fleet: StampedFleet, scope: Scope) -> Iterable[FleetFinding]:
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


INVARIANTS: list[Invariant] = [unreadable_stacks, stack_checks, hand_edits, ledger_matches, interrupted_changes,
                               networks, vlans, pool_capacity, expired_pins, past_sunset, support_ends]
INVARIANTS += [stale_decisions, advisories]  # releases and decisions (fleet/exposure.py)


def check(fleet: StampedFleet, scope: Scope | None = None, run: ProgramRun | None = None,
          invariants: Iterable[Invariant] = INVARIANTS) -> list[FleetFinding]:
    """Every finding of every invariant within `scope` (default: the whole fleet): errors first, then by rule and stacks.

    `run`, when given, runs the programs of the scoped stacks that passed their own checks and returns what it found.
    """
    scope = scope or Scope(fleet.stacks)
    found = [f for invariant in invariants for f in invariant(fleet, scope) if scope.holds(f)]
    return with_runs(found, [bp.stack for bp in scope.stacks], run)
