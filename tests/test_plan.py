"""The plan without Pulumi: every catalog entry, target, size and tier turns into the values the catalog promises."""

from __future__ import annotations

import subprocess
import sys
from ipaddress import ip_network

import pytest

from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.models import DataServiceRequest
from blueprints.placement.resolve import ON_PREM_DATA_SERVICES, resolve
from blueprints.plan import AwsPlan, PlanError, VspherePlan, plan
from blueprints.sites import load_sites
from tests.conftest import ROOT, make_request

CATALOG = Catalog()
SITES = load_sites()
CASES = [
    (entry.ref, target, size, env)
    for entry in CATALOG.entries if not entry.deprecated
    for target in entry.targets
    for size in ("S", "M", "L", "XL")
    for env in ("dev", "prod")
]


def offered(entry, target: str, size: str) -> tuple[DataServiceRequest, ...]:
    """Every data service the entry offers on the target, in one size."""
    return tuple(DataServiceRequest(kind=k, size=size) for k in entry.spec.data_services
                 if target == "aws" or k in ON_PREM_DATA_SERVICES)


def stamped(ref: str, target: str, size: str, env: str):
    entry = CATALOG.get(ref)
    request = make_request(team="contract", blueprint=ref, target=target, size=size, env=env,
                           region="amer", data_services=offered(entry, target, size))
    return entry, resolve(request, CATALOG, SITES)


def test_the_plan_imports_no_pulumi():
    code = "import sys, blueprints.plan; sys.exit(any(m.split('.')[0].startswith('pulumi') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


@pytest.mark.parametrize("ref,target,size,env", CASES)
def test_every_data_service_keeps_the_catalog_promise(ref, target, size, env):
    entry, bp = stamped(ref, target, size, env)
    p = plan(bp)
    assert isinstance(p, AwsPlan if target == "aws" else VspherePlan)
    ha = env == "prod" or entry.spec.ha_data_services
    for ds in p.data_services:
        promised = entry.data_service_sizes[ds.kind][size]
        terms = entry.data_service_terms[ds.kind]
        assert (ds.vcpu, ds.memory_gib, ds.storage_gib) == (promised.vcpu, promised.memory_gib, promised.storage_gib), ds
        version = str(bp.parameters[terms.version_parameter]) if terms.version_parameter else terms.version
        assert ds.version == version, ds
        if terms.replicas:
            copies = terms.replicas[target]
            assert ds.replicas == (copies.ha if ha else copies.single), ds
        retention = terms.backup_retention_days
        assert ds.backup_retention_days == (retention["prod" if env == "prod" else "nonprod"] if retention else None), ds
        release = SITES.fleet.engines.get(ds.kind, {}).get(ds.version)
        if target == "aws":
            assert ds.instance_class == promised.aws_class, ds
            assert ds.engine_version == (release.aws_version if release else None), ds
        elif ds.kind == "kafka":
            assert ds.engine_version == release.operator_version and ds.controllers == (3 if ds.replicas > 1 else 0), ds
        else:
            assert ds.image == release.image and "@sha256:" in ds.image, ds


@pytest.mark.parametrize("ref,target,size,env", [c for c in CASES if c[0].startswith(("k8s-cluster", "data-platform"))])
def test_dedicated_clusters_take_fleet_machines_and_networks(ref, target, size, env):
    _, bp = stamped(ref, target, size, env)
    cluster = plan(bp).cluster
    shapes = {s.name: s for s in (SITES.fleet.aws_instance_types if target == "aws" else SITES.fleet.vm_classes)}
    for pool in cluster.node_pools:
        name = pool.machines[0] if target == "aws" else pool.machines[0].rsplit("-", 1)[1]
        assert shapes[name].vcpu >= bp.size.node_vcpu and shapes[name].memory_gib >= bp.size.node_memory_gib, pool
        if target == "vsphere":
            assert pool.machines[0].startswith("guaranteed-" if env == "prod" else "best-effort-"), pool
    assert cluster.service_cidr == str(SITES.fleet.cluster_networks.services)
    if target == "vsphere":
        assert cluster.pod_cidr == str(SITES.fleet.cluster_networks.pods)
        assert cluster.control_plane_nodes == (3 if env == "prod" else 1)
    else:
        counts = SITES.fleet.eks_system_pool.prod if env == "prod" else SITES.fleet.eks_system_pool.nonprod
        assert cluster.system_pool.machines == SITES.fleet.eks_system_pool.instance_types
        assert (cluster.system_pool.min_nodes, cluster.system_pool.nodes, cluster.system_pool.max_nodes) == \
            (counts.min, counts.desired, counts.max)


def test_cluster_networks_overlap_no_fleet_network():
    inner = [SITES.fleet.cluster_networks.pods, SITES.fleet.cluster_networks.services]
    for net in inner:
        for what, other in SITES.fleet_networks():
            assert not net.overlaps(other), f"{net} overlaps {what} {other}"


def test_a_sites_map_whose_cluster_network_overlaps_the_fleet_is_refused(tmp_path):
    text = (ROOT / "blueprints" / "sites" / "demo-fleet.yaml").read_text()
    bad = tmp_path / "fleet.yaml"
    bad.write_text(text.replace("services: 172.20.0.0/16", "services: 10.96.0.0/12"))
    with pytest.raises(BadInput) as err:
        load_sites(bad)
    message = str(err.value)
    assert str(bad) in message and "fleet.cluster_networks.services: 10.96.0.0/12 overlaps" in message
    assert "\n" not in message


def test_vsphere_namespace_quota_holds_its_data_services():
    _, bp = stamped("data-platform@1.1.0", "vsphere", "XL", "prod")
    p = plan(bp)
    volumes = sum(ds.storage_gib * ds.replicas + 10 * ds.controllers for ds in p.data_services)
    assert p.tenancy.storage_gib == SITES.fleet.quotas.storage_gib + volumes
    assert p.tenancy.cpu >= bp.size.vcpu + sum(ds.vcpu * (ds.replicas + ds.controllers) for ds in p.data_services)


def test_ha_kafka_on_aws_gets_a_zone_per_broker():
    _, bp = stamped("data-platform@1.1.0", "aws", "S", "dev")
    p = plan(bp)
    kafka = next(ds for ds in p.data_services if ds.kind == "kafka")
    assert kafka.replicas == len(p.network.zones) == 3


def test_a_version_the_fleet_does_not_release_fails_at_stamp():
    sites = SITES.model_copy(update={"fleet": SITES.fleet.model_copy(update={
        "engines": {**SITES.fleet.engines, "postgres": {k: v for k, v in SITES.fleet.engines["postgres"].items() if k != "17"}},
    })})
    request = make_request(blueprint="web-service", target="vsphere", site="ny1", parameters={"postgres_version": "17"})
    with pytest.raises(PlanError, match="no release of postgres 17"):
        resolve(request, CATALOG, sites)


def test_every_catalog_version_has_a_release_on_every_target():
    for entry in CATALOG.entries:
        for kind in entry.spec.data_services:
            for version in entry.versions_of(kind):
                release = SITES.fleet.engines[kind][version]
                assert release.aws_version, (entry.ref, kind, version)
                if "vsphere" in entry.targets:
                    assert release.image or release.operator_version, (entry.ref, kind, version)


def test_aws_networks_stay_in_the_allocation():
    _, bp = stamped("web-service@2.0.0", "aws", "M", "prod")
    net = plan(bp).network
    assert ip_network(net.cidr) == bp.primary.network.cidr and len(net.zones) == 3


def test_each_pair_of_hubs_peers_once_and_routes_per_tier():
    _, hub_bp = stamped("network-hub@1.0.0", "aws", "M", "prod")
    hub = plan(hub_bp).hub
    others = {dc.aws.region: dc for dc, _ in SITES.hubs() if dc.aws.region != hub.region}
    own = next(h for dc, h in SITES.hubs() if dc.aws.region == hub.region)
    assert {p.region for p in hub.peers} | set(hub.awaiting_peers) == set(others)
    for peer in hub.peers:
        dc = others[peer.region]
        # The region that sorts first requests; the other accepts the attachment the sites map recorded.
        assert peer.attachment_id == (own.peering_attachments[peer.region] if peer.region < hub.region else None), peer
        assert peer.prod_cidrs == tuple(str(n) for pool in dc.pools if pool.tier == "prod" for n in pool.supernets), peer
        assert peer.nonprod_cidrs == tuple(str(n) for pool in dc.pools if pool.tier == "nonprod" for n in pool.supernets)
        assert not set(peer.prod_cidrs) & set(peer.nonprod_cidrs), peer


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_team_attachments_join_their_tiers_table_only(env):
    _, bp = stamped("web-service@2.0.0", "aws", "S", env)
    attachment = plan(bp).network.hub_attachment
    tables = bp.primary.aws.hub.route_tables
    assert attachment.segment_route_table_id == (tables.prod if env == "prod" else tables.nonprod)
    assert attachment.interconnect_route_table_id == tables.interconnect
    assert attachment.accept is (bp.primary.aws.hub.account_id != bp.primary.aws.account_id)
    assert attachment.deploy_role_arn.startswith(f"arn:aws:iam::{bp.primary.aws.hub.account_id}:role/")


def test_a_peering_not_yet_requested_waits_instead_of_guessing_an_attachment():
    _, hub_bp = stamped("network-hub@1.0.0", "aws", "M", "prod")
    own = hub_bp.primary.aws.hub
    forgetful = own.model_copy(update={"peering_attachments": {}})
    aws = hub_bp.primary.aws.model_copy(update={"hub": forgetful})
    bp = hub_bp.model_copy(update={"placements": (hub_bp.primary.model_copy(update={"aws": aws}),)})
    hub = plan(bp).hub
    assert set(hub.awaiting_peers) == set(own.peering_attachments) and all(p.attachment_id is None for p in hub.peers)


def test_validate_flags_a_stack_whose_cluster_networks_overlap_the_fleet():
    from fleet.invariants import check_stack

    _, bp = stamped("k8s-cluster@1.1.0", "vsphere", "S", "dev")
    assert check_stack(bp, CATALOG, SITES) == []
    nets = bp.decisions.cluster_networks.model_copy(update={"services": ip_network("10.96.0.0/12")})
    old = bp.model_copy(update={"decisions": bp.decisions.model_copy(update={"cluster_networks": nets})})
    found = [f.message for f in check_stack(old, CATALOG, SITES)]
    assert found and all("cluster network services 10.96.0.0/12 overlaps" in m for m in found), found


def test_redis_rotates_its_password_on_the_platforms_schedule_on_both_targets():
    days = {}
    for target in ("aws", "vsphere"):
        _, bp = stamped("web-service@2.1.0", target, "S", "prod")
        (redis,) = [s for s in plan(bp).data_services if s.kind == "redis"]
        days[target] = redis.token_rotation_days if target == "aws" else redis.password_rotation_days
        changed = bp.model_copy(update={"platform": bp.platform.model_copy(update={"secret_rotation_days": 7})})
        (again,) = [s for s in plan(changed).data_services if s.kind == "redis"]
        assert (again.token_rotation_days if target == "aws" else again.password_rotation_days) == 7, target
    assert days == {"aws": SITES.platform.secret_rotation_days, "vsphere": SITES.platform.secret_rotation_days}


def test_a_prod_bucket_in_a_site_without_a_log_bucket_is_refused_and_dev_needs_none():
    for env in ("prod", "dev"):
        _, bp = stamped("data-platform@1.1.0", "aws", "S", env)
        aws = bp.primary.aws.model_copy(update={"access_log_bucket": None})
        blind = bp.model_copy(update={"placements": (bp.primary.model_copy(update={"aws": aws}),)})
        if env == "prod":
            with pytest.raises(PlanError, match=r"^env: prod requires S3 access logs, and data center \S+ names no log"):
                plan(blind)
        else:
            (bucket,) = [s for s in plan(blind).data_services if s.kind == "object-storage"]
            assert bucket.access_log_bucket is None
