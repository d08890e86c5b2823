"""A team VPC's subnets are plan values: one per tier and zone, inside the VPC, disjoint, stable. No Pulumi here."""

from __future__ import annotations

import ipaddress

import pytest

from blueprints.plan import PlanError, plan, subnet_plan
from blueprints.plan.aws import TIERS, _network
from tests.test_plan import stamped


@pytest.mark.parametrize("env,zones", [("dev", 2), ("prod", 3)])
def test_the_plan_carves_one_subnet_per_tier_and_zone(env, zones):
    _, bp = stamped("web-service@2.1.0", "aws", "S", env)
    net = plan(bp).network
    vpc = ipaddress.ip_network(net.cidr)
    cidrs = [ipaddress.ip_network(c) for tier in TIERS for c in net.subnets[tier]]
    assert all(len(net.subnets[tier]) == len(net.zones) == zones for tier in TIERS), net.subnets
    assert all(c.subnet_of(vpc) for c in cidrs) and len(set(cidrs)) == len(cidrs), net.subnets
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:]), net.subnets
    assert net.subnets == subnet_plan(net.cidr, zones)


def test_a_vpc_too_small_to_carve_is_refused_at_stamp():
    _, bp = stamped("web-service@2.1.0", "aws", "S", "dev")
    place = bp.primary
    small = place.model_copy(update={"network": place.network.model_copy(update={"cidr": ipaddress.ip_network("10.9.0.0/25")})})
    with pytest.raises(PlanError, match=r"placements\[0\].network.cidr: VPC CIDR 10.9.0.0/25 is smaller than /24"):
        _network(bp, small)
