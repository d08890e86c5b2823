"""Fleet-wide collisions in O(n log n): sort once, then compare neighbours instead of every pair.

Networks are intervals of addresses: sorted by first address, an interval overlaps an earlier one exactly
when it starts before the furthest end seen so far. VLANs collide when two placements on one distributed
switch (of one vCenter) hold the same id: sorted by (switch, VLAN), collisions are adjacent.
"""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Iterable, Iterator

from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from fleet.stamped import FleetFinding


def _cluster_networks(sites: SitesMap) -> list[tuple[IPv4Network, str]]:
    """Cluster-internal networks the sites map declares (pods, services, shared clusters), labelled for findings."""
    inner = sites.fleet.cluster_networks
    found = [(inner.pods, "cluster pod network (sites map fleet.cluster_networks.pods)"),
             (inner.services, "cluster service network (sites map fleet.cluster_networks.services)")]
    return found + [(pool.shared_cluster.cidr, f"cluster {pool.shared_cluster.name} (sites map, pool {pool.name})")
                    for _, _, pool in sites.pools() if pool.shared_cluster and pool.shared_cluster.cidr]


Span = tuple[IPv4Network, str, "str | None"]  # network, label for messages, stack (None: declared by the sites map)


def _sweep(spans: list[Span]) -> Iterator[tuple[Span, Span]]:
    """Each span that overlaps an earlier one, paired with the earlier span reaching furthest."""
    spans = sorted(spans, key=lambda s: (int(s[0].network_address), -int(s[0].broadcast_address)))
    reach: Span | None = None
    for span in spans:
        if reach is not None and int(span[0].network_address) <= int(reach[0].broadcast_address):
            yield span, reach
            if int(span[0].broadcast_address) <= int(reach[0].broadcast_address):
                continue
        reach = span


def network_overlaps(stacks: Iterable[ResolvedBlueprint], sites: SitesMap | None = None) -> list[FleetFinding]:
    """Stack networks that overlap each other, or (given the sites map) a cluster-internal network it declares."""
    spans: list[Span] = [(p.network.cidr, f"{bp.stack}'s {p.network.cidr}", bp.stack)
                         for bp in stacks for p in bp.placements if p.network]
    found = [FleetFinding("network-overlap", tuple(sorted({a[2], b[2]})), f"{a[1]} overlaps {b[1]}")
             for a, b in _sweep(spans)]
    if sites is not None:
        declared: list[Span] = [(net, f"{label} {net}", None) for net, label in _cluster_networks(sites)]
        found += [FleetFinding("cluster-network-overlap", (a[2] or b[2],), f"{a[1]} overlaps {b[1]}")
                  for a, b in _sweep(spans + declared) if (a[2] is None) != (b[2] is None)]
    return found


def shared_vlans(stacks: Iterable[ResolvedBlueprint]) -> list[FleetFinding]:
    """Two placements on one distributed switch with the same VLAN id."""
    keyed = sorted(
        ((p.vsphere.vcenter, p.vsphere.distributed_switch, p.network.vlan), bp.stack)
        for bp in stacks for p in bp.placements
        if p.vsphere and p.network and p.network.vlan is not None
    )
    found = []
    for (key, a), (key_b, b) in zip(keyed, keyed[1:]):
        if key == key_b:
            vcenter, switch, vlan = key
            found.append(FleetFinding("shared-vlan", tuple(sorted({a, b})),
                                      f"VLAN {vlan} on switch {switch} ({vcenter}) is used by both {a} and {b}"))
    return found
