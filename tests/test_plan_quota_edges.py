"""A team namespace's quota, exactly: the size class plus every data-service pod and volume that runs inside it (and
nothing of those that run outside it), the largest container and claim no smaller than its largest data service's,
and the groups bound to it."""

from __future__ import annotations

import pytest

from blueprints.models import DataServiceRequest
from blueprints.placement.resolve import resolve
from blueprints.plan import plan
from tests.conftest import make_request
from tests.test_plan import CATALOG, SITES, stamped

QUOTAS = SITES.fleet.quotas


@pytest.mark.parametrize("size", ["S", "XL"])
def test_a_vsphere_namespace_quota_is_the_size_plus_its_data_services_exactly(size):
    _, bp = stamped("data-platform@1.1.0", "vsphere", size, "prod")
    p = plan(bp)
    services = p.data_services
    assert services, "data-platform runs its data services in the namespace on vSphere"
    pods = [(ds, ds.replicas + ds.controllers) for ds in services]
    t = p.tenancy
    assert (t.cpu, t.memory_gib) == (bp.size.vcpu + sum(ds.vcpu * n for ds, n in pods),
                                     bp.size.memory_gib + sum(ds.memory_gib * n for ds, n in pods))
    assert t.storage_gib == QUOTAS.storage_gib + sum(ds.storage_gib * ds.replicas + 10 * ds.controllers for ds in services)
    assert t.max_pods == QUOTAS.max_pods
    assert t.max_container_cpu == max(QUOTAS.container_cpu, *(ds.vcpu for ds in services))
    assert t.max_container_memory_gib == max(QUOTAS.container_memory_gib, *(ds.memory_gib for ds in services))
    assert t.max_claim_gib == max(QUOTAS.claim_gib, *(ds.storage_gib for ds in services))
    assert (t.team_group, t.platform_group) == (f"{bp.platform.team_group_prefix}contract", bp.platform.admin_group)
    assert t.namespace == "contract-prod"


def test_an_xl_data_service_raises_the_largest_container_and_claim_above_the_fleets():
    _, bp = stamped("data-platform@1.1.0", "vsphere", "XL", "prod")
    t = plan(bp).tenancy
    assert t.max_claim_gib > QUOTAS.claim_gib, "an XL volume is larger than the fleet's largest claim"


def test_an_aws_namespace_holds_only_the_size_its_data_services_run_outside_it():
    _, bp = stamped("web-service@2.1.0", "aws", "M", "prod")
    t = plan(bp).tenancy
    assert (t.cpu, t.memory_gib, t.storage_gib) == (bp.size.vcpu, bp.size.memory_gib, QUOTAS.storage_gib)
    assert (t.max_container_cpu, t.max_container_memory_gib, t.max_claim_gib) == (
        QUOTAS.container_cpu, QUOTAS.container_memory_gib, QUOTAS.claim_gib)



@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize("kind", ["postgres", "kafka"])
def test_each_data_service_adds_its_own_pods_to_the_quota_an_ha_kafkas_controllers_included(env, kind):
    """Alone in the namespace, a service adds its instances (Postgres) or its brokers and, when HA, three KRaft
    controllers (Kafka), each at its own size: nothing of another service, nothing twice."""
    request = make_request(team="quota", blueprint="data-platform@1.1.0", target="vsphere", size="S", env=env,
                           region="amer", data_services=(DataServiceRequest(kind=kind, size="M"),))
    bp = resolve(request, CATALOG, SITES)
    p = plan(bp)
    (ds,) = p.data_services
    pods = ds.replicas + (3 if kind == "kafka" and ds.replicas > 1 else 0)
    assert (p.tenancy.cpu, p.tenancy.memory_gib) == (bp.size.vcpu + ds.vcpu * pods, bp.size.memory_gib + ds.memory_gib * pods), \
        (env, kind, ds.replicas, ds.controllers)
