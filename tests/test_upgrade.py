"""`bp upgrade` and its library: the offline diff of a version change, aliases, data loss, the rewrite."""

from __future__ import annotations

import json

import pytest

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from engine.captured import Capture, CapturedResource
from engine.diff import diff
from lifecycle.upgrade import check_allowed, plan_upgrade
from store import stack_files
from tests.conftest import make_request

NAMESPACE = "kubernetes:core/v1:Namespace"


def stamp(repo, catalog, sites, **overrides):
    resolved = resolve(make_request(blueprint="web-service@2.0.0", **overrides), catalog, sites,
                       stack_files.read_all(repo))
    stack_files.write_stack(repo, resolved)
    return resolved


def by_type(upgrade, type_token):
    return [c for c in upgrade.diff.changes if c.type == type_token]


@pytest.mark.parametrize("target", ["aws", "vsphere"])
def test_2_1_0_keeps_the_namespace_through_its_alias_and_loses_nothing(repo, catalog, sites, target):
    stack = stamp(repo, catalog, sites, target=target, env="prod")
    upgrade = plan_upgrade(repo, stack, "web-service@2.1.0", catalog, sites)
    (ns,) = by_type(upgrade, NAMESPACE)
    assert ns.action == "update" and ns.previous_urn and ns.previous_urn.endswith("::payments-prod-tenancy-ns"), (
        f"{ns.urn}: expected an in-place update carried by the alias, got {ns.action} from {ns.previous_urn}")
    assert not upgrade.data_losing, f"data-losing: {[c.urn for c in upgrade.diff.data_losing]}"
    assert not [c for c in upgrade.diff.changes if c.action in ("create", "delete")], (
        f"2.0.0 -> 2.1.0 should create or delete nothing: {[(c.action, c.urn) for c in upgrade.diff.changes if c.action in ('create', 'delete')]}")


def test_postgres_17_on_rds_is_an_in_place_major_upgrade_with_an_honest_note(repo, catalog, sites):
    stack = stamp(repo, catalog, sites, target="aws", env="prod")
    upgrade = plan_upgrade(repo, stack, "2.1.0", catalog, sites)
    (db,) = by_type(upgrade, "aws:rds/instance:Instance")
    assert db.action == "update" and "engineVersion" in db.properties, f"{db.urn}: {db.action} {db.properties}"
    assert any("major engine upgrade 16 -> 17" in n for n in db.notes), f"{db.urn}: notes {db.notes}"
    (params,) = by_type(upgrade, "aws:rds/parameterGroup:ParameterGroup")
    assert params.action == "replace" and params.replace_because == ("family",), f"{params.urn}: {params}"
    assert upgrade.after.parameters["postgres_version"] == "17"


def test_postgres_17_on_cloudnativepg_changes_the_image_with_the_offline_upgrade_note(repo, catalog, sites):
    stack = stamp(repo, catalog, sites, target="vsphere", env="prod", region=None, site="ny1")
    upgrade = plan_upgrade(repo, stack, "2.1.0", catalog, sites)
    (pg,) = by_type(upgrade, "kubernetes:postgresql.cnpg.io/v1:Cluster")
    assert pg.action == "update" and "spec.imageName" in pg.properties, f"{pg.urn}: {pg.action} {pg.properties}"
    assert any("major PostgreSQL upgrade 16 -> 17" in n and "pg_upgrade" in n for n in pg.notes), f"{pg.urn}: {pg.notes}"


def test_a_chosen_postgres_version_is_kept(repo, catalog, sites):
    stack = stamp(repo, catalog, sites, target="aws", parameters={"postgres_version": "16"})
    upgrade = plan_upgrade(repo, stack, "2.1.0", catalog, sites)
    assert upgrade.after.parameters["postgres_version"] == "16"
    assert not by_type(upgrade, "aws:rds/instance:Instance") or all(
        "engineVersion" not in c.properties for c in by_type(upgrade, "aws:rds/instance:Instance"))


@pytest.mark.parametrize("target", ["aws", "vsphere"])
def test_without_the_alias_the_rename_deletes_the_namespace_and_is_refused(repo, catalog, sites, target, monkeypatch):
    import components.team_blueprint

    monkeypatch.setattr(components.team_blueprint, "alias_moves", lambda moves, stack: lambda args: None)
    stack = stamp(repo, catalog, sites, target=target, env="prod")
    upgrade = plan_upgrade(repo, stack, "2.1.0", catalog, sites)
    actions = sorted((c.action, c.urn.rsplit("::", 1)[-1]) for c in by_type(upgrade, NAMESPACE))
    assert actions == [("create", "payments-prod-tenancy-namespace"), ("delete", "payments-prod-tenancy-ns")], actions
    assert [c.urn for c in upgrade.diff.data_losing] == [c.urn for c in by_type(upgrade, NAMESPACE) if c.action == "delete"]
    with pytest.raises(BadInput, match="loses data.*delete urn:.*tenancy-ns.*--accept-data-loss"):
        check_allowed(upgrade, accept_data_loss=False, force=False)
    check_allowed(upgrade, accept_data_loss=True, force=False)


def _resource(urn: str, type_: str, inputs: dict, aliases: tuple[str, ...] = ()) -> CapturedResource:
    return CapturedResource(urn=urn, type=type_, name=urn.rsplit("::", 1)[-1], parent=None, custom=True, inputs=inputs,
                            outputs={}, protect=False, dependencies=(), provider=None, ignore_changes=(),
                            delete_before_replace=False, retain_on_delete=False, aliases=aliases)


def test_a_replace_forcing_change_on_a_database_is_data_losing():
    urn = "urn:pulumi:s::p::aws:rds/instance:Instance::db"
    before = Capture("s", [_resource(urn, "aws:rds/instance:Instance", {"identifier": "a", "engineVersion": "16"})])
    after = Capture("s", [_resource(urn, "aws:rds/instance:Instance", {"identifier": "b", "engineVersion": "16"})])
    (change,) = diff(before, after).changes
    assert (change.action, change.replace_because, change.data_losing) == ("replace", ("identifier",), True), change


def test_nested_replace_paths_and_unchanged_resources():
    urn = "urn:pulumi:s::p::kubernetes:postgresql.cnpg.io/v1:Cluster::pg"
    old = _resource(urn, "kubernetes:postgresql.cnpg.io/v1:Cluster", {"metadata": {"name": "pg"}, "spec": {"instances": 1}})
    same = Capture("s", [old])
    assert diff(same, same).changes == (), "an unchanged render must diff to nothing"
    renamed = _resource(urn, old.type, {"metadata": {"name": "pg2"}, "spec": {"instances": 3}})
    (change,) = diff(same, Capture("s", [renamed])).changes
    assert change.action == "replace" and change.replace_because == ("metadata.name",), change
    assert change.properties == ("metadata.name", "spec.instances"), change


def test_bp_upgrade_dry_run_writes_nothing_and_the_real_run_rewrites_the_file(repo, catalog, sites, bp):
    stamped = stamp(repo, catalog, sites, target="vsphere", site="ny1")
    path = stack_files.stack_path(repo, "payments-dev")
    path.write_text(path.read_text().replace("config:\n", "config:\n  team:note: keep me  # and this comment\n", 1))
    before = path.read_text()

    dry = bp("upgrade", "payments-dev", "--to", "web-service@2.1.0", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["data_losing"] is False
    assert path.read_text() == before, "--dry-run must not write"

    real = bp("upgrade", "payments-dev", "--to", "web-service@2.1.0")
    assert real.exit_code == 0, real.output
    assert "payments-dev-tenancy-namespace" in real.output and "moved from" in real.output, real.output
    after = path.read_text()
    assert "team:note: keep me  # and this comment" in after, "a foreign key and its comment must survive"
    assert stack_files.read_stack(path).blueprint_ref == "web-service@2.1.0"
    assert "from web-service@2.1.0:" in after.splitlines()[0]
    assert stack_files.read_stack(path).placements == stamped.placements, "placement and network must be kept"

    again = bp("upgrade", "payments-dev", "--to", "web-service@2.0.0")
    assert again.exit_code == 2 and "not an upgrade (pass --force)" in again.output, again.output


def test_bp_upgrade_bad_target_is_one_line_exit_2(repo, catalog, sites, bp):
    stamp(repo, catalog, sites, target="aws")
    for to, message in (("vm-app@1.0.0", "another blueprint"), ("web-service@9.9.9", "has no version 9.9.9")):
        result = bp("upgrade", "payments-dev", "--to", to)
        assert result.exit_code == 2 and message in result.output, result.output


def test_eks_moves_one_kubernetes_minor_at_a_time(catalog, sites, monkeypatch):
    """k8s-cluster 1.0.0 (1.31) -> 1.1.0 (1.34) on EKS is refused as EKS refuses it, naming the hops; VKS is not EKS."""
    from blueprints.placement.resolve import resolve, restamp
    from lifecycle.upgrade import eks_minor_jump
    from tests.conftest import make_request

    monkeypatch.setenv("BP_TODAY", "2026-01-05")  # before 1.31's end, so it can still be stamped
    for target in ("aws", "vsphere"):
        old = resolve(make_request(team=f"k{target[0]}", blueprint="k8s-cluster@1.0.0", target=target), catalog, sites)
        new = restamp(old, "k8s-cluster@1.1.0", catalog, sites, [old])
        reason = eks_minor_jump(old, new)
        if target == "vsphere":
            assert reason is None
            continue
        assert reason and "1.31 -> 1.34 needs 1.32, 1.33 first" in reason, reason
        one_minor = new.model_copy(update={"spec": new.spec.model_copy(update={"kubernetes_version": "1.32"}),
                                           "decisions": new.decisions.model_copy(update={"kubernetes_version": "1.32"})})
        assert eks_minor_jump(old, one_minor) is None
