"""The plan at its edges, as a real deployment needs it: NAT per tier, a VPC's zone slots and smallest network, who
accepts a hub attachment, the recorded Kubernetes minor over the spec's, a shared cluster's record complete before
data services admit its pods, taints and spot as the catalog states them. No Pulumi here."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blueprints.placement.resolve import resolve
from blueprints.plan import PlanError, plan, subnet_plan
from blueprints.plan.aws import MAX_AZS, TIERS
from blueprints.plan.shared import Taint, _taint, team
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
    cidr = str(ipaddress.ip_network(f"10.{block}.0.0/16").subnets(new_prefix=prefix).__next__())
    fewer, most = subnet_plan(cidr, azs), subnet_plan(cidr, MAX_AZS)
    for tier in TIERS:
        assert len(fewer[tier]) == azs and fewer[tier] == most[tier][:azs], (cidr, azs, tier)


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


def test_a_cluster_whose_blueprint_asks_no_namespace_gets_no_tenancy():
    _, bp = stamped("k8s-cluster@1.1.0", "aws", "S", "dev")
    cluster = plan(bp).cluster
    assert team(bp, cluster, (), in_namespace=False)["tenancy"] is not None
    bare = bp.model_copy(update={"spec": bp.spec.model_copy(update={"namespace": False})})
    assert team(bare, cluster, (), in_namespace=False)["tenancy"] is None
    assert team(bp, None, (), in_namespace=False)["tenancy"] is None, "no cluster, no namespace to put a quota on"
