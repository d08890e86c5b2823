"""NetworkSegment: a team's VLAN as a distributed port group on the site's distributed switch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_vsphere as vsphere

from components.vsphere.tagging import notes
from components.ownership import require_ownership


@dataclass(frozen=True)
class NetworkSegmentArgs:
    """A distributed port group carrying one allocated VLAN."""

    datacenter: str                 # vSphere data center name
    distributed_switch: str         # the site's distributed virtual switch name
    vlan_id: int                    # allocated VLAN, 1..4094
    tags: Mapping[str, str]         # ownership tags (written into the port group description)
    tag_ids: pulumi.Input[Sequence[str]] = field(default_factory=list)  # vSphere tag ids to attach (TeamPlacement.tag_ids); default none

    def __post_init__(self) -> None:
        require_ownership(self.tags, "NetworkSegmentArgs")
        if not 1 <= self.vlan_id <= 4094:
            raise ValueError(f"vlan_id {self.vlan_id} is outside 1..4094")


class NetworkSegment(pulumi.ComponentResource):
    """A distributed port group with the team's VLAN and a locked-down security policy.

    Promiscuous mode, forged transmits and MAC changes are rejected and per-port overrides of the
    security policy and the VLAN are not allowed, so a VM cannot sniff or spoof its way off its segment.
    """

    port_group_id: pulumi.Output[str]
    port_group_name: pulumi.Output[str]
    vlan_id: pulumi.Output[int]

    def __init__(self, name: str, args: NetworkSegmentArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:vsphere:NetworkSegment", name, None, opts)
        lookup = pulumi.InvokeOptions(parent=self)

        dc = vsphere.get_datacenter(name=args.datacenter, opts=lookup)
        switch = vsphere.get_distributed_virtual_switch(name=args.distributed_switch, datacenter_id=dc.id, opts=lookup)

        port_group = vsphere.DistributedPortGroup(
            f"{name}-pg",
            name=name,
            distributed_virtual_switch_uuid=switch.id,
            vlan_id=args.vlan_id,
            allow_promiscuous=False,
            allow_forged_transmits=False,
            allow_mac_changes=False,
            security_policy_override_allowed=False,
            vlan_override_allowed=False,
            description=notes(args.tags),
            tags=args.tag_ids,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.port_group_id = port_group.id
        self.port_group_name = port_group.name
        self.vlan_id = port_group.vlan_id
        self.register_outputs({
            "port_group_id": self.port_group_id,
            "port_group_name": self.port_group_name,
            "vlan_id": self.vlan_id,
        })
