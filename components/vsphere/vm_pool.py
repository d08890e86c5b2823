"""VmPool: application VMs cloned from the catalog template, spread over hosts and, for HA, sites."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_vsphere as vsphere

from components.ownership import require_ownership
from components.vsphere.tagging import notes

# OpenSSH public key types cloud-init accepts in ssh_authorized_keys.
_PUBLIC_KEY_PREFIXES = ("ssh-ed25519 ", "ssh-rsa ", "ecdsa-sha2-", "sk-ssh-ed25519@openssh.com ", "sk-ecdsa-sha2-")


@dataclass(frozen=True)
class VmSite:
    """Where one site's share of the pool runs: existing vCenter objects, by name, plus the team's placement."""

    datacenter: str                         # data center name
    compute_cluster: str                    # compute cluster name (the anti-affinity rule lives there)
    datastore: str                          # datastore name for the VM disks
    resource_pool_id: pulumi.Input[str]     # the team's resource pool (TeamPlacement.resource_pool_id)
    folder: pulumi.Input[str]               # the team's VM folder path (TeamPlacement.folder_path)
    network_id: pulumi.Input[str] | None = None  # port group id (NetworkSegment.port_group_id); default: look `network` up
    network: str | None = None              # existing network name to look up when network_id is None

    def __post_init__(self) -> None:
        if (self.network_id is None) == (self.network is None):
            raise ValueError("a VmSite needs exactly one of network_id and network")


@dataclass(frozen=True)
class VmPoolArgs:
    """A pool of identical VMs; one entry in `sites` per data center (two for an HA placement).

    All sites of one pool are served by the vSphere provider in `opts` (one vCenter); data centers
    under different vCenters take one VmPool each, with that vCenter's provider.
    """

    sites: Sequence[VmSite]                 # one or more sites; HA placements pass two data centers
    template: str                           # template VM name, present in every site's data center
    count_per_site: int                     # VMs per site (>= 1)
    cpus: int                               # vCPUs per VM
    memory_mb: int                          # memory per VM, MB
    disk_gb: int                            # system disk size, GB (not smaller than the template's)
    ssh_authorized_keys: Sequence[str]      # OpenSSH public keys for the admin user (no password is ever set)
    tags: Mapping[str, str]                 # ownership tags (written into each VM's notes)
    tag_ids: pulumi.Input[Sequence[str]] = field(default_factory=list)  # vSphere tag ids to attach; default none
    admin_user: str = "ops"                 # login created by cloud-init; default "ops"
    passwordless_sudo: bool = False         # admin user may sudo without a password (a reviewed exception); default off
    domain: str = "internal"                # DNS domain of the VMs' FQDNs; default "internal"
    spread_groups: Sequence[Sequence[int]] | None = None  # VM numbers (1-based) per anti-affinity rule, each within
    #                                          the cluster's host count (the plan's); default: one rule per site

    def __post_init__(self) -> None:
        require_ownership(self.tags, "VmPoolArgs")
        if not self.sites:
            raise ValueError("a VmPool needs at least one site")
        if self.count_per_site < 1 or self.cpus < 1 or self.memory_mb < 1 or self.disk_gb < 1:
            raise ValueError("count_per_site, cpus, memory_mb and disk_gb must be positive")
        if self.spread_groups and sorted(i for g in self.spread_groups for i in g) != list(range(1, self.count_per_site + 1)):
            raise ValueError("spread_groups must number each VM of a site (1..count_per_site) exactly once")
        if not self.ssh_authorized_keys:
            raise ValueError("a VmPool needs at least one SSH public key: password logins are disabled")
        for key in self.ssh_authorized_keys:
            if not key.startswith(_PUBLIC_KEY_PREFIXES) or "PRIVATE KEY" in key:
                raise ValueError("ssh_authorized_keys takes OpenSSH public keys only")


def _guestinfo(hostname: str, fqdn: str, args: VmPoolArgs) -> dict[str, str]:
    """cloud-init's VMware datasource input: key-only login, no password, root login off."""
    metadata = {"instance-id": hostname, "local-hostname": hostname}
    userdata = {
        "hostname": hostname,
        "fqdn": fqdn,
        # The password stays locked, so without passwordless sudo the admin user cannot become root:
        # a reviewed exception (the plan's passwordless_sudo) is the only way to grant it.
        "users": [{
            "name": args.admin_user,
            "shell": "/bin/bash",
            "lock_passwd": True,
            **({"groups": ["sudo"], "sudo": "ALL=(ALL) NOPASSWD:ALL"} if args.passwordless_sudo else {}),
            "ssh_authorized_keys": list(args.ssh_authorized_keys),
        }],
        "ssh_pwauth": False,
        "disable_root": True,
    }

    def encode(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    return {
        "guestinfo.metadata": encode(json.dumps(metadata)),
        "guestinfo.metadata.encoding": "base64",
        # JSON is YAML, so the cloud-config body needs no YAML library.
        "guestinfo.userdata": encode("#cloud-config\n" + json.dumps(userdata)),
        "guestinfo.userdata.encoding": "base64",
    }


def _rolling(child: pulumi.ResourceOptions, built: list, groups: list[list[int]],
             number: int) -> pulumi.ResourceOptions:
    """A new template replaces the VMs a batch at a time: one VM of each anti-affinity group, each after the one
    before it in its group, so a group never loses two hosts' VMs at once. The old VM goes first: vCenter refuses a
    second VM of the same name in the folder, so a replacement cannot be created beside it."""
    group = next(g for g in groups if number in g)
    before = group[group.index(number) - 1] if group.index(number) else None
    return pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
        delete_before_replace=True, depends_on=[built[before - 1]] if before else []))


class VmPool(pulumi.ComponentResource):
    """VMs cloned from a template at each site, with an anti-affinity rule spreading them over hosts.

    Guest customisation goes through cloud-init guestinfo (SSH keys only), so no password or other
    secret is in the VM's configuration or in the stack.
    """

    vm_ids: pulumi.Output[list[str]]
    vm_names: pulumi.Output[list[str]]
    ip_addresses: pulumi.Output[list[str]]
    moids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: VmPoolArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:vsphere:VmPool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        vms: list[vsphere.VirtualMachine] = []
        for s, site in enumerate(args.sites, start=1):
            cluster, datastore, network_id, template = self._site_objects(site, args)
            template_disk = template.disks[0]

            groups = [list(g) for g in args.spread_groups or [range(1, args.count_per_site + 1)]]
            site_vms: list[vsphere.VirtualMachine] = []
            for i in range(1, args.count_per_site + 1):
                hostname = f"{name}-{s}-{i:02d}"
                site_vms.append(vsphere.VirtualMachine(
                    hostname,
                    name=hostname,
                    resource_pool_id=site.resource_pool_id,
                    datastore_id=datastore.id,
                    folder=site.folder,
                    num_cpus=args.cpus,
                    memory=args.memory_mb,
                    guest_id=template.guest_id,
                    firmware=template.firmware,
                    efi_secure_boot_enabled=template.firmware == "efi",
                    scsi_type=template.scsi_type,
                    network_interfaces=[vsphere.VirtualMachineNetworkInterfaceArgs(
                        network_id=network_id, adapter_type=template.network_interface_types[0],
                    )],
                    disks=[vsphere.VirtualMachineDiskArgs(
                        label="disk0", size=args.disk_gb, thin_provisioned=template_disk.thin_provisioned,
                    )],
                    clone=vsphere.VirtualMachineCloneArgs(template_uuid=template.id),
                    extra_config=_guestinfo(hostname, f"{hostname}.{args.domain}", args),
                    annotation=notes(args.tags),
                    tags=args.tag_ids,
                    opts=_rolling(child, site_vms, groups, i),
                ))
            for g, group in enumerate(groups, start=1):
                if len(group) > 1:
                    rule = f"{name}-{s}-spread" + (f"-{g}" if g > 1 else "")  # the first keeps its name
                    vsphere.ComputeClusterVmAntiAffinityRule(
                        rule,
                        name=rule,
                        compute_cluster_id=cluster.id,
                        virtual_machine_ids=[site_vms[i - 1].id for i in group],
                        enabled=True,
                        opts=child,
                    )
            vms.extend(site_vms)

        self.vm_ids = pulumi.Output.all(*[vm.id for vm in vms])
        self.vm_names = pulumi.Output.all(*[vm.name for vm in vms])
        self.ip_addresses = pulumi.Output.all(*[vm.default_ip_address for vm in vms])
        self.moids = pulumi.Output.all(*[vm.moid for vm in vms])
        self.register_outputs({
            "vm_ids": self.vm_ids,
            "vm_names": self.vm_names,
            "ip_addresses": self.ip_addresses,
            "moids": self.moids,
        })

    def _site_objects(self, site: VmSite, args: VmPoolArgs) -> tuple:
        """The site's compute cluster, datastore, network and template, looked up in its vCenter."""
        lookup = pulumi.InvokeOptions(parent=self)
        dc = vsphere.get_datacenter(name=site.datacenter, opts=lookup)
        cluster = vsphere.get_compute_cluster(name=site.compute_cluster, datacenter_id=dc.id, opts=lookup)
        datastore = vsphere.get_datastore(name=site.datastore, datacenter_id=dc.id, opts=lookup)
        network_id = (
            site.network_id
            if site.network_id is not None
            else vsphere.get_network(name=site.network, datacenter_id=dc.id, opts=lookup).id
        )
        template = vsphere.get_virtual_machine(name=args.template, datacenter_id=dc.id, opts=lookup)
        # The provider clones only with a disk block for each of the template's disks; the pool declares one.
        if len(template.disks) != 1:
            raise ValueError(f"template {args.template} has {len(template.disks)} disks: a VmPool clones single-disk templates")
        if args.disk_gb < template.disks[0].size:
            raise ValueError(f"disk_gb {args.disk_gb} is smaller than template {args.template}'s {template.disks[0].size} GB disk")
        return cluster, datastore, network_id, template
