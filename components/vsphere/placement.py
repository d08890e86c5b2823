"""TeamPlacement: where a team's VMs live at one site, and the tags that say whose they are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_vsphere as vsphere
from components.ownership import require_ownership


# Object types the ownership tags may be attached to.
TAGGABLE_TYPES = ("VirtualMachine", "Folder", "ResourcePool", "DistributedVirtualPortgroup")


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
    tags: Mapping[str, str]         # ownership tags: team, owner, env, cost-center, blueprint required; one category + tag per key

    def __post_init__(self) -> None:
        require_ownership(self.tags, "TeamPlacementArgs")
        if not 0 <= self.cpu_reservation_mhz <= self.cpu_limit_mhz:
            raise ValueError("cpu reservation must be between 0 and the cpu limit")
        if not 0 <= self.memory_reservation_mb <= self.memory_limit_mb:
            raise ValueError("memory reservation must be between 0 and the memory limit")


class TeamPlacement(pulumi.ComponentResource):
    """A VM folder, a resource pool with reservations and limits, and a tag set for one team at one site.

    vSphere tag categories and tag names are global to a vCenter, so the categories are named
    after this placement (`<name>-team`, ...) and two teams, or two envs of one team, never collide.
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

        tags = []
        for key in sorted(args.tags):
            category = vsphere.TagCategory(
                f"{name}-{key}",
                name=f"{name}-{key}",
                description=f"Ownership tag '{key}' of placement {name}",
                cardinality="SINGLE",
                associable_types=list(TAGGABLE_TYPES),
                opts=child,
            )
            tags.append(vsphere.Tag(f"{name}-{key}", name=args.tags[key], category_id=category.id, opts=child))
        tag_ids = pulumi.Output.all(*[t.id for t in tags])

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
