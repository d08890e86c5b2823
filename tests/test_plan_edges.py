"""The plan at its edges, as a real deployment needs it. AWS: NAT per tier, a VPC's zones and slots and its smallest
network, who accepts a hub attachment, who may reach a cluster API, a shared cluster's pods reaching data services by
security group through the hub. Both targets: the recorded Kubernetes minor, taints and spot as the catalog states them,
quota-relevant pods. vSphere: spread rules DRS can keep, reservations per tier, VM and pod sizes, KRaft controllers,
zone backups and the operators' egress. No Pulumi here."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blueprints.placement.resolve import resolve
from blueprints.plan import PlanError, plan, subnet_plan
from blueprints.plan.aws import MAX_AZS, TIERS
from blueprints.plan.shared import Taint, _taint, team
from blueprints.plan.vsphere import (
    KAFKA_CONTROLLERS,
    ContainerResources,
    VmPoolPlan,
    _api_server,
    _backup,
    _service,
    spread_groups,
)
from tests.conftest import make_request
from tests.test_plan import CATALOG, SITES, stamped


def _with(bp, **fields):
    """The stack with its primary placement's fields replaced."""
    return bp.model_copy(update={"placements": (bp.primary.model_copy(update=fields), *bp.placements[1:])})


def _with_aws(bp, **fields):
    return _with(bp, aws=bp.primary.aws.model_copy(update=fields))


def _with_decisions(bp, **fields):
    return bp.model_copy(update={"decisions": bp.decisions.model_copy(update=fields)})


# --- the team VPC: NAT per tier, zone slots, the smallest VPC ----------------------------------------------------

@pytest.mark.parametrize(("env", "nat"), [("dev", 1), ("stage", 1), ("prod", 3)])
def test_prod_has_a_nat_gateway_per_zone_and_nonprod_exactly_one(env, nat):
    _, bp = stamped("web-service@2.1.0", "aws", "S", env)
    network = plan(bp).network
    assert network.nat_gateways == nat, (env, network.nat_gateways)
    assert network.nat_gateways <= len(network.subnets["public"]), "a NAT gateway needs a public subnet of its own"


def test_a_24_is_the_smallest_vpc_carved_and_its_data_and_public_subnets_are_28s():
    subnets = subnet_plan("10.9.0.0/24", MAX_AZS)
    assert {ipaddress.ip_network(c).prefixlen for c in subnets["private"]} == {27}
    assert {ipaddress.ip_network(c).prefixlen for t in ("data", "public") for c in subnets[t]} == {28}
    with pytest.raises(ValueError, match=r"VPC CIDR 10.9.0.0/25 is smaller than /24"):
        subnet_plan("10.9.0.0/25", 1)


@pytest.mark.parametrize("azs", [0, MAX_AZS + 1])
def test_a_zone_count_outside_the_slots_kept_is_refused(azs):
    with pytest.raises(ValueError, match=rf"^{azs} AZs: between 1 and 4 are supported$"):
        subnet_plan("10.9.0.0/20", azs)


@given(prefix=st.integers(min_value=16, max_value=24), azs=st.integers(min_value=1, max_value=MAX_AZS),
       block=st.integers(min_value=0, max_value=255))
def test_a_later_zone_never_moves_an_existing_subnet(prefix, azs, block):
    cidr = str(next(ipaddress.ip_network(f"10.{block}.0.0/16").subnets(new_prefix=prefix)))
    fewer, most = subnet_plan(cidr, azs), subnet_plan(cidr, MAX_AZS)
    for tier in TIERS:
        assert len(fewer[tier]) == azs and fewer[tier] == most[tier][:azs], (cidr, azs, tier)


def test_a_stack_without_a_network_of_its_own_plans_no_vpc_and_a_hub_none_either():
    _, bp = stamped("web-service@2.1.0", "aws", "S", "dev")
    bare = plan(_with(bp, network=None))
    assert (bare.network, bare.pod_security_group) == (None, None)
    _, hub = stamped("network-hub@1.0.0", "aws", "M", "prod")
    assert hub.primary.network is None and plan(hub).network is None and plan(hub).hub is not None


# --- the hub attachment: accepted exactly when it crosses accounts -----------------------------------------------

@pytest.mark.parametrize(("hub_account", "accept"), [("000000000001", True), (None, False), ("999999999999", True)])
def test_a_hub_attachment_is_accepted_exactly_when_the_hub_is_in_another_account(hub_account, accept):
    _, bp = stamped("web-service@2.1.0", "aws", "S", "dev")
    own = bp.primary.aws.account_id
    # The team's own account as a string built apart, as a sites map parsed from another file would give it.
    hub = bp.primary.aws.hub.model_copy(update={"account_id": hub_account or "".join(list(own))})
    attachment = plan(_with_aws(bp, hub=hub)).network.hub_attachment
    assert attachment.accept is accept, (hub.account_id, own)
    assert attachment.account_id == hub.account_id


# --- a dedicated cluster builds the recorded minor ---------------------------------------------------------------

@pytest.mark.parametrize("target", ["aws", "vsphere"])
def test_a_cluster_builds_the_minor_its_stack_recorded_and_an_older_file_its_specs(target):
    _, bp = stamped("k8s-cluster@1.1.0", target, "S", "dev")
    spec = bp.spec.kubernetes_version
    older = _with_decisions(bp, kubernetes_version=None)
    upgraded = _with_decisions(bp, kubernetes_version="1.33")
    releases = bp.primary.vsphere.supervisor.kubernetes_releases if target == "vsphere" else None
    built = {name: plan(stack).cluster.kubernetes_version for name, stack in (("older", older), ("upgraded", upgraded))}
    if releases is None:
        assert built == {"older": spec, "upgraded": "1.33"}, built
    else:
        assert built == {"older": releases[spec], "upgraded": releases["1.33"]}, built


# --- a shared cluster's pods reach the team's data services by security group ------------------------------------

@pytest.mark.parametrize("field", ["vpc_id", "security_group_id", "cidr"])
def test_a_shared_cluster_missing_what_its_pods_security_group_needs_is_refused(field):
    _, bp = stamped("web-service@2.1.0", "aws", "S", "dev")
    assert plan(bp).pod_security_group is not None, "web-service's postgres admits its pods by security group"
    shared = bp.primary.shared_cluster.model_copy(update={field: None})
    with pytest.raises(PlanError, match=rf"^placements\[0\].shared_cluster.{field}: shared cluster {shared.name} "
                                        r"records none"):
        plan(_with(bp, shared_cluster=shared))


# --- the catalog's pools as it states them -----------------------------------------------------------------------

def test_a_taint_keeps_its_value_and_effect():
    _, bp = stamped("k8s-cluster@1.1.0", "aws", "S", "dev")
    pools = {p.name: p for p in plan(bp).cluster.node_pools}
    assert pools["system"].taints == (Taint(key="CriticalAddonsOnly", value="true", effect="NoSchedule"),)
    assert pools["general"].taints == ()


def test_a_taint_without_a_value_has_none():
    assert _taint("dedicated:NoExecute") == Taint(key="dedicated", value=None, effect="NoExecute")
    assert _taint("gpu=a100:PreferNoSchedule") == Taint(key="gpu", value="a100", effect="PreferNoSchedule")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_eks_system_pool_never_runs_on_spot_even_when_the_general_pool_asks(env):
    request = make_request(blueprint="k8s-cluster", target="aws", env=env, parameters={"spot_general_pool": True})
    cluster = plan(resolve(request, CATALOG, SITES)).cluster
    assert not cluster.system_pool.spot, "the system pool runs CoreDNS and the add-ons: never on reclaimable capacity"


@pytest.mark.parametrize("value", [1, "true", "yes"])
def test_only_a_boolean_true_puts_the_general_pool_on_spot(value):
    """A stack file edited by hand to a truthy non-boolean is not an opt-in to reclaimable capacity."""
    request = make_request(blueprint="k8s-cluster", target="aws", env="dev", parameters={"spot_general_pool": True})
    bp = resolve(request, CATALOG, SITES)
    assert {p.name: p.spot for p in plan(bp).cluster.node_pools}["general"]
    edited = bp.model_copy(update={"parameters": {**bp.parameters, "spot_general_pool": value}})
    assert not any(p.spot for p in plan(edited).cluster.node_pools), value


def test_a_cluster_whose_blueprint_asks_no_namespace_gets_no_tenancy():
    _, bp = stamped("k8s-cluster@1.1.0", "aws", "S", "dev")
    cluster = plan(bp).cluster
    assert team(bp, cluster, (), in_namespace=False)["tenancy"] is not None
    bare = bp.model_copy(update={"spec": bp.spec.model_copy(update={"namespace": False})})
    assert team(bare, cluster, (), in_namespace=False)["tenancy"] is None
    assert team(bp, None, (), in_namespace=False)["tenancy"] is None, "no cluster, no namespace to put a quota on"


# --- vSphere: anti-affinity rules DRS can keep ---------------------------------------------------------------------

@pytest.mark.parametrize(("vms", "hosts", "groups"), [
    (0, 4, ()), (1, 4, ()), (1, None, ()),
    (2, None, ((1, 2),)), (2, 4, ((1, 2),)), (2, 2, ((1, 2),)),
    (3, 2, ((1, 2), (3,))), (4, 4, ((1, 2, 3, 4),)), (5, None, ((1, 2, 3, 4, 5),)),
    (7, 3, ((1, 2, 3), (4, 5), (6, 7))), (8, 4, ((1, 2, 3, 4), (5, 6, 7, 8))), (9, 4, ((1, 2, 3), (4, 5, 6), (7, 8, 9))),
])
def test_vms_are_spread_in_the_fewest_balanced_rules_no_larger_than_the_hosts(vms, hosts, groups):
    assert spread_groups(vms, hosts) == groups


@given(vms=st.integers(min_value=2, max_value=64), hosts=st.one_of(st.none(), st.integers(min_value=1, max_value=16)))
def test_every_vm_is_in_exactly_one_rule_and_no_rule_outgrows_the_hosts(vms, hosts):
    groups = spread_groups(vms, hosts)
    assert [vm for g in groups for vm in g] == list(range(1, vms + 1)), groups
    limit = hosts or vms
    assert len(groups) == -(-vms // limit) and all(len(g) <= limit for g in groups), groups
    assert max(map(len, groups)) - min(map(len, groups)) <= 1, f"unbalanced: {groups}"


# --- vSphere: what each data center of a stack gets ------------------------------------------------------------------

def _vm_app(env: str, **parameters):
    request = make_request(team="vms", blueprint="vm-app", site="ldn1", region=None, target="vsphere", env=env,
                           parameters=parameters)
    return resolve(request, CATALOG, SITES)


@pytest.mark.parametrize("ha", [False, True])
def test_every_data_center_of_a_vm_stack_gets_its_segment_capacity_and_spread_rules(ha):
    bp = _vm_app("dev", ha=ha)
    p = plan(bp)
    assert [s.data_center for s in p.sites] == [pl.data_center for pl in bp.placements], "one site per placement"
    for site, place in zip(p.sites, bp.placements):
        assert site.vlan == place.network.vlan and site.distributed_switch == place.vsphere.distributed_switch
        assert site.vm_spread_groups == spread_groups(bp.size.nodes, place.vsphere.hosts) != (), site
    vms = p.vm_pool
    assert (vms.count_per_site, vms.cpus, vms.memory_mb, vms.disk_gb) == (
        bp.size.nodes, bp.size.node_vcpu, bp.size.node_memory_gib * 1024, bp.size.disk_gib), vms


def test_a_vks_cluster_gets_its_segment_without_vm_rules_and_a_shared_cluster_no_segment():
    _, vks = stamped("k8s-cluster@1.1.0", "vsphere", "S", "dev")
    (site,) = plan(vks).sites
    assert site.data_center == vks.primary.data_center and site.vm_spread_groups == ()
    _, shared = stamped("web-service@2.1.0", "vsphere", "S", "dev")
    assert plan(shared).sites == (), "a namespace on the shared cluster holds no capacity in vCenter"


def test_reservations_are_whole_mhz_and_mb_rounded_down_in_nonprod():
    bp = _vm_app("dev")
    odd = bp.model_copy(update={"size": bp.size.model_copy(update={"vcpu": 3, "memory_gib": 3}),
                                "decisions": bp.decisions.model_copy(update={"mhz_per_vcpu": 2001})})
    (site,) = plan(odd).sites
    values = (site.cpu_reservation_mhz, site.cpu_limit_mhz, site.memory_reservation_mb, site.memory_limit_mb)
    assert values == (3001, 6003, 1536, 3072) and all(type(v) is int for v in values), values


def test_vks_node_pools_keep_their_size_where_eks_ones_may_double():
    _, bp = stamped("k8s-cluster@1.1.0", "vsphere", "S", "dev")
    pools = plan(bp).cluster.node_pools
    assert pools and all(p.min_nodes == p.nodes == p.max_nodes for p in pools), pools


def test_vm_keys_are_the_pools_break_glass_keys_else_the_fleets_and_the_teams_own():
    team_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF1Kz2r8sQ3bS0h9Zq1Yx3zQfS7m4t2u9vW1xY2zA3bC team@example"
    bp = _vm_app("dev", ssh_public_key=team_key)
    pool_keys = bp.primary.vsphere.break_glass_ssh_keys
    assert pool_keys and plan(bp).vm_pool.ssh_authorized_keys == (*pool_keys, team_key)
    fleet = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGl0c2FmbGVldGtleWZvcmJyZWFrZ2xhc3N1c2Vz fleet",)
    older = _with(bp, vsphere=bp.primary.vsphere.model_copy(update={"break_glass_ssh_keys": ()}))
    older = older.model_copy(update={"platform": bp.platform.model_copy(update={"ssh_public_keys": fleet})})
    assert plan(older).vm_pool.ssh_authorized_keys == (*fleet, team_key), "stamped before pools named their keys"


def test_a_vm_pool_plan_grants_no_passwordless_sudo_unless_told():
    vms = VmPoolPlan(template="t", count_per_site=1, cpus=1, memory_mb=1024, disk_gb=10, ssh_authorized_keys=())
    assert vms.passwordless_sudo is False
    assert plan(_vm_app("dev")).vm_pool.passwordless_sudo is False


# --- vSphere: operator-run data services ---------------------------------------------------------------------------

def test_a_data_service_pod_requests_half_its_size_class_and_is_limited_to_it():
    _, bp = stamped("data-platform@1.1.0", "vsphere", "M", "prod")
    for ds in plan(bp).data_services:
        assert (ds.vcpu, ds.memory_gib) == (4, 16), "the catalog's M data service"
        assert ds.resources == ContainerResources("2000m", "4", "8192Mi", "16Gi"), ds


@pytest.mark.parametrize(("brokers", "controllers"), [(1, 0), (2, KAFKA_CONTROLLERS), (3, KAFKA_CONTROLLERS)])
def test_a_kafka_of_more_than_one_broker_gets_dedicated_kraft_controllers(brokers, controllers):
    _, bp = stamped("data-platform@1.1.0", "vsphere", "S", "dev")
    kafka = next(ds for ds in bp.data_services if ds.kind == "kafka")
    planned = _service(bp, kafka.model_copy(update={"replicas": brokers}))
    assert (planned.replicas, planned.controllers) == (brokers, controllers)
    assert KAFKA_CONTROLLERS == 3, "KRaft's quorum survives one controller lost with three"


def test_postgres_and_redis_run_no_pods_beyond_their_copies():
    _, bp = stamped("data-platform@1.1.0", "vsphere", "S", "prod")
    postgres = next(ds for ds in plan(bp).data_services if ds.kind == "postgres")
    assert postgres.controllers == 0


# --- vSphere: backups and the operators' egress ------------------------------------------------------------------

def _zoned(bp, zone: str):
    controls = SITES.fleet.zones[zone]
    return bp.model_copy(update={"request": bp.request.model_copy(update={"compliance_zone": zone}),
                                 "decisions": bp.decisions.model_copy(update={"zone": controls})})


def test_a_regulated_zone_backs_up_to_its_own_bucket_under_its_key_and_a_site_without_one_is_refused():
    _, bp = stamped("data-platform@1.1.0", "vsphere", "S", "prod")
    store = bp.primary.vsphere.backup
    general = _backup(bp, store)
    assert (general.bucket, general.encryption, general.prefix) == (store.bucket, None, bp.stack)
    pci = _backup(_zoned(bp, "pci"), store)
    assert (pci.bucket, pci.encryption) == (store.zone_buckets["pci"], "aws:kms")
    with pytest.raises(PlanError, match=r"^compliance_zone: pci keeps backups in its own bucket, and data center "):
        _backup(_zoned(bp, "pci"), store.model_copy(update={"zone_buckets": {}}))


def _egress(bp) -> dict:
    return {f.name: f for f in plan(bp).tenancy.flows if f.direction == "egress"}


def test_backups_go_out_to_the_object_stores_block_and_a_site_without_one_says_which_field():
    _, bp = stamped("data-platform@1.1.0", "vsphere", "S", "dev")
    backup = bp.primary.vsphere.backup
    flow = _egress(bp)["backup-egress"]
    assert (flow.peer.cidrs, flow.missing) == ((str(backup.cidr),), None)
    unknown = _with(bp, vsphere=bp.primary.vsphere.model_copy(update={"backup": backup.model_copy(update={"cidr": None})}))
    flow = _egress(unknown)["backup-egress"]
    assert (flow.peer.cidrs, flow.missing) == ((), "backup.cidr")


def test_a_vks_clusters_operators_reach_its_api_on_the_teams_segment():
    _, bp = stamped("data-platform@1.1.0", "vsphere", "S", "dev")
    flow = _egress(bp)["kubernetes-api-egress"]
    assert (flow.peer.cidrs, flow.missing) == ((str(bp.primary.network.cidr),), None)
    assert _api_server(bp, bp.primary.model_copy(update={"network": None}), None)[0] == ()


@pytest.mark.parametrize(("api_cidr", "cidr", "want"), [
    ("10.251.1.0/28", "10.251.0.0/24", ("10.251.1.0/28",)), (None, "10.251.0.0/24", ("10.251.0.0/24",)), (None, None, ()),
])
def test_a_shared_clusters_api_is_its_api_block_else_its_network(api_cidr, cidr, want):
    _, bp = stamped("web-service@2.1.0", "vsphere", "S", "dev")
    shared = bp.primary.shared_cluster.model_copy(update={"api_cidr": api_cidr and ipaddress.ip_network(api_cidr),
                                                           "cidr": cidr and ipaddress.ip_network(cidr)})
    flow = _egress(_with(bp, shared_cluster=shared))["kubernetes-api-egress"]
    assert flow.peer.cidrs == want and (flow.missing is None) == bool(want), flow


# --- AWS: who may reach the cluster API, zones, services the account runs --------------------------------------------

@pytest.mark.parametrize("env", ["dev", "stage", "prod"])
def test_only_nonprod_cluster_apis_admit_the_sites_allow_list_and_prod_none(env):
    _, bp = stamped("k8s-cluster@1.1.0", "aws", "S", env)
    allowed = tuple(str(c) for c in bp.primary.aws.api_allowed_cidrs)
    assert allowed, "the demo sites map names an allow-list"
    assert plan(bp).public_access_cidrs == (() if env == "prod" else allowed)


@pytest.mark.parametrize(("ref", "env", "zones"), [
    ("web-service@2.1.0", "dev", 2), ("web-service@2.1.0", "prod", 3), ("data-platform@1.1.0", "dev", 3),
])
def test_a_vpc_spans_three_zones_in_prod_or_with_ha_data_services_and_two_otherwise(ref, env, zones):
    _, bp = stamped(ref, "aws", "S", env)
    network = plan(bp).network
    assert network.zones == bp.primary.aws.availability_zones[:zones], network.zones


def test_a_pool_with_fewer_zones_than_the_vpc_needs_is_refused_and_exactly_enough_is_not():
    _, bp = stamped("web-service@2.1.0", "aws", "S", "prod")
    zones = bp.primary.aws.availability_zones
    assert len(plan(_with_aws(bp, availability_zones=zones[:3])).network.zones) == 3
    with pytest.raises(PlanError, match=rf"^placements\[0\]: pool {bp.primary.pool} has 2 AZs, 3 needed"):
        plan(_with_aws(bp, availability_zones=zones[:2]))


def test_msk_brokers_that_do_not_spread_evenly_over_the_zones_are_refused():
    from blueprints.plan.aws import _service as aws_service

    _, bp = stamped("data-platform@1.1.0", "aws", "S", "dev")
    kafka = next(ds for ds in bp.data_services if ds.kind == "kafka")
    assert aws_service(bp, kafka.model_copy(update={"replicas": 6})).replicas == 6
    with pytest.raises(PlanError, match=r"^data_services.kafka: 4 brokers do not spread evenly over 3 zones"):
        aws_service(bp, kafka.model_copy(update={"replicas": 4}))
    with pytest.raises(PlanError, match=r"^data_services.kafka: no AWS class for size S"):
        aws_service(bp, kafka.model_copy(update={"aws_class": None}))


def test_roles_are_the_accounts_own_and_the_team_role_is_named_for_the_team():
    _, bp = stamped("web-service@2.1.0", "aws", "S", "dev")
    p, account, platform = plan(bp), bp.primary.aws.account_id, bp.platform
    assert (p.deploy_role_arn, p.admin_role_arn, p.team_role_arn) == (
        f"arn:aws:iam::{account}:role/{platform.aws_deploy_role}", f"arn:aws:iam::{account}:role/{platform.aws_admin_role}",
        f"arn:aws:iam::{account}:role/{platform.aws_team_role_prefix}contract")


def test_a_vpc_without_a_hub_routes_nothing_on_prem_and_a_hub_without_its_account_or_tables_is_not_joined():
    _, bp = stamped("web-service@2.1.0", "aws", "S", "dev")
    hub = bp.primary.aws.hub
    alone = _with_aws(bp, hub=None).model_copy(update={"data_services": ()})
    network = plan(alone).network
    assert (network.transit_gateway_id, network.interconnect_cidrs, network.hub_attachment) == (None, (), None)
    for missing in ({"account_id": None}, {"route_tables": None}):
        network = plan(_with_aws(bp, hub=hub.model_copy(update=missing))).network
        assert network.hub_attachment is None and network.transit_gateway_id == hub.transit_gateway_id, missing


def test_a_shared_clusters_pods_reach_the_teams_data_services_only_through_the_hub():
    _, bp = stamped("web-service@2.1.0", "aws", "S", "dev")
    shared = bp.primary.shared_cluster
    p = plan(bp)
    assert p.network.cluster_cidrs == (str(shared.cidr),)
    assert (p.pod_security_group.vpc_id, p.pod_security_group.cluster_security_group_id) == (
        shared.vpc_id, shared.security_group_id)
    with pytest.raises(PlanError, match=rf"^placements\[0\].aws.hub: pool {bp.primary.pool} has no hub"):
        plan(_with_aws(bp, hub=None))
    nothing = bp.model_copy(update={"data_services": ()})
    assert plan(nothing).pod_security_group is None and plan(nothing).network.cluster_cidrs == ()


def test_a_hub_is_shared_with_the_organisation_only_when_the_platform_names_one():
    _, bp = stamped("network-hub@1.0.0", "aws", "M", "prod")
    org = bp.platform.aws_organization_arn
    hub = plan(bp).hub
    assert (hub.share_principals, hub.amazon_side_asn) == ((org,), 64512)
    assert hub.direct_connect_gateway_id == bp.primary.aws.hub.direct_connect_gateway_id
    alone = bp.model_copy(update={"platform": bp.platform.model_copy(update={"aws_organization_arn": None})})
    assert plan(alone).hub.share_principals == ()
