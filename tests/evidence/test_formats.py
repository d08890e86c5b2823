"""SARIF that GitHub code scanning shows well, Pulumi engine-event lines, and the HTML report's evidence links."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from audit import pulumi_events
from cli.main import app
from reports import audit as reports
from reports import audit_html as report_html
from reports import evidence
from tests.conftest import ROOT

SARIF_SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "schemas" / "sarif-schema-2.1.0.json").read_text())


def _results(report, run_id: str) -> list[dict]:
    sarif = json.loads(reports.to_sarif(report, run_id))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    return sarif["runs"][0]["results"]


def test_sarif_fingerprints_are_stable_across_runs_and_distinct_across_findings(exempted_report):
    first, second = _results(exempted_report, "run-1"), _results(exempted_report, "run-2")
    prints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in first]
    assert prints == [r["partialFingerprints"]["primaryLocationLineHash"] for r in second]
    assert len(set(prints)) == len(prints) == len(exempted_report.findings)
    assert all(p.rsplit(":", 1)[1].isdigit() and len(p.split(":")[0]) == 16 for p in prints)


def test_sarif_fingerprints_count_occurrences_of_one_policy_on_one_resource(exempted_report):
    finding = exempted_report.findings[0]
    assert reports.line_hash(finding, 1) != reports.line_hash(finding, 2)
    assert reports.line_hash(finding, 1).split(":")[0] == reports.line_hash(finding, 2).split(":")[0]


def test_sarif_run_rules_and_suppressions_as_code_scanning_reads_them(exempted_report):
    run = json.loads(reports.to_sarif(exempted_report, "2026-12-05T00:00:00Z"))["runs"][0]
    assert run["automationDetails"]["id"] == "bp-audit/aws+baseline+kubernetes+vsphere/2026-12-05T00:00:00Z"
    for rule in run["tool"]["driver"]["rules"]:
        assert isinstance(rule["properties"]["security-severity"], str)
        assert 0.0 <= float(rule["properties"]["security-severity"]) <= 10.0
        assert rule["help"]["markdown"].startswith("**Remediation:**")
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert suppressed and all(s["status"] == "accepted" for r in suppressed for s in r["suppressions"])
    assert {r["ruleId"] for r in suppressed} == {f.policy for f in exempted_report.findings if f.status == "exempt"}


def test_pulumi_events_are_engine_events_then_a_summary(exempted_report):
    lines = pulumi_events.to_lines(exempted_report).splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["sequence"] for e in events] == list(range(len(events)))
    *policy, summary = events
    reported = [f for f in exempted_report.findings if f.status != "exempt"]
    assert len(policy) == len(reported) and all(set(e) == {"sequence", "timestamp", "policyEvent"} for e in policy)
    fields = {"message", "color", "policyName", "policyPackName", "policyPackVersion", "policyPackVersionTag", "enforcementLevel"}
    for event, finding in zip(policy, reported):
        body = event["policyEvent"]
        assert set(body) - {"resourceUrn"} == fields
        assert body["policyName"] == finding.policy and body["policyPackName"] == f"cloud-blueprints-{finding.pack}"
        assert body.get("resourceUrn", "") == finding.urn and body["enforcementLevel"] in {"advisory", "mandatory"}
        description = exempted_report.policies[finding.policy].description
        assert body["message"] == f"<{{%fg 7%}}>{description}\n{finding.message}<{{%reset%}}>\n" and body["color"] == "raw"
    assert set(summary["summaryEvent"]) == {"maybeCorrupt", "durationSeconds", "resourceChanges", "PolicyPacks", "isPreview"}
    assert summary["summaryEvent"]["PolicyPacks"]["cloud-blueprints-aws"] == "v1.0.0"


def test_html_links_each_finding_to_its_observation_and_digest(evidence_repo, exempted_report, keys):
    links = evidence.links(exempted_report, evidence_repo, keys["ed25519"][0], evidence.OSCAL, evidence.ENVELOPE)
    page = report_html.audit_page(exempted_report, links)
    digest = links.stacks["insecure-dev"].sha256
    for f in exempted_report.findings:
        assert f'{evidence.OSCAL}#{links.run.observation(f.stack, f.policy)}' in page, f.urn
    assert page.count(f'title="sha256:{digest}"') == len(exempted_report.findings)
    assert f"<code>{digest}</code>" in page, "the Evidence section lists the stack file's digest"
    assert f"Signed: {evidence.ENVELOPE}" in page and links.keyid in page
    unsigned = report_html.audit_page(exempted_report, evidence.links(exempted_report, evidence_repo))
    assert "Not signed" in unsigned and "unsigned" in unsigned


def test_bundle_html_and_oscal_share_observations(tmp_path, evidence_repo, exempted_report):
    names = evidence.write_bundle(exempted_report, evidence_repo, tmp_path / "ev")
    assert names == [evidence.FINDINGS, evidence.SARIF, evidence.HTML, evidence.OSCAL]
    document = json.loads((tmp_path / "ev" / evidence.OSCAL).read_text())["assessment-results"]
    page = (tmp_path / "ev" / evidence.HTML).read_text()
    failing = {o["uuid"] for o in document["results"][0]["observations"]
               if any(p["name"] == "result" and p["value"] == "fail" for p in o["props"])}
    assert failing and all(uuid in page for uuid in failing)
    hrefs = {link["href"] for r in document["back-matter"]["resources"] for link in r.get("rlinks", [])}
    assert {evidence.FINDINGS, evidence.SARIF, evidence.HTML} <= hrefs


@pytest.fixture(scope="module")
def signed_cli(tmp_path_factory, keys):
    """`bp audit checkout-dev --format oscal --output … --attest KEY` on the repository."""
    out = tmp_path_factory.mktemp("cli") / "assessment-results.json"
    result = CliRunner().invoke(app, ["--repo", str(ROOT), "audit", "checkout-dev", "--format", "oscal",
                                      "--output", str(out), "--attest", str(keys["ecdsa"][0])])
    assert result.exit_code == 0, result.output
    return out, evidence.envelope_path(out)


def test_cli_verify_accepts_and_rejects(signed_cli, keys):
    from tests.oscal_schema import errors

    out, envelope = signed_cli
    assert errors(json.loads(out.read_text()), "assessment-results") == []
    runner = CliRunner()
    ok = runner.invoke(app, ["--repo", str(ROOT), "audit", "verify", str(envelope), "--key", str(keys["ecdsa"][1])])
    assert ok.exit_code == 0 and "verified: signature and 2 subject(s); the audit result was PASSED" in ok.output, ok.output
    wrong = runner.invoke(app, ["--repo", str(ROOT), "audit", "verify", str(envelope), "--key", str(keys["ed25519"][1])])
    assert wrong.exit_code == 1 and "signature does not verify" in wrong.output
    as_json = runner.invoke(app, ["--repo", str(ROOT), "audit", "verify", str(envelope), "--key", str(keys["ed25519"][1]), "--json"])
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["ok"] is False
    bad = runner.invoke(app, ["--repo", str(ROOT), "audit", "verify", str(envelope), "--key", str(keys["rsa"][1])])
    assert bad.exit_code == 2 and "expected an ed25519 or ECDSA key" in bad.output


def test_cli_attest_needs_a_file(tmp_path, keys):
    result = CliRunner().invoke(app, ["--repo", str(ROOT), "audit", "checkout-dev", "--attest", str(keys["ed25519"][0])])
    assert result.exit_code == 2 and "--attest signs files" in result.output


def test_cli_a_bad_key_or_envelope_path_writes_nothing(tmp_path, keys):
    out = tmp_path / "ar.json"
    args = ["--repo", str(ROOT), "audit", "checkout-dev", "--pack", "baseline", "--format", "oscal", "--output", str(out)]
    result = CliRunner().invoke(app, [*args, "--attest", str(keys["rsa"][0])])
    assert result.exit_code == 2 and "expected an ed25519 or ECDSA key" in result.output
    evidence.envelope_path(out).symlink_to(tmp_path / "elsewhere")
    result = CliRunner().invoke(app, [*args, "--attest", str(keys["ed25519"][0])])
    assert result.exit_code == 2 and "is a symbolic link" in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ar.json.dsse.json"], "no report written"


def test_cli_evidence_is_never_written_over_what_bp_does_not_own(tmp_path, keys):
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / evidence.SARIF).write_text("someone else's\n")
    result = CliRunner().invoke(app, ["--repo", str(ROOT), "audit", "checkout-dev", "--pack", "baseline",
                                      "--evidence", str(folder), "--attest", str(keys["ed25519"][0])])
    assert result.exit_code == 2 and "bp did not write it" in result.output, result.output
    assert (folder / evidence.SARIF).read_text() == "someone else's\n" and len(list(folder.iterdir())) == 1


def test_policy_docs_writes_the_component_definition(tmp_path):
    from tests.oscal_schema import errors

    out = tmp_path / "component-definition.json"
    result = CliRunner().invoke(app, ["--repo", str(ROOT), "policy", "docs", "--format", "oscal", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert errors(json.loads(out.read_text()), "component-definition") == []
