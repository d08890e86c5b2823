"""vSphere components: team placement (folder, resource pool, tags), network segments and VM pools."""

from components.vsphere.network import NetworkSegment, NetworkSegmentArgs
from components.vsphere.placement import TeamPlacement, TeamPlacementArgs
from components.vsphere.vm_pool import VmPool, VmPoolArgs, VmSite

__all__ = [
    "NetworkSegment",
    "NetworkSegmentArgs",
    "TeamPlacement",
    "TeamPlacementArgs",
    "VmPool",
    "VmPoolArgs",
    "VmSite",
]
