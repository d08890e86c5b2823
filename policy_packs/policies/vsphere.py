"""vSphere: VMs and folders tagged with ownership, VMs in team folders, port groups that refuse spoofing, bounded
resource pools, anti-affinity for VM pools, no passwords in guest customisation or cloud-init, verified vCenter TLS."""

from __future__ import annotations

import base64
import gzip
import re
from zlib import error as ZlibError

from components.ownership import OWNERSHIP_KEYS
from policy_packs.spec import CRITICAL, HIGH, MEDIUM, Rule, of_type, on, resource_rule, stack_rule

RULES: list[Rule] = []

VM = "vsphere:index/virtualMachine:VirtualMachine"
FOLDER = "vsphere:index/folder:Folder"

_CREDENTIAL = re.compile(r"(?im)^\s*(password|passwd|plain_text_passwd|hashed_passwd|chpasswd)\s*:|\"(password|passwd|plain_text_passwd|hashed_passwd)\"\s*:")


@stack_rule(
    RULES, "vsphere-inventory-object-ownership-tags",
    "Tag every VM and VM folder with each ownership category (team, owner, cost-center, env, blueprint, managed-by).",
    HIGH,
    remediation="Create the VM through VmPool in a TeamPlacement, which attaches the fleet's tag for each ownership "
                "key (looked up by category and value) to the folder and every VM.",
    themes=("asset-ownership",),
)
def ownership_tags(args, report, config) -> None:
    # Tags are fleet objects looked up by id, so a stack shows how many it attaches, not their categories;
    # TeamPlacement looks up exactly one per ownership key.
    for r in of_type(args.resources, VM, FOLDER):
        carried = set(r.props.get("tags") or ())
        if len(carried) < len(OWNERSHIP_KEYS):
            report(f"{r.name} carries {len(carried)} tags, fewer than the ownership keys: {', '.join(OWNERSHIP_KEYS)}", r.urn)


@stack_rule(
    RULES, "vsphere-vcenter-vm-team-folder",
    "Place every VM in a folder the team's placement created, never in a shared or root folder.",
    HIGH,
    remediation="Pass TeamPlacement.folder_path to the VM's folder (VmPool does).",
    themes=("asset-ownership", "least-privilege"),
)
def team_folder(args, report, config) -> None:
    folders = {f.props.get("path") for f in of_type(args.resources, FOLDER)}
    for vm in of_type(args.resources, VM):
        folder = vm.props.get("folder")
        if folder not in folders:
            report(f"VM {vm.name} is in folder {folder!r}, not one of the stack's team folders", vm.urn)


@resource_rule(
    RULES, "vsphere-network-portgroup-security-policy",
    "Reject promiscuous mode, forged transmits and MAC address changes on every distributed port group.",
    HIGH,
    remediation="Set allow_promiscuous, allow_forged_transmits and allow_mac_changes to False, and "
                "security_policy_override_allowed to False.",
    themes=("network-segmentation",), types=("vsphere:index/distributedPortGroup:DistributedPortGroup",),
)
def port_group_security(args, report, config) -> None:
    allowed = [f for f in ("allowPromiscuous", "allowForgedTransmits", "allowMacChanges") if args.props.get(f) is not False]
    if allowed:
        report(f"not explicitly false: {', '.join(allowed)}")
    if on(args.props.get("securityPolicyOverrideAllowed")):
        report("ports may override the security policy")


@resource_rule(
    RULES, "vsphere-compute-resourcepool-limits",
    "Cap every resource pool's CPU and memory, so one team cannot starve a cluster.",
    MEDIUM,
    remediation="Set cpu_limit and memory_limit from the blueprint's size (TeamPlacement does); -1 means unlimited.",
    themes=("capacity-limits",), types=("vsphere:index/resourcePool:ResourcePool",),
)
def pool_limits(args, report, config) -> None:
    unbounded = [f for f in ("cpuLimit", "memoryLimit") if (args.props.get(f) or -1) <= 0]
    if unbounded:
        report(f"unlimited: {', '.join(unbounded)}")


@stack_rule(
    RULES, "vsphere-compute-vmpool-anti-affinity",
    "Spread the VMs of every multi-VM pool across hosts with an enabled anti-affinity rule.",
    HIGH,
    remediation="Create a ComputeClusterVmAntiAffinityRule listing every VM of the pool (VmPool does for HA pools).",
    themes=("availability",),
)
def anti_affinity(args, report, config) -> None:
    rules = [r for r in of_type(args.resources, "vsphere:index/computeClusterVmAntiAffinityRule:ComputeClusterVmAntiAffinityRule")
             if r.props.get("enabled", True) is not False]
    spread = {vm.urn for r in rules for vm in r.property_dependencies.get("virtualMachineIds", ())}
    pools: dict[str, list] = {}
    for vm in of_type(args.resources, VM):
        if vm.parent is not None:
            pools.setdefault(vm.parent.urn, []).append(vm)
    for pool, vms in pools.items():
        if len(vms) > 1:
            for vm in vms:
                if vm.urn not in spread:
                    report(f"VM {vm.name} shares pool {pool.rsplit('::', 1)[-1]} with {len(vms) - 1} others but no "
                           "anti-affinity rule keeps them apart", vm.urn)


def _decoded(text: str, encoding: str | None) -> str:
    """Guestinfo payloads as cloud-init's VMware datasource reads them: plain, base64, or gzip+base64. Text that is not
    base64 is judged as written; base64 that does not decompress is read as decoded, as cloud-init's quiet
    decomp_gzip reads it."""
    if encoding not in ("base64", "b64", "gzip+base64", "gz+b64"):
        return text
    try:
        data = base64.b64decode(text)
    except ValueError:  # binascii.Error (bad padding) and non-ASCII text alike
        return text
    if encoding in ("gzip+base64", "gz+b64"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, ZlibError):  # not gzip, truncated, corrupt
            pass
    return data.decode("utf-8", "replace")


@resource_rule(
    RULES, "vsphere-vcenter-vm-guest-credentials",
    "Forbid passwords in VM guest customisation and cloud-init data.",
    CRITICAL,
    remediation="Use SSH keys and lock_passwd in cloud-init; leave customize admin passwords unset and join domains with "
                "a credential fetched at boot from the secret store.",
    themes=("secret-handling",), types=(VM,),
)
def guest_credentials(args, report, config) -> None:
    customize = (args.props.get("clone") or {}).get("customize") or {}
    windows = customize.get("windowsOptions") or {}
    for field in ("adminPassword", "domainAdminPassword"):
        if windows.get(field):
            report(f"clone.customize.windowsOptions.{field} is set")
    extra = args.props.get("extraConfig") or {}
    for key in ("guestinfo.userdata", "guestinfo.metadata"):
        if extra.get(key) and _CREDENTIAL.search(_decoded(extra[key], extra.get(f"{key}.encoding"))):
            report(f"extraConfig {key} sets a password")
    vapp = ((args.props.get("vapp") or {}).get("properties")) or {}
    for key in vapp:
        if "password" in key.lower() and vapp[key]:
            report(f"vApp property {key} carries a password")


@resource_rule(
    RULES, "vsphere-vcenter-vm-no-passwordless-sudo",
    "Forbid passwordless sudo in VM cloud-init data, so a stolen SSH key is not root on the VM.",
    HIGH,
    remediation="Leave the admin user out of sudo (VmPool does); a stack that needs it is listed in the sites map's "
                "platform.passwordless_sudo and exempted here with an owner, a reason and an expiry.",
    themes=("least-privilege",), types=(VM,),
)
def no_passwordless_sudo(args, report, config) -> None:
    extra = args.props.get("extraConfig") or {}
    userdata = _decoded(extra.get("guestinfo.userdata") or "", extra.get("guestinfo.userdata.encoding"))
    if "NOPASSWD" in userdata:
        report("cloud-init grants passwordless sudo")


@resource_rule(
    RULES, "vsphere-providers-provider-verified-tls",
    "Verify the vCenter's TLS certificate on every vSphere provider.",
    HIGH,
    remediation="Set allow_unverified_ssl=False and trust the vCenter's CA on the machine that runs Pulumi.",
    themes=("encryption-in-transit",), types=("pulumi:providers:vsphere",),
)
def verified_tls(args, report, config) -> None:
    if on(args.props.get("allowUnverifiedSsl")):
        report("allowUnverifiedSsl is true")
