"""The plan's guards at their edges: prod never on spot capacity, prod vSphere capacity guaranteed and nonprod half,
the smallest machine shape that exactly fits is the one taken."""

from __future__ import annotations

from dataclasses import fields

import pytest

from blueprints.catalog import Catalog
from blueprints.placement.resolve import resolve
from blueprints.plan import PlanError, plan
from blueprints.plan.aws import AWS_SERVICES, S3Bucket
from blueprints.plan.shared import smallest
from blueprints.sites import MachineShape, load_sites
from tests.conftest import make_request

CATALOG, SITES = Catalog(), load_sites()


def _eks_pools(env: str, spot: bool | None):
    params = {} if spot is None else {"spot_general_pool": spot}
    bp = resolve(make_request(blueprint="k8s-cluster", target="aws", env=env, parameters=params), CATALOG, SITES)
    return {p.name: p for p in plan(bp).cluster.node_pools}


@pytest.mark.parametrize("env", ["dev", "test", "stage"])
def test_nonprod_runs_the_general_pool_on_spot_only_when_asked(env):
    assert _eks_pools(env, True)["general"].spot
    assert not _eks_pools(env, False)["general"].spot
    assert not _eks_pools(env, None)["general"].spot, "spot is opt-in"


def test_prod_never_runs_on_spot_even_when_asked():
    pools = _eks_pools("prod", True)
    assert not any(p.spot for p in pools.values()), {n: p.spot for n, p in pools.items()}


def test_a_pool_with_a_fixed_node_count_never_runs_on_spot():
    pools = _eks_pools("dev", True)
    assert pools["system"].nodes == 2 and not pools["system"].spot


def test_a_pool_with_a_fixed_node_count_never_scales_past_it():
    system = _eks_pools("dev", None)["system"]
    assert (system.min_nodes, system.nodes, system.max_nodes) == (2, 2, 2)


def test_a_sized_pool_autoscales_to_twice_its_nodes_on_eks():
    general = _eks_pools("dev", None)["general"]
    assert general.min_nodes == general.nodes and general.max_nodes == 2 * general.nodes


def _vm_sites(env: str):
    bp = resolve(make_request(blueprint="vm-app", site="ldn1", region=None, target="vsphere", env=env), CATALOG, SITES)
    return bp, plan(bp).sites


def test_prod_vsphere_capacity_is_reserved_in_full():
    bp, sites = _vm_sites("prod")
    cpu, mem = bp.size.vcpu * bp.decisions.mhz_per_vcpu, bp.size.memory_gib * 1024
    for site in sites:
        assert (site.cpu_reservation_mhz, site.cpu_limit_mhz) == (cpu, cpu), site
        assert (site.memory_reservation_mb, site.memory_limit_mb) == (mem, mem), site


@pytest.mark.parametrize("env", ["dev", "stage"])
def test_nonprod_vsphere_capacity_is_half_reserved_and_bursts_to_its_limit(env):
    bp, sites = _vm_sites(env)
    cpu, mem = bp.size.vcpu * bp.decisions.mhz_per_vcpu, bp.size.memory_gib * 1024
    for site in sites:
        assert (site.cpu_reservation_mhz, site.cpu_limit_mhz) == (cpu // 2, cpu), site
        assert (site.memory_reservation_mb, site.memory_limit_mb) == (mem // 2, mem), site


SHAPES = (MachineShape(name="s", vcpu=2, memory_gib=4), MachineShape(name="m", vcpu=4, memory_gib=16),
          MachineShape(name="l", vcpu=8, memory_gib=32))


def test_the_shape_that_exactly_fits_is_taken():
    assert smallest(SHAPES, 2, 4, "size") == "s"
    assert smallest(SHAPES, 4, 16, "size") == "m"
    assert smallest(SHAPES, 8, 32, "size") == "l"


def test_one_more_vcpu_or_gib_takes_the_next_shape():
    assert smallest(SHAPES, 3, 4, "size") == "m"
    assert smallest(SHAPES, 2, 5, "size") == "m"
    assert smallest(SHAPES, 4, 17, "size") == "l"


def test_no_shape_large_enough_names_what_was_asked():
    with pytest.raises(PlanError, match=r"fleet.control_plane: no machine of the fleet has 9 vCPU and 32 GiB"):
        smallest(SHAPES, 9, 32, "fleet.control_plane")
    with pytest.raises(PlanError, match=r"size: no machine of the fleet has 8 vCPU and 33 GiB"):
        smallest(SHAPES, 8, 33, "size")


def _web(env: str):
    return resolve(make_request(blueprint="web-service", target="aws", env=env), CATALOG, SITES)


def test_what_protects_data_is_mandatory_in_prod_and_only_what_the_zone_says_elsewhere():
    from blueprints.sites import DATA_PROTECTION

    prod, dev = plan(_web("prod")).zone, plan(_web("dev")).zone
    assert set(DATA_PROTECTION) <= set(prod.mandatory_policies)
    assert dev.mandatory_policies == () and dev.name == "general", dev


def test_the_zone_controls_recorded_at_stamping_win_over_todays_defaults_and_an_unrecorded_unknown_zone_fails():
    stack = _web("dev")
    recorded = stack.decisions.zone.model_copy(update={"log_retention_days": 123, "mandatory_policies": ("p",)})
    kept = stack.model_copy(update={"decisions": stack.decisions.model_copy(update={"zone": recorded})})
    assert (plan(kept).zone.log_retention_days, plan(kept).zone.mandatory_policies) == (123, ("p",))
    older = stack.model_copy(update={"decisions": stack.decisions.model_copy(update={"zone": None})})
    assert plan(older).zone.log_retention_days == 90, "a stack stamped before zones were recorded gets the stock ones"
    unknown = older.model_copy(update={"request": older.request.model_copy(update={"compliance_zone": "itar"})})
    with pytest.raises(PlanError, match=r"compliance_zone: the stack records no controls for zone itar"):
        plan(unknown)


@pytest.mark.parametrize("kind", [k for k in AWS_SERVICES.values() if k is not S3Bucket])
@pytest.mark.parametrize("missing", ["instance_class", "engine_version"])
def test_an_aws_data_service_plan_value_is_refused_without_its_machine_class_or_engine_version(kind, missing):
    """Neither may fall back to the base class's None (S3's, which has no machines): a database, cache or broker
    built without its class would reach the provider with none."""
    values = {f.name: "given" for f in fields(kind)}
    assert kind(**values).instance_class == "given", "every field given: the value is made"
    del values[missing]
    with pytest.raises(TypeError, match=rf"missing 1 required keyword-only argument: '{missing}'"):
        kind(**values)


def test_an_s3_bucket_has_no_machine_class_or_engine_version():
    values = {f.name: "given" for f in fields(S3Bucket) if f.name not in ("instance_class", "engine_version")}
    assert (S3Bucket(**values).instance_class, S3Bucket(**values).engine_version) == (None, None)
