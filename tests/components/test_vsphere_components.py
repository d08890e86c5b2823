"""vSphere components under the offline engine: placement, network segment, VM pools (single site and HA)."""

from __future__ import annotations

import base64
import json

import pytest

import engine
from engine.mocks import MockContext
from engine.mocks import vsphere as vsphere_mocks
from components.vsphere import (
    NetworkSegment,
    NetworkSegmentArgs,
    TeamPlacement,
    TeamPlacementArgs,
    VmPool,
    VmPoolArgs,
    VmSite,
)

TAGS = {"team": "payments", "owner": "alice", "env": "prod", "cost-center": "cc-42", "managed-by": "cloud-blueprints", "blueprint": "vm-app"}
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOps ops@payments"
INVENTORY = {
    "datacenter": frozenset({"dc-east", "dc-west"}),
    "compute_cluster": frozenset({"cl-east", "cl-west"}),
    "datastore": frozenset({"ds-east", "ds-west"}),
    "network": frozenset({"VM Network"}),
    "distributed_switch": frozenset({"dvs-east"}),
    "template": frozenset({"ubuntu-24.04"}),
}
CTX = MockContext(stack="payments-prod", inventory=INVENTORY)

TAGGABLE = (
    "vsphere:index/folder:Folder",
    "vsphere:index/resourcePool:ResourcePool",
    "vsphere:index/distributedPortGroup:DistributedPortGroup",
    "vsphere:index/virtualMachine:VirtualMachine",
)
VM = "vsphere:index/virtualMachine:VirtualMachine"
RULE = "vsphere:index/computeClusterVmAntiAffinityRule:ComputeClusterVmAntiAffinityRule"


def _site_program(sites: int, count: int):
    def program():
        placements, vm_sites = [], []
        for dc, cl, ds in [("dc-east", "cl-east", "ds-east"), ("dc-west", "cl-west", "ds-west")][:sites]:
            placement = TeamPlacement(f"payments-prod-{dc}", TeamPlacementArgs(dc, cl, 2000, 8000, 4096, 16384, TAGS))
            placements.append(placement)
            if dc == "dc-east":
                segment = NetworkSegment("payments-prod-net", NetworkSegmentArgs(dc, "dvs-east", 120, TAGS, placement.tag_ids))
                site = VmSite(dc, cl, ds, placement.resource_pool_id, placement.folder_path, network_id=segment.port_group_id)
            else:
                site = VmSite(dc, cl, ds, placement.resource_pool_id, placement.folder_path, network="VM Network")
            vm_sites.append(site)
        VmPool("payments-prod-app", VmPoolArgs(vm_sites, "ubuntu-24.04", count, 4, 8192, 60, [SSH_KEY], TAGS, placements[0].tag_ids))

    return program


@pytest.fixture(scope="module")
def single():
    return engine.run(_site_program(sites=1, count=3), stack="payments-prod", context=CTX)


@pytest.fixture(scope="module")
def ha():
    return engine.run(_site_program(sites=2, count=2), stack="payments-prod", context=CTX)


def _component(capture, token):
    return capture.one(token).urn


def test_every_child_is_parented_to_its_component(single):
    components = {r.urn for r in single.resources if r.type.startswith("cloud-blueprints:vsphere:")}
    assert len(components) == 3
    for r in single.resources:
        if r.custom:
            assert r.parent in components, f"{r.urn} has parent {r.parent}"


def _fleet_tag_id(key: str, value: str) -> str:
    """The id vCenter answers for the fleet tag `value` in the fleet category named `key`."""
    category = vsphere_mocks._tag_category({"name": key}, CTX)["id"]
    return vsphere_mocks._tag({"name": value, "categoryId": category}, CTX)["id"]


def test_placements_attach_the_fleet_tags_and_create_none(single, ha):
    """One category per ownership key for the whole vCenter, not per placement; stacks only look tags up."""
    expected = sorted(_fleet_tag_id(k, v) for k, v in TAGS.items())
    for capture in (single, ha):
        created = capture.by_type("vsphere:index/tagCategory:TagCategory") + capture.by_type("vsphere:index/tag:Tag")
        assert not created, f"a stack creates fleet tag objects: {[r.urn for r in created]}"
        for placement in capture.by_type("cloud-blueprints:vsphere:TeamPlacement"):
            assert sorted(capture.component_outputs[placement.urn]["tag_ids"]) == expected, placement.urn


def test_every_taggable_object_carries_all_tags(single):
    placement = single.component_outputs[_component(single, "cloud-blueprints:vsphere:TeamPlacement")]
    assert len(placement["tag_ids"]) == len(TAGS)
    for token in TAGGABLE:
        found = single.by_type(token)
        assert found, f"no {token}"
        for r in found:
            assert sorted(r.inputs["tags"]) == sorted(placement["tag_ids"]), f"{r.urn} tags {r.inputs.get('tags')}"


def test_resource_pool_reservations_and_limits(single):
    pool = single.one("vsphere:index/resourcePool:ResourcePool")
    i = pool.inputs
    assert (i["cpuReservation"], i["cpuLimit"], i["memoryReservation"], i["memoryLimit"]) == (2000, 8000, 4096, 16384), pool.urn
    assert i["cpuExpandable"] is False and i["memoryExpandable"] is False, pool.urn
    assert i["parentResourcePoolId"].startswith("resgroup-"), pool.urn
    folder = single.one("vsphere:index/folder:Folder")
    assert folder.inputs["type"] == "vm" and folder.inputs["datacenterId"].startswith("datacenter-"), folder.urn


def test_port_group_security_policy_and_vlan(single):
    pg = single.one("vsphere:index/distributedPortGroup:DistributedPortGroup")
    i = pg.inputs
    assert i["vlanId"] == 120, pg.urn
    for flag in ("allowPromiscuous", "allowForgedTransmits", "allowMacChanges", "securityPolicyOverrideAllowed", "vlanOverrideAllowed"):
        assert i[flag] is False, f"{pg.urn}: {flag}={i.get(flag)}"
    # The switch is addressed by the UUID the lookup returned, not its name.
    assert "-" in i["distributedVirtualSwitchUuid"] and " " in i["distributedVirtualSwitchUuid"], pg.urn


def test_vms_clone_the_template_with_the_size(single):
    vms = single.by_type(VM)
    assert len(vms) == 3
    for vm in vms:
        i = vm.inputs
        assert i["clone"]["templateUuid"], vm.urn
        assert (i["numCpus"], i["memory"]) == (4, 8192), vm.urn
        assert i["disks"][0]["size"] == 60, vm.urn
        assert i["datastoreId"].startswith("datastore-"), vm.urn
        assert i["resourcePoolId"].startswith("resgroup-"), vm.urn
        assert i["folder"] == "payments-prod-dc-east", vm.urn
        assert i["networkInterfaces"][0]["networkId"].startswith("dvportgroup-"), vm.urn
        assert i["efiSecureBootEnabled"] is True, vm.urn
        assert vm.outputs["defaultIpAddress"].startswith("10."), vm.urn
        assert vm.outputs["moid"].startswith("vm-"), vm.urn


def test_guest_customisation_has_keys_and_no_password(single):
    for vm in single.by_type(VM):
        extra = vm.inputs["extraConfig"]
        assert "customize" not in vm.inputs["clone"], vm.urn
        userdata = base64.b64decode(extra["guestinfo.userdata"]).decode()
        assert userdata.startswith("#cloud-config\n"), vm.urn
        config = json.loads(userdata.split("\n", 1)[1])
        assert config["ssh_pwauth"] is False and config["disable_root"] is True, vm.urn
        user = config["users"][0]
        assert user["lock_passwd"] is True and user["ssh_authorized_keys"] == [SSH_KEY], vm.urn
        assert "password" not in (json.dumps(vm.inputs) + userdata).lower(), vm.urn
        meta = json.loads(base64.b64decode(extra["guestinfo.metadata"]))
        assert meta["local-hostname"] == vm.inputs["name"], vm.urn


def test_anti_affinity_rule_spreads_the_site_vms(single):
    rule = single.one(RULE)
    vm_ids = {vm.outputs["uuid"] for vm in single.by_type(VM)}
    assert set(rule.inputs["virtualMachineIds"]) == vm_ids, rule.urn
    assert rule.inputs["computeClusterId"].startswith("domain-c"), rule.urn
    assert rule.inputs["enabled"] is True, rule.urn


def test_component_outputs(single):
    out = single.component_outputs[_component(single, "cloud-blueprints:vsphere:VmPool")]
    assert out["vm_names"] == [f"payments-prod-app-1-0{i}" for i in (1, 2, 3)]
    assert len(out["ip_addresses"]) == 3 and all(ip.startswith("10.") for ip in out["ip_addresses"])
    net = single.component_outputs[_component(single, "cloud-blueprints:vsphere:NetworkSegment")]
    assert net["port_group_id"].startswith("dvportgroup-") and net["vlan_id"] == 120


def test_ha_pool_spans_two_data_centers_with_a_rule_each(ha):
    vms = ha.by_type(VM)
    assert len(vms) == 4
    datastores = {vm.inputs["datastoreId"] for vm in vms}
    assert len(datastores) == 2, [vm.urn for vm in vms]
    rules = ha.by_type(RULE)
    assert len(rules) == 2
    assert len({r.inputs["computeClusterId"] for r in rules}) == 2, [r.urn for r in rules]
    pools = {vm.inputs["resourcePoolId"] for vm in vms}
    assert len(pools) == 2, "each site's VMs go to that site's team pool"


def test_single_vm_site_has_no_rule():
    capture = engine.run(_site_program(sites=1, count=1), stack="payments-dev", context=CTX)
    assert capture.by_type(RULE) == []
    assert len(capture.by_type(VM)) == 1


@pytest.mark.parametrize(
    "kind,program",
    [
        ("datacenter", lambda: TeamPlacement("p", TeamPlacementArgs("dc-nowhere", "cl-east", 1, 2, 1, 2, TAGS))),
        ("distributed_switch", lambda: NetworkSegment("n", NetworkSegmentArgs("dc-east", "dvs-missing", 10, TAGS))),
        ("template", lambda: VmPool("v", VmPoolArgs([VmSite("dc-east", "cl-east", "ds-east", "resgroup-1", "f", network="VM Network")], "win-2003", 1, 1, 1024, 60, [SSH_KEY], TAGS))),
        ("network", lambda: VmPool("v", VmPoolArgs([VmSite("dc-east", "cl-east", "ds-east", "resgroup-1", "f", network="lab-net")], "ubuntu-24.04", 1, 1, 1024, 60, [SSH_KEY], TAGS))),
    ],
)
def test_unknown_inventory_name_fails_naming_kind_and_name(kind, program):
    with pytest.raises(engine.ProgramError) as err:
        engine.run(program, stack="payments-prod", context=CTX)
    assert kind in str(err.value)


def test_args_reject_insecure_or_inconsistent_input():
    with pytest.raises(ValueError, match=r"vlan_id 5000 is outside 1\.\.4094"):
        NetworkSegmentArgs("dc", "dvs", 5000, TAGS)
    with pytest.raises(ValueError, match="cpu reservation must be between 0 and the cpu limit"):
        TeamPlacementArgs("dc", "cl", 9000, 8000, 1, 2, TAGS)
    with pytest.raises(ValueError, match=r"tags lack required keys \['owner'\]"):
        TeamPlacementArgs("dc", "cl", 1, 2, 1, 2, {k: v for k, v in TAGS.items() if k != "owner"})
    site = VmSite("dc", "cl", "ds", "rp", "f", network="n")
    with pytest.raises(ValueError, match="OpenSSH public keys only"):
        VmPoolArgs([site], "t", 1, 1, 1, 1, ["-----BEGIN OPENSSH PRIVATE KEY-----"], TAGS)
    with pytest.raises(ValueError, match="at least one SSH public key"):
        VmPoolArgs([site], "t", 1, 1, 1, 1, [], TAGS)
    with pytest.raises(ValueError, match="exactly one of network_id and network"):
        VmSite("dc", "cl", "ds", "rp", "f")


def test_disk_smaller_than_template_is_refused():
    site = VmSite("dc-east", "cl-east", "ds-east", "resgroup-1", "f", network="VM Network")
    with pytest.raises(engine.ProgramError, match="smaller than template"):
        engine.run(lambda: VmPool("v", VmPoolArgs([site], "ubuntu-24.04", 1, 1, 1024, 20, [SSH_KEY], TAGS)), context=CTX)


def test_a_new_template_replaces_one_vm_of_each_anti_affinity_group_at_a_time():
    """Each VM is deleted before its replacement (vCenter refuses a second VM of one name in a folder) and waits
    for the VM before it in its anti-affinity group: at most one VM of a group is down during a repave."""
    def program():
        placement = TeamPlacement("p", TeamPlacementArgs("dc-east", "cl-east", 2000, 8000, 4096, 16384, TAGS))
        site = VmSite("dc-east", "cl-east", "ds-east", placement.resource_pool_id, placement.folder_path,
                      network="VM Network")
        VmPool("app", VmPoolArgs([site], "ubuntu-24.04", 5, 2, 4096, 60, [SSH_KEY], TAGS,
                                 spread_groups=[[1, 2, 3], [4, 5]]))

    capture = engine.run(program, stack="payments-prod", context=CTX)
    vms = {vm.name: vm for vm in capture.by_type(VM)}
    assert all(vm.delete_before_replace for vm in vms.values()), sorted(vms)
    waits = {name: sorted(d.rsplit("::", 1)[1] for d in vm.dependencies if f"${VM}::" in d) for name, vm in vms.items()}
    assert waits == {"app-1-01": [], "app-1-02": ["app-1-01"], "app-1-03": ["app-1-02"],
                     "app-1-04": [], "app-1-05": ["app-1-04"]}, waits
