"""VmPool at its edges: the arguments it refuses (each size at 0, a private or unknown key type, groups that miss or
repeat a VM), guest customisation with key-only logins and sudo only by a reviewed exception, secure boot only on EFI,
a disk exactly the template's size, and one anti-affinity rule per group of two VMs or more, named stably."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest

import engine
import engine.mocks
from components.vsphere import VmPool, VmPoolArgs, VmSite
from engine.mocks import MockContext
from engine.mocks import vsphere as vsphere_mocks

TAGS = {"team": "payments", "owner": "alice", "env": "prod", "cost-center": "cc-42", "managed-by": "cloud-blueprints",
        "blueprint": "vm-app"}
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOps ops@payments"
SITE = VmSite("dc-east", "cl-east", "ds-east", "resgroup-1", "payments-prod", network="VM Network")
WEST = VmSite("dc-west", "cl-west", "ds-west", "resgroup-2", "payments-prod", network_id="dvportgroup-7")
VM = "vsphere:index/virtualMachine:VirtualMachine"
RULE = "vsphere:index/computeClusterVmAntiAffinityRule:ComputeClusterVmAntiAffinityRule"
TEMPLATE = "vsphere:index/getVirtualMachine:getVirtualMachine"
SIZES = {"count_per_site": 2, "cpus": 2, "memory_mb": 4096, "disk_gb": 60}


def _args(sites=(SITE,), keys=(KEY,), **extra) -> VmPoolArgs:
    return VmPoolArgs(sites=list(sites), template="ubuntu-24.04", ssh_authorized_keys=list(keys), tags=TAGS,
                      **{**SIZES, **extra})


def _render(args: VmPoolArgs) -> engine.Capture:
    return engine.run(lambda: VmPool("app", args), stack="payments-prod")


def _userdata(vm: engine.CapturedResource) -> dict:
    text = base64.b64decode(vm.inputs["extraConfig"]["guestinfo.userdata"]).decode()
    header, body = text.split("\n", 1)
    assert header == "#cloud-config", vm.urn
    return json.loads(body)


@pytest.mark.parametrize("field", sorted(SIZES))
def test_each_size_must_be_at_least_one(field):
    assert getattr(_args(**{field: 1}), field) == 1
    with pytest.raises(ValueError, match="^count_per_site, cpus, memory_mb and disk_gb must be positive$"):
        _args(**{field: 0})


def test_a_pool_needs_a_site_and_complete_ownership_tags():
    with pytest.raises(ValueError, match="^a VmPool needs at least one site$"):
        _args(sites=())
    with pytest.raises(ValueError, match=r"VmPoolArgs: tags lack required keys \['managed-by'\]"):
        VmPoolArgs([SITE], "t", 1, 1, 1, 1, [KEY], {k: v for k, v in TAGS.items() if k != "managed-by"})


def test_a_site_names_its_network_exactly_once():
    assert SITE.network == "VM Network" and WEST.network_id == "dvportgroup-7"
    for network_id, network in ((None, None), ("dvportgroup-7", "VM Network")):
        with pytest.raises(ValueError, match="^a VmSite needs exactly one of network_id and network$"):
            VmSite("dc", "cl", "ds", "rp", "f", network_id=network_id, network=network)


@pytest.mark.parametrize("key", [KEY, "ssh-rsa AAAAB3Nza x", "ecdsa-sha2-nistp256 AAAAE2V x",
                                 "sk-ssh-ed25519@openssh.com AAAAGnNr x", "sk-ecdsa-sha2-nistp256@openssh.com AAAAInNr x"])
def test_every_openssh_public_key_type_is_accepted(key):
    assert _args(keys=(KEY, key)).ssh_authorized_keys == [KEY, key]


@pytest.mark.parametrize("key", ["ssh-dss AAAAB3NzaC1kc3M x", "AAAAC3NzaC1lZDI1NTE5 no type",
                                 "ssh-ed25519 -----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----"])
def test_a_private_key_or_an_unknown_key_type_is_refused_wherever_it_is_listed(key):
    with pytest.raises(ValueError, match="^ssh_authorized_keys takes OpenSSH public keys only$"):
        _args(keys=(KEY, key))


def test_without_a_key_there_is_no_way_in_so_the_pool_is_refused():
    with pytest.raises(ValueError, match="^a VmPool needs at least one SSH public key: password logins are disabled$"):
        _args(keys=())


def test_spread_groups_must_number_each_vm_exactly_once():
    assert _args(count_per_site=5, spread_groups=[[1, 2, 3], [4, 5]]).spread_groups == [[1, 2, 3], [4, 5]]
    for groups in ([[1, 2], [4, 5]], [[1, 2, 3], [3, 4, 5]], [[0, 1, 2, 3, 4]], [[1, 2, 3, 4, 5, 6]], [[2, 3, 4, 5, 6]]):
        with pytest.raises(ValueError, match=r"^spread_groups must number each VM of a site \(1..count_per_site\) exactly once$"):
            _args(count_per_site=5, spread_groups=groups)


def _expected_userdata(hostname: str, sudo: bool) -> dict:
    user = {"name": "admin", "shell": "/bin/bash", "lock_passwd": True,
            **({"groups": ["sudo"], "sudo": "ALL=(ALL) NOPASSWD:ALL"} if sudo else {}), "ssh_authorized_keys": [KEY]}
    return {"hostname": hostname, "fqdn": f"{hostname}.dc1.example", "users": [user], "ssh_pwauth": False,
            "disable_root": True}


@pytest.mark.parametrize("sudo", [False, True])
def test_guest_customisation_allows_keys_only_and_sudo_only_by_exception(sudo):
    capture = _render(_args(admin_user="admin", domain="dc1.example", passwordless_sudo=sudo))
    for vm in capture.by_type(VM):
        extra = vm.inputs["extraConfig"]
        assert _userdata(vm) == _expected_userdata(vm.name, sudo), vm.urn
        assert json.loads(base64.b64decode(extra["guestinfo.metadata"])) == {"instance-id": vm.name,
                                                                           "local-hostname": vm.name}, vm.urn
        assert (extra["guestinfo.metadata.encoding"], extra["guestinfo.userdata.encoding"]) == ("base64", "base64")


def test_each_vm_clones_the_template_with_its_hardware_and_the_pools_size():
    capture = _render(_args(tag_ids=["urn:tag:1"]))
    template = _template("dc-east")
    assert [vm.name for vm in capture.by_type(VM)] == ["app-1-01", "app-1-02"]
    for vm in capture.by_type(VM):
        i = vm.inputs
        assert (i["numCpus"], i["memory"], i["folder"], i["resourcePoolId"]) == (2, 4096, "payments-prod", "resgroup-1"), vm.urn
        assert (i["guestId"], i["firmware"], i["scsiType"], i["efiSecureBootEnabled"]) == (
            template["guestId"], "efi", "pvscsi", True), vm.urn
        assert i["disks"] == [{"label": "disk0", "size": 60, "thinProvisioned": True}], vm.urn
        assert i["networkInterfaces"][0]["adapterType"] == "vmxnet3", vm.urn
        assert i["clone"] == {"templateUuid": template["id"]}, vm.urn
        assert (i["tags"], i["annotation"]) == (["urn:tag:1"], "\n".join(f"{k}={TAGS[k]}" for k in sorted(TAGS))), vm.urn


def _datacenter_id(datacenter: str) -> str:
    return vsphere_mocks._datacenter({"name": datacenter}, MockContext())["id"]


def _template(datacenter: str) -> dict:
    """What vCenter answers for the template in that data center."""
    return vsphere_mocks._template({"name": "ubuntu-24.04", "datacenterId": _datacenter_id(datacenter)}, MockContext())


def test_a_bios_template_gets_no_secure_boot(monkeypatch):
    """vSphere refuses secure boot on BIOS firmware: it follows the template's firmware, on only for EFI."""
    _template_with(monkeypatch, firmware="bios")
    for vm in _render(_args()).by_type(VM):
        assert (vm.inputs["firmware"], vm.inputs["efiSecureBootEnabled"]) == ("bios", False), vm.urn


def test_the_disk_may_equal_the_templates_but_not_be_smaller():
    assert [vm.inputs["disks"][0]["size"] for vm in _render(_args(disk_gb=40)).by_type(VM)] == [40, 40]
    with pytest.raises(engine.ProgramError, match="disk_gb 39 is smaller than template ubuntu-24.04's 40 GB disk"):
        _render(_args(disk_gb=39))


def _rules(capture: engine.Capture) -> dict[str, list[str]]:
    """Rule name -> the names of the VMs it keeps apart."""
    names = {vm.outputs["uuid"]: vm.name for vm in capture.by_type(VM)}
    for rule in capture.by_type(RULE):
        assert rule.inputs["enabled"] is True and rule.inputs["name"] == rule.name, rule.urn
    return {r.name: sorted(names[i] for i in r.inputs["virtualMachineIds"]) for r in capture.by_type(RULE)}


def test_one_rule_per_group_of_two_or_more_the_first_keeping_the_plain_name():
    two_groups = _render(_args(count_per_site=4, spread_groups=[[1, 2], [3, 4]]))
    assert _rules(two_groups) == {"app-1-spread": ["app-1-01", "app-1-02"], "app-1-spread-2": ["app-1-03", "app-1-04"]}
    lone_first = _render(_args(count_per_site=3, spread_groups=[[1], [2, 3]]))
    assert _rules(lone_first) == {"app-1-spread-2": ["app-1-02", "app-1-03"]}


def test_each_site_of_an_ha_pool_gets_its_own_vms_and_rule_and_looks_its_network_up_only_by_name():
    capture = _render(_args(sites=(SITE, WEST)))
    assert _rules(capture) == {"app-1-spread": ["app-1-01", "app-1-02"], "app-2-spread": ["app-2-01", "app-2-02"]}
    networks = {vm.name: vm.inputs["networkInterfaces"][0]["networkId"] for vm in capture.by_type(VM)}
    east = vsphere_mocks._network({"name": "VM Network", "datacenterId": _datacenter_id("dc-east")}, MockContext())["id"]
    assert networks == {"app-1-01": east, "app-1-02": east, "app-2-01": "dvportgroup-7", "app-2-02": "dvportgroup-7"}
    outputs = capture.component_outputs[capture.one("cloud-blueprints:vsphere:VmPool").urn]
    vms = {vm.name: vm for vm in capture.by_type(VM)}
    order = ["app-1-01", "app-1-02", "app-2-01", "app-2-02"]
    assert outputs == {"vm_names": order, "vm_ids": [vms[n].outputs["uuid"] for n in order],
                       "ip_addresses": [vms[n].outputs["defaultIpAddress"] for n in order],
                       "moids": [vms[n].outputs["moid"] for n in order]}


def test_by_default_the_site_is_one_group_replaced_one_vm_after_another():
    vms = {vm.name: vm for vm in _render(_args(count_per_site=3)).by_type(VM)}
    waits = {n: sorted(d.rsplit("::", 1)[1] for d in vm.dependencies if f"${VM}::" in d) for n, vm in vms.items()}
    assert waits == {"app-1-01": [], "app-1-02": ["app-1-01"], "app-1-03": ["app-1-02"]}
    assert all(vm.delete_before_replace for vm in vms.values())


def test_accepted_args_cannot_be_changed_round_their_checks():
    """The checks run once, at construction: an assignment afterwards would slip a private key or a second network in."""
    args = _args()
    with pytest.raises(dataclasses.FrozenInstanceError):
        args.ssh_authorized_keys = ["-----BEGIN OPENSSH PRIVATE KEY-----"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        SITE.network_id = "dvportgroup-7"


def _template_with(monkeypatch, **fields) -> None:
    """vCenter answers the template lookup with these fields changed."""
    plain = engine.mocks._INVOKES[TEMPLATE]
    monkeypatch.setitem(engine.mocks._INVOKES, TEMPLATE, lambda args, ctx: {**plain(args, ctx), **fields})


SYSTEM_DISK = {"label": "disk0", "size": 40, "thinProvisioned": True, "eagerlyScrub": False, "unitNumber": 0}
DATA_DISK = {"label": "disk1", "size": 100, "thinProvisioned": False, "eagerlyScrub": True, "unitNumber": 1}


@pytest.mark.parametrize("disks", [[SYSTEM_DISK, DATA_DISK], []])
def test_a_template_without_exactly_one_disk_is_refused_before_pulumi_up(monkeypatch, disks):
    """The provider clones only with a disk block for each of the template's disks, and the pool declares one."""
    _template_with(monkeypatch, disks=disks)
    with pytest.raises(engine.ProgramError,
                       match=f"template ubuntu-24.04 has {len(disks)} disks: a VmPool clones single-disk templates"):
        _render(_args(disk_gb=200))


def test_the_adapter_type_is_the_templates_first_nics(monkeypatch):
    _template_with(monkeypatch, networkInterfaceTypes=["vmxnet3", "e1000e"])
    for vm in _render(_args()).by_type(VM):
        assert vm.inputs["networkInterfaces"] == [{"networkId": vm.inputs["networkInterfaces"][0]["networkId"],
                                                   "adapterType": "vmxnet3"}], vm.urn


def test_by_default_the_admin_user_gets_no_sudo():
    """Passwordless sudo is a reviewed exception: left unsaid, the locked password keeps the user out of root."""
    args = VmPoolArgs([SITE], "ubuntu-24.04", 1, 1, 1024, 60, [KEY], TAGS)
    assert args.passwordless_sudo is False
    (vm,) = _render(args).by_type(VM)
    (user,) = _userdata(vm)["users"]
    assert "sudo" not in user and "groups" not in user, vm.urn


def test_an_empty_spread_group_gets_no_rule():
    capture = _render(_args(count_per_site=4, spread_groups=[[1, 2], [], [3, 4]]))
    assert _rules(capture) == {"app-1-spread": ["app-1-01", "app-1-02"], "app-1-spread-3": ["app-1-03", "app-1-04"]}
