"""OSCAL assessment results and component definition: valid against NIST's 1.2.1 schemas, and saying what the audit found."""

from __future__ import annotations

import copy
import json

import pytest

from audit import oscal
from audit.attest import sha256_file
from policy_packs.controls import NIST
from tests.oscal_schema import errors


def _document(report, repo) -> dict:
    return json.loads(oscal.to_json(oscal.assessment_results(report, repo)))["assessment-results"]


def _by_title(items: list[dict]) -> dict[str, dict]:
    return {i["title"]: i for i in items}


@pytest.mark.parametrize("name", ["passing_report", "failing_report", "exempted_report"])
def test_assessment_results_are_schema_valid(request, evidence_repo, name):
    report = request.getfixturevalue(name)
    document = json.loads(oscal.to_json(oscal.assessment_results(report, evidence_repo)))
    assert errors(document, "assessment-results") == []
    (result,) = document["assessment-results"]["results"]
    assert len(result["observations"]) == len(report.policies) * len(report.results)


def test_the_schema_check_has_teeth(evidence_repo, failing_report):
    document = json.loads(oscal.to_json(oscal.assessment_results(failing_report, evidence_repo)))
    broken = copy.deepcopy(document)
    broken["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = "mostly"
    broken["assessment-results"]["results"][0]["observations"][0]["props"][0]["name"] = "two words"
    found = errors(broken, "assessment-results")
    assert len(found) == 2 and any("mostly" in e for e in found) and any("two words" in e for e in found)


def test_all_pass_satisfies_every_control(evidence_repo, passing_report):
    result = _document(passing_report, evidence_repo)["results"][0]
    states = {f["target"]["target-id"]: f["target"]["status"]["state"] for f in result["findings"]}
    nist = {oscal.control_id(c) for p in passing_report.policies.values() for c in p.controls.get(NIST, ())}
    assert set(states) == {f"{c}_obj" for c in nist} and set(states.values()) == {"satisfied"}
    reviewed = result["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert {c["control-id"] for c in reviewed} == nist
    assert {p["class"] for p in result["reviewed-controls"]["props"]} >= {"cis-aws", "pci-dss", "soc2"}


def test_a_failing_policy_leaves_its_controls_not_satisfied(evidence_repo, failing_report):
    result = _document(failing_report, evidence_repo)["results"][0]
    meta = failing_report.policies["aws-rds-instance-storage-encrypted"]
    control = oscal.control_id(meta.controls[NIST][0])
    finding = next(f for f in result["findings"] if f["target"]["target-id"] == f"{control}_obj")
    assert finding["target"]["status"]["state"] == "not-satisfied"
    assert "aws-rds-instance-storage-encrypted on insecure-dev" in finding["description"]
    observation = _by_title(result["observations"])["aws-rds-instance-storage-encrypted on insecure-dev"]
    assert observation["methods"] == ["TEST"]
    assert {"result": "fail"}.items() <= {p["name"]: p["value"] for p in observation["props"]}.items()
    urn = next(f.urn for f in failing_report.findings if f.policy == "aws-rds-instance-storage-encrypted")
    subjects = {s["title"]: s["type"] for s in observation["subjects"]}
    assert subjects == {"insecure-dev": "component", urn: "inventory-item"}


def test_evidence_is_the_stack_file_by_sha256(evidence_repo, failing_report):
    document = _document(failing_report, evidence_repo)
    resources = {f"#{r['uuid']}": r for r in document["back-matter"]["resources"]}
    observation = document["results"][0]["observations"][0]
    (evidence,) = observation["relevant-evidence"]
    (link,) = resources[evidence["href"]]["rlinks"]
    assert link["href"] == "stacks/Pulumi.insecure-dev.yaml"
    assert link["hashes"] == [{"algorithm": "SHA-256", "value": sha256_file(evidence_repo / link["href"])}]
    assert document["import-ap"]["href"] in resources


def test_exemptions_are_findings_naming_approver_ticket_and_expiry(evidence_repo, exempted_report):
    result = _document(exempted_report, evidence_repo)["results"][0]
    exemption = _by_title(result["findings"])["Exemption RISK-101: aws-rds-instance-not-public"]
    e = exempted_report.exemption("RISK-101:aws-rds-instance-not-public")
    assert "ciso@example.com" in exemption["remarks"] and "RISK-101" in exemption["remarks"]
    assert e.expires.isoformat() in exemption["remarks"]
    assert {p["name"]: p["value"] for p in exemption["props"]} == {
        "ticket": "RISK-101", "approver": "ciso@example.com", "expires": e.expires.isoformat()}
    observation = _by_title(result["observations"])["aws-rds-instance-not-public on insecure-dev"]
    assert [r["observation-uuid"] for r in exemption["related-observations"]] == [observation["uuid"]]
    titles = {f["title"] for f in result["findings"]}
    assert not any(t.startswith("Exemption RISK-102") for t in titles), "an expired exemption exempts nothing"


def test_control_ids_follow_the_nist_catalog():
    assert oscal.control_id("SC-28(1)") == "sc-28.1" and oscal.control_id("AC-6(10)") == "ac-6.10"
    assert oscal.control_id("CM-8") == "cm-8"


def test_component_definition_lists_every_policy(failing_report):
    document = json.loads(oscal.to_json(oscal.component_definition(failing_report.policies)))
    assert errors(document, "component-definition") == []
    components = document["component-definition"]["components"]
    rules = {p["value"] for c in components for p in c["props"] if p["name"] == "Rule_Id"}
    assert rules == set(failing_report.policies)
    implemented = {(p["value"], r["control-id"]) for c in components for ci in c["control-implementations"]
                   for r in ci["implemented-requirements"] for p in r["props"] if p["name"] == "Rule_Id"}
    expected = {(p.name, oscal.control_id(c)) for p in failing_report.policies.values() for c in p.controls.get(NIST, ())}
    assert implemented == expected


def test_a_stack_that_could_not_be_audited_is_a_remark_and_still_valid(tmp_path, failing_report):
    from audit.run import AuditReport, StackResult

    broken = StackResult("gone-dev", "stacks/Pulumi.gone-dev.yaml", error="the program failed")
    report = AuditReport([broken], failing_report.policies, [], [], "")
    document = json.loads(oscal.to_json(oscal.assessment_results(report, tmp_path)))
    assert errors(document, "assessment-results") == []
    (result,) = document["assessment-results"]["results"]
    assert "gone-dev: the program failed" in result["remarks"] and "observations" not in result
    assert {f["target"]["status"]["state"] for f in result["findings"]} == {"not-satisfied"}
