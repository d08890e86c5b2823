"""TeamPlacement: where a team's VMs live at one site, and the tags that say whose they are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_vsphere as vsphere
from components.ownership import require_ownership


@dataclass(frozen=True)
class TeamPlacementArgs:
    """One team's placement at one site.

    Reservations are guaranteed capacity; limits cap the pool. Neither pool is expandable, so a
    team cannot borrow capacity from its parent beyond what the size class grants.
    """

    datacenter: str                 # vSphere data center name (must exist at the site)
    compute_cluster: str            # compute cluster whose root resource pool holds the team pool
    cpu_reservation_mhz: int        # guaranteed CPU, MHz
    cpu_limit_mhz: int              # CPU cap, MHz (>= reservation)
    memory_reservation_mb: int      # guaranteed memory, MB
    memory_limit_mb: int            # memory cap, MB (>= reservation)
    tags: Mapping[str, str]         # ownership tags (every key required); each value is the fleet tag of that name in the category named after its key

    def __post_init__(self) -> None:
        require_ownership(self.tags, "TeamPlacementArgs")
        if not 0 <= self.cpu_reservation_mhz <= self.cpu_limit_mhz:
            raise ValueError("cpu reservation must be between 0 and the cpu limit")
        if not 0 <= self.memory_reservation_mb <= self.memory_limit_mb:
            raise ValueError("memory reservation must be between 0 and the memory limit")


class TeamPlacement(pulumi.ComponentResource):
    """A VM folder and a resource pool with reservations and limits for one team at one site, tagged.

    Its `tag_ids` are the vCenter's fleet-wide ownership tags for this team's values (category
    `team`, tag `payments`; category `env`, tag `prod`; ...), looked up, never created here.
    """

    folder_path: pulumi.Output[str]
    folder_id: pulumi.Output[str]
    resource_pool_id: pulumi.Output[str]
    tag_ids: pulumi.Output[list[str]]
    datacenter_id: pulumi.Output[str]

    def __init__(self, name: str, args: TeamPlacementArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:vsphere:TeamPlacement", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        lookup = pulumi.InvokeOptions(parent=self)

        dc = vsphere.get_datacenter(name=args.datacenter, opts=lookup)
        cluster = vsphere.get_compute_cluster(name=args.compute_cluster, datacenter_id=dc.id, opts=lookup)

        # Tag categories and tags are global to a vCenter and shared by every team: one category per
        # ownership key, one tag per value, created once by the platform (onboarding adds a team's
        # values). A stack only looks them up and attaches them: creating them per stack collides
        # whenever two stacks share a value (every prod stack has env=prod), needs the global
        # "create tag" privilege in every team's deploy identity, and deleting one stack would strip
        # the tag from every other team's objects.
        tag_ids = pulumi.Output.from_input([
            vsphere.get_tag(name=args.tags[key], category_id=vsphere.get_tag_category(name=key, opts=lookup).id, opts=lookup).id
            for key in sorted(args.tags)
        ])

        folder = vsphere.Folder(f"{name}-folder", path=name, type="vm", datacenter_id=dc.id, tags=tag_ids, opts=child)
        pool = vsphere.ResourcePool(
            f"{name}-pool",
            name=name,
            parent_resource_pool_id=cluster.resource_pool_id,
            cpu_reservation=args.cpu_reservation_mhz,
            cpu_limit=args.cpu_limit_mhz,
            cpu_expandable=False,
            memory_reservation=args.memory_reservation_mb,
            memory_limit=args.memory_limit_mb,
            memory_expandable=False,
            tags=tag_ids,
            opts=child,
        )

        self.folder_path = folder.path
        self.folder_id = folder.id
        self.resource_pool_id = pool.id
        self.tag_ids = tag_ids
        self.datacenter_id = pulumi.Output.from_input(dc.id)
        self.register_outputs({
            "folder_path": self.folder_path,
            "folder_id": self.folder_id,
            "resource_pool_id": self.resource_pool_id,
            "tag_ids": self.tag_ids,
            "datacenter_id": self.datacenter_id,
        })
