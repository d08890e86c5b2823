"""Reports: SARIF 2.1.0 valid against the OASIS schema with exempt findings suppressed, JUnit, JSON, Markdown, and
an HTML page checked in headless Chromium."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from audit.run import Auditor, AuditReport
from engine import run
from reports import audit as reports
from reports import audit_html as report_html
from tests.browser import dump_dom, screenshot
from tests.policy.insecure_program import program
from tests.policy.test_exemptions import FILE

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> AuditReport:
    path = tmp_path_factory.mktemp("ex") / "exemptions.yaml"
    path.write_text(FILE)
    with Auditor(exemptions_file=path, in_process=True) as auditor:
        result = auditor.audit(run(program, stack="insecure-dev"), "stacks/Pulumi.insecure-dev.yaml")
        return AuditReport([result], auditor.policies, auditor.exemptions, auditor.unused_exemptions([result]), str(path))


def test_sarif_is_valid_and_suppresses_exempt_findings(report):
    sarif = json.loads(reports.to_sarif(report))
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(sarif)
    run_ = sarif["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert set(rules) == set(report.policies)
    assert rules["aws-rds-instance-not-public"]["properties"]["controls"]["NIST SP 800-53 rev. 5"]
    assert len(run_["results"]) == len(report.findings)
    exempt = [r for r in run_["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in exempt] == ["aws-rds-instance-not-public"]
    (suppression,) = exempt[0]["suppressions"]
    assert suppression["kind"] == "external" and "Vendor appliance" in suppression["justification"]
    assert suppression["properties"]["approver"] == "ciso@example.com" and suppression["properties"]["expires"]
    locations = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run_["results"]}
    assert locations == {"stacks/Pulumi.insecure-dev.yaml"}
    levels = {r["ruleId"]: r["level"] for r in run_["results"] if not r.get("suppressions")}
    assert levels["aws-rds-instance-storage-encrypted"] == "error" and levels["aws-s3-bucket-versioning"] == "warning"


def test_junit_fails_the_policies_with_mandatory_violations(report):
    suite = ET.fromstring(reports.to_junit(report)).find("testsuite")
    failed = {c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None}
    blocking = {f.policy for f in report.findings if f.blocking}
    assert failed == blocking and int(suite.get("failures")) == len(blocking)
    assert int(suite.get("tests")) == len(report.policies)


def test_json_and_markdown_carry_findings_and_exemptions(report):
    data = json.loads(reports.to_json(report))
    assert data["summary"]["ok"] is False and data["unused_exemptions"] == ["RISK-103:aws-rds-instance-multi-az"]
    statuses = {f["status"] for f in data["stacks"][0]["findings"]}
    assert statuses == {"violation", "exempt"}
    md = reports.to_markdown(report)
    assert "| exempt | mandatory | critical | `aws-rds-instance-not-public` |" in md
    assert "| RISK-102 | `aws-s3-bucket-versioning` |" in md and "expired" in md


def test_html_report_renders_in_chromium(report, tmp_path):
    page = tmp_path / "audit.html"
    page.write_text(report_html.audit_page(report))
    dom = dump_dom(page)
    for text in ("Policy audit", "Open violations by severity", "Controls by framework", "insecure-dev", "public-db",
                 "RISK-101", "ciso@example.com", "expired", "<svg"):
        assert text in dom, text
    png = screenshot(page, tmp_path / "audit.png")
    assert png.stat().st_size > 20_000
    shutil.copy(png, Path("/tmp") / "bp-audit-report.png")


def test_policy_docs_list_every_policy_and_a_control_matrix(report, tmp_path):
    md = report_html.docs_markdown(report)
    assert all(f"| `{name}` |" in md for name in report.policies)
    assert "| NIST SP 800-53 rev. 5 | SC-28 |" in md and "of 1 |" in md
    page = tmp_path / "docs.html"
    page.write_text(report_html.docs_page(report))
    dom = dump_dom(page)
    assert "Control matrix" in dom and "aws-s3-bucket-tls-only" in dom and "PCI DSS v4.0" in dom
