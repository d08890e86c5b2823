"""What `bp new` decides at each edge of a request: where it is placed when it names no target, what each data
service is promised by tier and target, which requests are refused (and the field named), and what a re-stamp keeps."""

from __future__ import annotations

import pytest

from blueprints.errors import BadInput
from blueprints.models import DataServiceRequest
from blueprints.placement.resolve import _newest, resolve, restamp
from tests.conftest import make_request


def _resolve(catalog, sites, existing=(), **fields):
    return resolve(make_request(**fields), catalog, sites, existing)


def _service(resolved, kind: str):
    (found,) = [d for d in resolved.data_services if d.kind == kind]
    return found


def test_a_request_without_a_target_follows_its_site_else_the_blueprints_first_target(catalog, sites):
    assert _resolve(catalog, sites, blueprint="web-service@2.1.0", region=None, site="ny1").primary.target == "vsphere"
    assert _resolve(catalog, sites, blueprint="web-service@2.1.0", region="amer").primary.target == "aws"
    assert _resolve(catalog, sites, blueprint="vm-app@1.0.0", region="amer").primary.target == "vsphere"


@pytest.mark.parametrize(("fields", "message"), [
    ({"region": None}, "region or site: one is required (e.g. --region amer or --site ny1)"),
    ({"blueprint": "vm-app@1.0.0", "target": "aws"}, "target: vm-app@1.0.0 supports vsphere, not aws"),
    ({"parameters": {"colour": "red"}}, "parameters.colour: not a parameter of web-service@2.1.0 (declared: "),
    ({"data_services": [{"kind": "kafka", "size": "S"}]}, ("data_services[0].kind: web-service@2.1.0 offers postgres, "
                                                          "redis, not kafka")),
    ({"data_services": [{"kind": "postgres", "size": "S"}, {"kind": "postgres", "size": "M"}]},
     "data_services: each kind may appear once"),
    ({"blueprint": "data-platform@1.1.0", "target": "vsphere", "region": None, "site": "ny1",
      "data_services": [{"kind": "postgres", "size": "S"}, {"kind": "object-storage", "size": "S"}]},
     "data_services[1].kind: object-storage is offered on aws only"),
])
def test_a_request_that_cannot_be_resolved_names_its_field(catalog, sites, fields, message):
    with pytest.raises(BadInput) as refused:
        _resolve(catalog, sites, **{"blueprint": "web-service@2.1.0", **fields})
    assert str(refused.value).startswith(message), refused.value


def test_a_data_service_is_promised_by_tier_target_and_blueprint(catalog, sites):
    web = {env: _resolve(catalog, sites, blueprint="web-service@2.1.0", target="aws", env=env) for env in ("dev", "prod")}
    assert [(_service(web[e], "postgres").replicas, _service(web[e], "postgres").backup_retention_days) for e in web] == [
        (1, 7), (2, 30)]
    assert _service(web["prod"], "redis").backup_retention_days is None, "redis is promised no backups"
    vs = _resolve(catalog, sites, blueprint="web-service@2.1.0", target="vsphere", region=None, site="ny1", env="prod")
    assert _service(vs, "postgres").replicas == 3
    # data-platform promises HA data services in every tier
    dp = _resolve(catalog, sites, blueprint="data-platform@1.1.0", target="aws", env="dev",
                  data_services=[DataServiceRequest(kind="kafka", size="S"), DataServiceRequest(kind="object-storage", size="S")])
    assert (_service(dp, "kafka").replicas, _service(dp, "object-storage").replicas) == (3, 1)
    assert _service(dp, "object-storage").backup_retention_days == 30


def test_a_chosen_engine_version_is_the_services_version(catalog, sites):
    chosen = _resolve(catalog, sites, blueprint="web-service@2.1.0", target="aws", parameters={"postgres_version": "16"})
    assert _service(chosen, "postgres").version == "16" and chosen.parameters["postgres_version"] == "16"
    default = _resolve(catalog, sites, blueprint="web-service@2.1.0", target="aws")
    assert _service(default, "postgres").version == default.parameters["postgres_version"] == "17"


def test_an_ha_vm_app_gets_two_placements_and_a_plain_one_one(catalog, sites):
    vm = {"blueprint": "vm-app@1.0.0", "region": None, "site": "ny1"}
    assert len(_resolve(catalog, sites, **vm).placements) == 1
    ha = _resolve(catalog, sites, **vm, parameters={"ha": True})
    assert len(ha.placements) == 2 and len({p.data_center for p in ha.placements}) == 2


def test_a_stamped_stack_keeps_its_network_unless_moved(catalog, sites):
    first = _resolve(catalog, sites, blueprint="vm-app@1.0.0", region=None, site="ny1")
    neighbour = _resolve(catalog, sites, [first], team="orders", blueprint="vm-app@1.0.0", region=None, site="ny1")
    again = _resolve(catalog, sites, [first, neighbour], blueprint="vm-app@1.0.0", region=None, site="ny1", size="L")
    assert again.primary.network == first.primary.network
    moved = resolve(make_request(blueprint="vm-app@1.0.0", region=None, site="nj2"), catalog, sites, [first, neighbour],
                    move_network=True)
    assert moved.primary.data_center == "nj2" and moved.primary.network != first.primary.network


def test_a_hub_learns_every_other_regions_hub_by_tier_and_not_its_own(catalog, sites):
    hub = _resolve(catalog, sites, blueprint="network-hub@1.0.0", target="aws", env="prod")
    own = hub.primary.aws.region
    others = {dc.aws.region: dc for dc, _ in sites.hubs() if dc.aws.region != own}
    peers = {p.region: p for p in hub.primary.aws.peer_hubs}
    assert set(peers) == set(others) and own not in peers
    for region, dc in others.items():
        for tier in ("prod", "nonprod"):
            want = tuple(net for pool in dc.pools if pool.tier == tier for net in pool.supernets)
            assert getattr(peers[region], f"{tier}_cidrs") == want and want, (region, tier)


def test_the_version_suggested_instead_of_an_ended_one_is_the_newest_not_deprecated(catalog):
    assert _newest(catalog, "web-service") == "web-service@2.1.0"
    assert _newest(catalog, "k8s-cluster") == "k8s-cluster@1.1.0"


def test_a_restamp_keeps_only_the_parameters_the_new_version_declares_and_refuses_another_blueprint(catalog, sites):
    old = _resolve(catalog, sites, blueprint="web-service@2.0.0", target="aws", parameters={"postgres_version": "16"})
    new = restamp(old, "web-service@2.1.0", catalog, sites, [old])
    assert new.request.parameters == {"postgres_version": "16"} and new.placements == old.placements
    with pytest.raises(BadInput, match="--to: payments-dev is a web-service stack; vm-app@1.0.0 is another blueprint"):
        restamp(old, "vm-app@1.0.0", catalog, sites)


def test_a_version_past_its_support_end_is_refused_unless_the_caller_asks_to_judge_it_later(catalog, sites):
    request = make_request(blueprint="k8s-cluster@1.0.0", target="aws")
    with pytest.raises(BadInput, match=r"k8s-cluster@1.0.0 promises Amazon EKS Kubernetes 1.31 .*support ended on "
                                        r"2026-11-26 .*ask for k8s-cluster@1.1.0"):
        resolve(request, catalog, sites)
    assert resolve(request, catalog, sites, refuse_ended=False).blueprint_ref == "k8s-cluster@1.0.0"


def test_unknown_parameters_are_named_first_in_order_and_a_blueprint_without_any_says_none(catalog, sites):
    from blueprints.placement.resolve import _parameters

    with pytest.raises(BadInput, match=r"^parameters.aa: not a parameter of web-service@2.1.0 \(declared: "
                                        r"ingress_namespace, postgres_version\)"):
        _resolve(catalog, sites, parameters={"zz": "1", "aa": "1"})
    bare = catalog.get("web-service@2.1.0").model_copy(update={"parameters": {}})
    with pytest.raises(BadInput, match=r"\(declared: none\)$"):
        _parameters(make_request(parameters={"aa": "1"}), bare)


def test_a_hub_keeps_its_one_placement_when_it_learns_its_peers(catalog, sites):
    hub = _resolve(catalog, sites, blueprint="network-hub@1.0.0", target="aws", env="prod")
    assert len(hub.placements) == 1 and hub.primary.aws.peer_hubs


def test_a_restamp_to_a_blueprint_named_after_its_own_is_refused_too(catalog, sites):
    vm = _resolve(catalog, sites, blueprint="vm-app@1.0.0", region=None, site="ny1")
    with pytest.raises(BadInput, match="--to: payments-dev is a vm-app stack; web-service@2.1.0 is another blueprint"):
        restamp(vm, "web-service@2.1.0", catalog, sites)


def _neighbour(stack, team: str, vcpu: int):
    """Another team's stack in the same pool, committing `vcpu` there."""
    return stack.model_copy(update={"request": stack.request.model_copy(update={"team": team}),
                                    "size": stack.size.model_copy(update={"vcpu": vcpu})})


@pytest.mark.parametrize(("last", "fits"), [(2996, True), (2997, False)])
def test_a_restamp_counts_every_other_stack_in_its_pool_and_not_its_own_old_copy(catalog, sites, last, fits):
    """Neighbours named before and after it together leave exactly its size (fits) or one vCPU less (refused)."""
    v20 = {"blueprint": "web-service@2.0.0", "target": "aws", "parameters": {"postgres_version": "16"}}
    old = _resolve(catalog, sites, **v20)
    pool = sites.find_pool(old.primary.pool)[2]
    assert pool.capacity.vcpu == 2 * 2996 + old.size.vcpu, "the sizes below fill this pool exactly"
    before, after = _neighbour(old, "aaa", 2996), _neighbour(old, "zzz", last)
    assert before.stack < old.stack < after.stack
    neighbours = [before, old, after]
    if fits:
        assert restamp(old, "web-service@2.1.0", catalog, sites, neighbours).placements == old.placements
    else:
        with pytest.raises(BadInput, match=rf"^--size: M \(8 vCPU / 32 GiB\) no longer fits pool {pool.name}, which "
                                            r"has 7 vCPU / \d+ GiB free"):
            restamp(old, "web-service@2.1.0", catalog, sites, neighbours)


def test_a_stamped_stack_keeps_its_network_by_default_even_when_an_earlier_block_came_free(catalog, sites):
    vm = {"blueprint": "vm-app@1.0.0", "region": None, "site": "ny1"}
    first = _resolve(catalog, sites, team="alpha", **vm)
    second = _resolve(catalog, sites, [first], team="beta", **vm)
    assert second.primary.network.cidr != first.primary.network.cidr
    again = resolve(make_request(team="beta", **vm), catalog, sites, [second])
    assert again.primary.network == second.primary.network, "alpha left, and beta keeps its block all the same"
    moved = resolve(make_request(team="beta", **vm), catalog, sites, [second], move_network=True)
    assert moved.primary.network.cidr == first.primary.network.cidr, "asked to move, it takes the first free block"


def test_a_hub_learning_its_peers_keeps_every_placement_after_its_first(catalog, sites):
    from blueprints.placement.resolve import _with_peer_hubs

    hub = _resolve(catalog, sites, blueprint="network-hub@1.0.0", target="aws", env="prod")
    other = _resolve(catalog, sites, team="other", blueprint="web-service@2.1.0", target="aws", region="emea")
    second, third = other.primary, other.primary.model_copy(update={"pool": "another"})
    learnt = _with_peer_hubs(hub.model_copy(update={"placements": (hub.primary, second, third)}), sites)
    assert learnt.placements[1:] == (second, third) and learnt.primary.aws.peer_hubs
