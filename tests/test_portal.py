"""bp portal export: templates and entities valid against Backstage's published schemas; a template's form accepts
and refuses what `bp new` accepts and refuses; re-exports remove only what they wrote.

One rule is looser in the form by design: the owner's e-mail address is checked for its shape, and `bp new` (the
template's dry-run step) applies email-validator's full rules."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft7Validator

from portal.export import export, files
from portal.templates import Publishing, parameters
from store.outputs import MANIFEST
from store.stack_files import read_all
from tests.backstage_schema import errors, naming_errors
from tests.conftest import ROOT, SESSION_DAY

PUB = Publishing("acme", "cloud-blueprints")


def exported(catalog, sites, stacks) -> dict[str, dict]:
    out = files(catalog, sites, stacks, PUB, "cloud-blueprints", "https://reports.example.com")
    return {rel: yaml.safe_load(text) for rel, text in out.items() if "/skeleton/" not in rel}


@pytest.fixture(scope="module")
def demo(catalog, sites):
    return exported(catalog, sites, read_all(ROOT))


def test_every_template_and_entity_is_valid_against_backstage_schemas(demo):
    kinds = sorted({doc["kind"] for doc in demo.values()})
    assert kinds == ["Domain", "Location", "Resource", "System", "Template"]
    for rel, doc in demo.items():
        assert errors(doc) == [], rel
        assert naming_errors(doc) == [], rel
    assert naming_errors({"metadata": {"name": "web service", "tags": ["Web"], "annotations": {"x/y z": ""}}}) == [
        "name 'web service'", "tag 'Web'", "annotation 'x/y z'"]


def test_the_vendored_schemas_refuse_what_backstage_refuses(demo):
    template = json.loads(json.dumps(demo["templates/web-service-2.1.0/template.yaml"]))
    del template["spec"]["steps"][2]["action"]
    assert any("'action' is a required property" in e for e in errors(template))
    resource = json.loads(json.dumps(demo["entities/resource-payments-prod.yaml"]))
    resource["spec"].pop("owner")
    assert errors(resource) == ["spec: 'owner' is a required property"]


def test_one_template_per_requestable_version_with_lifecycle_and_successor(demo, catalog):
    names = {doc["metadata"]["name"] for doc in demo.values() if doc["kind"] == "Template"}
    assert names == {f"{e.name}-{e.version}" for e in catalog.entries if e.audience == "application-team"}
    # data-platform 1.0.0 promises Kubernetes 1.31: EKS support ended on 2026-11-26, so only vSphere is offered.
    assert demo["templates/data-platform-1.0.0/template.yaml"]["spec"]["parameters"]["properties"]["target"]["enum"] == [
        "vsphere"]
    old = demo["templates/web-service-1.0.0/template.yaml"]
    assert old["spec"]["lifecycle"] == "deprecated"
    assert "web-service@2.0.0" in old["metadata"]["description"] or "web-service@2.1.0" in old["metadata"]["description"]
    assert demo["templates/web-service-2.1.0/template.yaml"]["spec"]["lifecycle"] == "production"


def test_template_steps_dry_run_before_stamping_then_pull_request_and_register(demo):
    steps = demo["templates/web-service-2.1.0/template.yaml"]["spec"]["steps"]
    actions = [s["action"] for s in steps]
    assert actions == ["fetch:plain", "fetch:template", "cloudBlueprints:bp", "cloudBlueprints:bp",
                       "publish:github:pull-request", "catalog:register"]
    assert steps[2]["input"]["args"][-1] == "--dry-run" and "--dry-run" not in steps[3]["input"]["args"]
    assert steps[4]["input"]["repoUrl"] == "github.com?owner=acme&repo=cloud-blueprints"
    links = demo["templates/web-service-2.1.0/template.yaml"]["spec"]["output"]["links"]
    assert links[0]["url"] == "${{ steps.publish.output.remoteUrl }}"


def test_stack_resource_carries_owner_system_lifecycle_dependencies_annotations_and_links(demo):
    res = demo["entities/resource-payments-prod.yaml"]
    assert res["spec"]["owner"] == "group:default/team-payments" and res["spec"]["system"] == "payments"
    assert res["spec"]["lifecycle"] == "production"
    assert res["spec"]["dependsOn"] == ["resource:default/payments-prod-postgres", "resource:default/payments-prod-redis"]
    notes = res["metadata"]["annotations"]
    assert notes["cloud-blueprints.io/stack-file"] == "stacks/Pulumi.payments-prod.yaml"
    assert notes["cloud-blueprints.io/blueprint"] == "web-service@2.1.0"
    assert notes["cloud-blueprints.io/pulumi-project"] == "cloud-blueprints"
    assert [link["title"] for link in res["metadata"]["links"]] == ["Audit report", "Runbook"]
    assert demo["entities/resource-checkout-dev.yaml"]["spec"]["lifecycle"] == "experimental"
    # Every entity a stack depends on is exported too.
    for ref in res["spec"]["dependsOn"]:
        assert f"entities/resource-{ref.rsplit('/', 1)[1]}.yaml" in demo
    assert demo["entities/system-payments.yaml"]["spec"]["domain"] == "general"
    assert {doc["metadata"]["name"] for doc in demo.values() if doc["kind"] == "Domain"} == {"general", "pci", "sox", "hipaa"}


def test_location_lists_every_exported_entity(demo):
    targets = demo["catalog-info.yaml"]["spec"]["targets"]
    assert sorted(t.removeprefix("./") for t in targets) == sorted(rel for rel in demo if rel != "catalog-info.yaml")


def test_re_export_is_idempotent_and_removes_only_what_it_wrote(catalog, sites, tmp_path):
    stacks = read_all(ROOT)
    out = tmp_path / "portal"
    wanted = files(catalog, sites, stacks, PUB, "cloud-blueprints", None)
    assert export(out, wanted, ROOT) == (len(wanted), 0)
    first = {p: p.read_text() for p in out.rglob("*") if p.is_file()}
    assert export(out, wanted, ROOT) == (len(wanted), 0)
    assert {p: p.read_text() for p in out.rglob("*") if p.is_file()} == first, "a re-export changes nothing"
    (out / "mine.yaml").write_text("kind: Component\n")          # somebody else's file
    after = files(catalog, sites, [s for s in stacks if s.stack != "checkout-dev"], PUB, "cloud-blueprints", None)
    gone = {"entities/resource-checkout-dev.yaml", "entities/resource-checkout-dev-postgres.yaml",
            "entities/resource-checkout-dev-redis.yaml", "entities/system-checkout.yaml"}
    assert set(wanted) - set(after) == gone
    assert export(out, after, ROOT) == (len(after), len(gone))
    assert not any((out / rel).exists() for rel in gone)
    assert (out / "mine.yaml").read_text() == "kind: Component\n"
    assert set(json.loads((out / MANIFEST).read_text())["files"]) == set(after)


def test_export_never_overwrites_a_file_it_did_not_write(bp, repo, tmp_path):
    out = tmp_path / "portal"
    (out / "entities").mkdir(parents=True)
    (out / "entities" / "domain-pci.yaml").write_text("kind: Domain\n")
    result = bp("portal", "export", "--out", str(out), "--github", "acme/cloud-blueprints")
    assert result.exit_code == 2 and "domain-pci.yaml" in result.output
    assert not (out / MANIFEST).exists() and not (out / "catalog-info.yaml").exists()
    assert (out / "entities" / "domain-pci.yaml").read_text() == "kind: Domain\n"
    assert bp("portal", "export", "--out", str(out), "--github", "acme").exit_code == 2
    assert bp("portal", "export", "--out", str(repo), "--github", "acme/cloud-blueprints").exit_code == 2


# --- the form and `bp new` agree ---------------------------------------------------------------------------

BASE = {"team": "payments", "env": "dev", "blueprint": "web-service@2.1.0", "region": "amer",
        "owner": "lead@example.com", "cost_center": "CC-1"}
CASES = [
    ({}, True),
    ({"target": "aws", "size": "L"}, True),
    ({"data_services": [{"kind": "postgres", "size": "M"}]}, True),
    ({"parameters": {"postgres_version": "16", "ingress_namespace": "edge"}}, True),
    ({"env": "prod", "compliance_zone": "general", "contact": "#payments-oncall"}, True),
    ({"region": None, "site": "ny1"}, True),
    ({"blueprint": "data-platform@1.0.0", "target": "vsphere", "data_services": [{"kind": "postgres"}]}, True),
    ({"blueprint": "data-platform@1.0.0", "target": "aws", "data_services": [{"kind": "postgres"}]}, False),
    ({"team": "Payments"}, False),
    ({"team": "p"}, False),
    ({"team": "p" * 25}, True),
    ({"team": "p" * 26}, False),
    ({"team": "-pay"}, False),
    ({"team": "9pay"}, False),
    ({"team": "pay--ments"}, False),
    ({"team": "sg-pay"}, False),
    ({"env": "qa"}, False),
    ({"size": "XXL"}, False),
    ({"target": "gcp"}, False),
    ({"owner": "nobody"}, False),
    ({"cost_center": "x"}, False),
    ({"cost_center": "CC-1234567"}, False),
    ({"region": "mars"}, False),
    ({"region": None}, False),
    ({"data_services": [{"kind": "kafka"}]}, False),
    ({"data_services": [{"kind": "postgres", "size": "XXL"}]}, False),
    ({"parameters": {"postgres_version": "14"}}, False),
    ({"parameters": {"colour": "blue"}}, False),
    ({"parameters": {"ingress_namespace": "Bad_NS"}}, False),
    ({"compliance_zone": "secret"}, False),
    ({"contact": "   "}, False),
    ({"colour": "blue"}, False),
]


def _case(change: dict) -> dict:
    request = {**BASE, **change}
    return {k: v for k, v in request.items() if v is not None}


@pytest.mark.parametrize("change, good", CASES, ids=[json.dumps(c) for c, _ in CASES])
def test_template_form_and_bp_new_accept_and_refuse_the_same_requests(catalog, sites, bp, repo, change, good):
    request = _case(change)
    form = Draft7Validator(parameters(catalog.get(request["blueprint"]), sites, SESSION_DAY))
    form_ok = not list(form.iter_errors(request))
    path = repo / "request.yaml"
    path.write_text(yaml.safe_dump(request))
    result = bp("new", request["team"], "--from", str(path), "--dry-run")
    assert result.exit_code in (0, 2), result.output
    assert (form_ok, result.exit_code == 0) == (good, good), result.output


def test_form_is_the_request_schema_narrowed(catalog, sites):
    form = parameters(catalog.get("web-service@2.1.0"), sites, SESSION_DAY)
    props = form["properties"]
    assert props["blueprint"]["const"] == "web-service@2.1.0"
    assert props["data_services"]["items"]["properties"]["kind"]["enum"] == ["postgres", "redis"]
    assert props["parameters"]["properties"]["postgres_version"]["enum"] == ["15", "16", "17"]
    assert set(form["required"]) == {"team", "env", "blueprint", "owner", "cost_center"}


def test_a_version_whose_cluster_is_unsupported_on_every_target_gets_no_template(catalog, sites):
    from datetime import date

    from blueprints.support import SupportWindow
    from portal.export import requestable

    entry = catalog.get("data-platform@1.0.0")
    assert entry in requestable(catalog, sites, SESSION_DAY), "still offered on vSphere"
    ended = SupportWindow(end_of_support=date(2026, 1, 1), source="https://example.com/vks-calendar")
    calendar = {**sites.support.calendar,
                "vks": {**sites.support.calendar.get("vks", {}), entry.spec.kubernetes_version: ended}}
    gone = sites.model_copy(update={"support": sites.support.model_copy(update={"calendar": calendar})})
    assert entry not in requestable(catalog, gone, SESSION_DAY)
    assert catalog.get("data-platform@1.1.0") in requestable(catalog, gone, SESSION_DAY)
