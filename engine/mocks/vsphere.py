"""Mock answers for vsphere resources and invokes.

Ids follow vCenter's managed object ids (datacenter-3, domain-c8, datastore-12, dvportgroup-44,
vm-101, resgroup-9, group-v21) so that anything reading them sees the real shapes. Lookups consult
the site inventory in `MockContext` and fail, as vCenter does, for a name the site does not have.
"""

from __future__ import annotations

import uuid
from typing import Any

from engine.mocks import MockContext, invoke, resource, stable_id


class InventoryNotFound(LookupError):
    """vCenter has no object of this kind and name at the site."""


def _moref(prefix: str, *parts: str) -> str:
    """A managed object id such as 'datacenter-3' or 'domain-c8': the prefix and a stable small number."""
    return f"{prefix}{int(stable_id(prefix, *parts, length=6), 16) % 997 + 2}"


def _uuid(*parts: str) -> str:
    return str(uuid.UUID(stable_id("uuid", *parts, length=32)))


def _require(ctx: MockContext, kind: str, name: str | None) -> str:
    """The name, if the site inventory holds it (an empty inventory holds everything)."""
    if not name:
        raise InventoryNotFound(f"vCenter lookup of a {kind} needs a name")
    if ctx.inventory and name not in ctx.inventory.get(kind, frozenset()):
        raise InventoryNotFound(f"{kind} '{name}' not found")
    return name


@invoke("vsphere:index/getDatacenter:getDatacenter")
def _datacenter(args: dict, ctx: MockContext) -> dict:
    name = _require(ctx, "datacenter", args.get("name"))
    return {"id": _moref("datacenter-", name), "name": name, "virtualMachines": []}


@invoke("vsphere:index/getComputeCluster:getComputeCluster")
def _compute_cluster(args: dict, ctx: MockContext) -> dict:
    name = _require(ctx, "compute_cluster", args.get("name"))
    dc = args.get("datacenterId", "")
    return {
        "id": _moref("domain-c", dc, name),
        "name": name,
        "datacenterId": dc,
        "resourcePoolId": _moref("resgroup-", dc, name, "root"),
    }


@invoke("vsphere:index/getDatastore:getDatastore")
def _datastore(args: dict, ctx: MockContext) -> dict:
    name = _require(ctx, "datastore", args.get("name"))
    dc = args.get("datacenterId", "")
    return {"id": _moref("datastore-", dc, name), "name": name, "datacenterId": dc, "stats": {}}


@invoke("vsphere:index/getNetwork:getNetwork")
def _network(args: dict, ctx: MockContext) -> dict:
    name = _require(ctx, "network", args.get("name"))
    dc = args.get("datacenterId", "")
    return {
        "id": _moref("dvportgroup-", dc, name),
        "name": name,
        "datacenterId": dc,
        "type": "DistributedVirtualPortgroup",
    }


@invoke("vsphere:index/getDistributedVirtualSwitch:getDistributedVirtualSwitch")
def _distributed_switch(args: dict, ctx: MockContext) -> dict:
    name = _require(ctx, "distributed_switch", args.get("name"))
    dc = args.get("datacenterId", "")
    # A switch's id is its UUID, written the way vCenter prints it.
    raw = stable_id("dvs", dc, name, length=32)
    pairs = [raw[i : i + 2] for i in range(0, 32, 2)]
    return {
        "id": " ".join(pairs[:8]) + "-" + " ".join(pairs[8:]),
        "name": name,
        "datacenterId": dc,
        "uplinks": ["uplink1", "uplink2"],
    }


@invoke("vsphere:index/getVirtualMachine:getVirtualMachine")
def _template(args: dict, ctx: MockContext) -> dict:
    name = _require(ctx, "template", args.get("name"))
    dc = args.get("datacenterId", "")
    vm_uuid = _uuid("template", dc, name)
    return {
        "id": vm_uuid,
        "uuid": vm_uuid,
        "moid": _moref("vm-", dc, name),
        "name": name,
        "datacenterId": dc,
        "guestId": "ubuntu64Guest",
        "firmware": "efi",
        "numCpus": 2,
        "memory": 4096,
        "scsiType": "pvscsi",
        "networkInterfaceTypes": ["vmxnet3"],
        "disks": [{"label": "disk0", "size": 40, "thinProvisioned": True, "eagerlyScrub": False, "unitNumber": 0}],
    }


@resource("vsphere:index/folder:Folder")
def _folder(args, ctx: MockContext) -> dict:
    return {"id": _moref("group-v", args.name)}


@resource("vsphere:index/resourcePool:ResourcePool")
def _resource_pool(args, ctx: MockContext) -> dict:
    return {"id": _moref("resgroup-", args.name)}


@invoke("vsphere:index/getTagCategory:getTagCategory")
def _tag_category(args: dict, ctx: MockContext) -> dict:
    name = args["name"]
    return {"id": f"urn:vmomi:InventoryServiceCategory:{_uuid('category', name)}:GLOBAL", "name": name,
            "cardinality": "SINGLE", "associableTypes": [], "description": ""}


@invoke("vsphere:index/getTag:getTag")
def _tag(args: dict, ctx: MockContext) -> dict:
    name, category = args["name"], args["categoryId"]
    return {"id": f"urn:vmomi:InventoryServiceTag:{_uuid('tag', category, name)}:GLOBAL", "name": name,
            "categoryId": category, "description": ""}


@resource("vsphere:index/distributedPortGroup:DistributedPortGroup")
def _port_group(args, ctx: MockContext) -> dict:
    moid = _moref("dvportgroup-", args.name)
    return {"id": moid, "key": moid, "configVersion": "1"}


@resource("vsphere:index/virtualMachine:VirtualMachine")
def _virtual_machine(args, ctx: MockContext) -> dict:
    n = int(stable_id("ip", args.name, length=4), 16)
    ip = f"10.{64 + n % 64}.{(n >> 6) % 256}.{n % 250 + 4}"
    vm_uuid = _uuid("vm", args.name)
    return {
        "id": vm_uuid,
        "uuid": vm_uuid,
        "moid": _moref("vm-", args.name),
        "defaultIpAddress": ip,
        "guestIpAddresses": [ip],
        "powerState": "on",
        "vmwareToolsStatus": "guestToolsRunning",
        "changeVersion": "2024-01-01T00:00:00.000000Z",
    }


@resource("vsphere:index/computeClusterVmAntiAffinityRule:ComputeClusterVmAntiAffinityRule")
def _anti_affinity(args, ctx: MockContext) -> dict[str, Any]:
    cluster = args.inputs.get("computeClusterId", "")
    return {"id": f"{cluster}:{int(stable_id('rule', args.name, length=4), 16)}"}
