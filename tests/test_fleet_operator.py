"""`bp fleet operator-manifests`: every Stack valid against the operator's CRD; platform objects; settings; files."""

from __future__ import annotations

import copy

import jsonschema
import pytest
from ruamel.yaml import YAML

from fleet.operator import manifests, stack_resource
from fleet.operator_files import settings_from
from tests.fleet_support import stamp_fleet, write_fleet
from tests.kube_schema import CrdValidator, crd_schemas


@pytest.fixture(scope="module")
def stack_schema() -> dict:
    return crd_schemas()[("pulumi.com/v1", "Stack")]


def _validate(resource: dict, schema: dict) -> None:
    assert resource["apiVersion"] == "pulumi.com/v1" and resource["kind"] == "Stack"
    CrdValidator(schema).validate(resource)
    # The CRD's CEL rule, which jsonschema cannot run.
    assert len(resource["metadata"]["name"]) <= 42, resource["metadata"]["name"]


@pytest.fixture(scope="module")
def fleet(catalog, sites):
    return stamp_fleet(catalog, sites, 24)


def test_every_generated_stack_is_valid_against_the_operator_crd(fleet, sites, stack_schema):
    result = manifests(fleet, settings_from(sites))
    assert [s["metadata"]["name"] for s in result.stacks] == sorted(bp.stack for bp in fleet)
    for resource in result.stacks:
        _validate(resource, stack_schema)
    preview = manifests(fleet, settings_from(sites), preview=True, branch="pr-42")
    for resource in preview.stacks:
        _validate(resource, stack_schema)


def test_an_unknown_field_or_a_wrong_type_fails_the_crd(fleet, sites, stack_schema):
    good = stack_resource(fleet[0], settings_from(sites))
    typo = copy.deepcopy(good)
    typo["spec"]["destroyOnFinalise"] = False
    with pytest.raises(jsonschema.ValidationError, match="destroyOnFinalise"):
        _validate(typo, stack_schema)
    wrong = copy.deepcopy(good)
    wrong["spec"]["resyncFrequencySeconds"] = "600"
    with pytest.raises(jsonschema.ValidationError, match="'600' is not of type 'integer'"):
        _validate(wrong, stack_schema)
    deep = copy.deepcopy(good)
    deep["spec"]["workspaceTemplate"]["spec"]["resources"]["requests"]["cpu"] = "one"
    with pytest.raises(jsonschema.ValidationError, match="'one'"):
        _validate(deep, stack_schema)


def test_a_stack_deploys_its_own_stack_file_with_credentials_by_reference(fleet, sites):
    settings = settings_from(sites)
    aws = next(bp for bp in fleet if bp.primary.target == "aws")
    spec = stack_resource(aws, settings)["spec"]
    assert spec["stack"] == aws.stack and spec["projectRepo"] == settings.project_repo
    assert spec["branch"] == settings.branch and spec["repoDir"] == settings.repo_dir
    assert spec["serviceAccountName"] == settings.service_account
    assert spec["destroyOnFinalize"] is False and "preview" not in spec
    assert spec["resyncFrequencySeconds"] == settings.resync_seconds
    refs = spec["envRefs"]
    assert refs["PULUMI_BACKEND_URL"] == {"type": "Secret", "secret": {"name": settings.backend.secret, "key": "url"}}
    assert set(refs) >= set(settings.credentials["aws"].keys) and not set(refs) & set(settings.credentials["vsphere"].keys)
    assert all(ref["type"] == "Secret" for ref in refs.values()), "credentials only by reference, never literal"
    assert spec["workspaceTemplate"]["spec"]["resources"]["requests"]["memory"] == settings.workspace.memory


def test_a_stack_whose_program_rotates_a_password_is_re_run_at_an_unchanged_commit(fleet, sites):
    """Redis on Kubernetes rotates its password at the first run after the rotation time; nothing else re-runs it."""
    settings = settings_from(sites)
    rotating = [bp for bp in fleet if bp.primary.target == "vsphere" and "redis" in {d.kind for d in bp.data_services}]
    others = [bp for bp in fleet if bp not in rotating]
    assert rotating and others
    for bp in rotating:
        assert stack_resource(bp, settings)["spec"]["continueResyncOnCommitMatch"] is True, bp.stack
        assert "continueResyncOnCommitMatch" not in stack_resource(bp, settings, preview=True)["spec"], bp.stack
    for bp in others:
        assert "continueResyncOnCommitMatch" not in stack_resource(bp, settings)["spec"], bp.stack


def test_preview_only_stacks_go_to_their_own_namespace_and_branch(fleet, sites):
    settings = settings_from(sites)
    result = manifests(fleet, settings, preview=True, branch="feature/payments")
    assert {s["metadata"]["namespace"] for s in result.stacks} == {settings.preview_namespace}
    assert all(s["spec"]["preview"] is True and s["spec"]["branch"] == "feature/payments" for s in result.stacks)
    assert result.platform[0] == {"apiVersion": "v1", "kind": "Namespace",
                                  "metadata": {"name": settings.preview_namespace,
                                               "labels": {"app.kubernetes.io/managed-by": "cloud-blueprints"}}}


def test_the_workspace_service_account_is_an_auth_delegator(fleet, sites):
    settings = settings_from(sites)
    kinds = {doc["kind"]: doc for doc in manifests(fleet, settings).platform}
    assert set(kinds) == {"Namespace", "ServiceAccount", "ClusterRoleBinding", "NetworkPolicy"}
    binding = kinds["ClusterRoleBinding"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "system:auth-delegator"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": settings.service_account,
                                    "namespace": settings.namespace}]
    assert kinds["ServiceAccount"]["metadata"] == {"name": settings.service_account, "namespace": settings.namespace,
                                                   "labels": {"app.kubernetes.io/managed-by": "cloud-blueprints"}}


def test_platform_objects_are_valid_kubernetes(fleet, sites):
    import kubernetes_validate

    for doc in manifests(fleet, settings_from(sites)).platform:
        kubernetes_validate.validate(doc, "1.31", strict=True)


def test_cli_writes_a_kustomize_folder_and_removes_stale_stacks(bp, repo, fleet, stack_schema, tmp_path):
    write_fleet(repo, fleet[:6])
    out = tmp_path / "ops"
    (out / "stacks").mkdir(parents=True)
    (out / "stacks" / "my-notes.yaml").write_text("mine\n")
    assert bp("fleet", "operator-manifests", "--out", str(out)).exit_code == 0
    gone = sorted(fleet[:6], key=lambda b: b.stack)[-1].stack
    (repo / "stacks" / f"Pulumi.{gone}.yaml").unlink()
    result = bp("fleet", "operator-manifests", "--out", str(out), "--branch", "release")
    assert result.exit_code == 0, result.output
    assert "removed 1 stale" in result.output
    assert not (out / "stacks" / f"{gone}.yaml").exists()
    assert (out / "stacks" / "my-notes.yaml").read_text() == "mine\n", "a file bp did not write was touched"
    yaml = YAML(typ="safe")
    kustomization = yaml.load(out / "kustomization.yaml")
    assert kustomization["resources"] == ["platform.yaml", *(f"stacks/{bp.stack}.yaml" for bp in sorted(
        fleet[:5], key=lambda b: b.stack))]
    assert not (out / "stacks" / "gone-dev.yaml").exists()
    for path in sorted(set((out / "stacks").glob("*.yaml")) - {out / "stacks" / "my-notes.yaml"}):
        stack = yaml.load(path)
        _validate(stack, stack_schema)
        assert stack["spec"]["branch"] == "release"


def test_options_override_the_sites_map_and_bad_settings_are_bad_input(bp, repo, fleet):
    write_fleet(repo, fleet[:1])
    result = bp("fleet", "operator-manifests", "--project-repo", "https://git.example.org/x/y.git",
                "--organization", "acme")
    assert result.exit_code == 0, result.output
    assert "projectRepo: https://git.example.org/x/y.git" in result.stdout
    assert f"stack: acme/{fleet[0].stack}" in result.stdout
    bad = bp("fleet", "operator-manifests", "--project-repo", "not-a-url")
    assert bad.exit_code == 2 and "--project-repo" in bad.output and "not a git URL" in bad.output


def test_without_an_operator_section_the_repository_url_is_asked_for(sites):
    from blueprints.errors import BadInput

    bare = sites.model_copy(update={"operator": None})
    with pytest.raises(BadInput, match=r"operator\.project_repo.*Field required"):
        settings_from(bare)


def test_the_vendored_crd_is_the_release_the_sites_map_targets(sites, stack_schema):
    from tests.kube_schema import CRD_DIR

    release = settings_from(sites).release
    assert (CRD_DIR / f"pulumi-kubernetes-operator-{release}_pulumi.com_stacks.yaml").is_file(), release
    # Preview-only Stacks rest on spec.preview; a CRD without it would prune the field and run `pulumi up`.
    assert stack_schema["properties"]["spec"]["properties"]["preview"]["type"] == "boolean"


def test_an_operator_release_without_spec_preview_is_refused():
    from pydantic import ValidationError

    from blueprints.fleet_operator_settings import OperatorSettings

    base = {"project_repo": "https://git.example.com/x.git", "backend": {"secret": "b", "keys": {"A": "a"}}}
    assert OperatorSettings.model_validate({**base, "release": "v2.3.0"}).release == "v2.3.0"
    with pytest.raises(ValidationError, match="v2.2.0 has no spec.preview"):
        OperatorSettings.model_validate({**base, "release": "v2.2.0"})


def _secrets(resources: list[dict]) -> set[str]:
    return {ref["secret"]["name"] for r in resources if r["kind"] == "Stack" for ref in r["spec"]["envRefs"].values()}


def test_preview_only_stacks_hold_no_deploy_secret_and_run_as_their_own_account(fleet, sites):
    settings = settings_from(sites)
    deploy, preview = manifests(fleet, settings), manifests(fleet, settings, preview=True, branch="pr-42")
    assert _secrets(deploy.stacks) and _secrets(preview.stacks), "no Secret referenced: the check proved nothing"
    assert not _secrets(deploy.stacks) & _secrets(preview.stacks), "a preview Stack can read a deploy Secret"
    assert {s["spec"]["serviceAccountName"] for s in preview.stacks} == {settings.preview.service_account}
    accounts = [r for r in preview.platform if r["kind"] == "ServiceAccount"]
    assert [a["metadata"]["name"] for a in accounts] == [settings.preview.service_account]
    assert {r["metadata"]["namespace"] for r in preview.platform if "namespace" in r["metadata"]} == {
        settings.preview_namespace}, "preview objects outside their namespace"
    # Nothing grants the preview account anything in the deploy namespace (where the deploy Secrets are).
    for binding in (r for r in preview.platform if r["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        assert binding["roleRef"]["name"] == "system:auth-delegator", binding["metadata"]["name"]


def test_preview_manifests_without_a_read_only_identity_are_refused(fleet, sites):
    from blueprints.errors import BadInput
    from blueprints.fleet_operator_settings import OperatorSettings

    settings = settings_from(sites)
    bare = OperatorSettings.model_validate({**settings.model_dump(), "preview": None})
    assert manifests(fleet, bare).stacks, "deploy manifests need no preview identity"
    with pytest.raises(BadInput, match="operator.preview"):
        manifests(fleet, bare, preview=True, branch="pr-42")


def test_a_preview_identity_reusing_a_deploy_secret_is_refused(sites):
    from pydantic import ValidationError

    from blueprints.fleet_operator_settings import OperatorSettings

    data = settings_from(sites).model_dump()
    data["preview"]["credentials"]["aws"]["secret"] = data["credentials"]["aws"]["secret"]
    with pytest.raises(ValidationError, match="reuses the deploy Secret"):
        OperatorSettings.model_validate(data)


def test_patch_waves_chain_the_stacks_with_prerequisites_the_crd_accepts(fleet, sites, stack_schema):
    from fleet.operator import chained

    stacks = manifests(fleet, settings_from(sites)).stacks
    names = sorted(s["metadata"]["name"] for s in stacks)
    waves = [tuple(names[:2]), tuple(names[2:5]), tuple(names[5:6])]
    out = {s["metadata"]["name"]: s for s in chained(stacks, waves, "12h")}
    for s in out.values():
        _validate(s, stack_schema)
    assert "prerequisites" not in out[names[0]]["spec"] and "prerequisites" not in out[names[7]]["spec"]
    assert out[names[2]]["spec"]["prerequisites"] == [
        {"name": n, "requirement": {"succeededWithinDuration": "12h"}} for n in names[:2]]
    assert [p["name"] for p in out[names[5]]["spec"]["prerequisites"]] == names[2:5]


def test_cli_chains_the_stacks_in_the_patch_waves(bp, repo, catalog, sites):
    from tests.test_patch import _old_redis

    write_fleet(repo, [_old_redis(catalog, sites, team) for team in ("alpha", "beta", "gamma")])
    result = bp("fleet", "operator-manifests", "--patch-waves")
    assert result.exit_code == 0, result.output
    docs = [d for d in YAML(typ="safe").load_all(result.stdout) if d and d.get("kind") == "Stack"]
    waiting = [d for d in docs if "prerequisites" in d["spec"]]
    assert len(docs) == 3 and len(waiting) == 2, result.stdout
    assert {p["name"] for d in waiting for p in d["spec"]["prerequisites"]} == {
        d["metadata"]["name"] for d in docs if "prerequisites" not in d["spec"]}


@pytest.mark.parametrize("variable", ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"])
def test_a_preview_identity_holding_a_passphrase_is_refused(sites, variable):
    from pydantic import ValidationError

    from blueprints.fleet_operator_settings import OperatorSettings

    data = settings_from(sites).model_dump()
    OperatorSettings.model_validate(data)
    data["preview"]["backend"]["keys"][variable] = "passphrase"
    with pytest.raises(ValidationError, match=rf"{variable}: a preview Stack runs a pull request's code"):
        OperatorSettings.model_validate(data)


def test_preview_stacks_reference_no_passphrase(fleet, sites):
    stacks = manifests(fleet, settings_from(sites), preview=True, branch="feature/x").stacks
    assert not [s for s in stacks if set(s["spec"]["envRefs"]) & {"PULUMI_CONFIG_PASSPHRASE",
                                                                  "PULUMI_CONFIG_PASSPHRASE_FILE"}]
