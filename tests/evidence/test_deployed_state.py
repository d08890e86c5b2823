"""Audits of deployed state: exports made from the offline engine in `pulumi stack export` version 3 form, then
hand-edited into drift, audited over the Analyzer protocol and compared with the stack file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audit import deployed_state
from audit.drift import run_state_audit
from blueprints.errors import BadInput
from blueprints.sites import load_sites
from engine.captured import SECRET
from tests.conftest import ROOT

STACK = "payments-prod"
RDS = "aws:rds/instance:Instance"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@pytest.fixture(scope="module")
def intended():
    from store import stack_files
    from engine.stacks import preview

    (bp,) = [b for b in stack_files.read_all(ROOT) if b.stack == STACK]
    return bp, preview(ROOT, bp, load_sites())


@pytest.fixture(scope="module")
def exported(intended) -> dict:
    return deployed_state.export(intended[1])


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def _drifted(exported: dict) -> dict:
    """Someone opened the database to the internet and turned off its encryption, and the flow-log group is gone;
    an unmanaged bucket was imported into the stack."""
    data = copy.deepcopy(exported)
    resources = data["deployment"]["resources"]
    db = next(r for r in resources if r["type"] == RDS)
    for props in (db["inputs"], db["outputs"]):
        props["publiclyAccessible"], props["storageEncrypted"] = True, False
    resources.remove(next(r for r in resources if r["type"] == LOG_GROUP))
    root = resources[0]["urn"]
    resources.append({"urn": f"urn:pulumi:{STACK}::cloud-blueprints::aws:s3/bucket:Bucket::scratch", "custom": True,
                      "id": "scratch-1a2b", "type": "aws:s3/bucket:Bucket", "inputs": {"bucket": "scratch"},
                      "outputs": {"bucket": "scratch", "arn": "arn:aws:s3:::scratch"}, "parent": root})
    return data


def test_the_export_is_a_version_3_deployment_with_secrets_encrypted(exported):
    assert exported["version"] == 3 and set(exported["deployment"]) == {"manifest", "secrets_providers", "resources"}
    resources = exported["deployment"]["resources"]
    assert resources[0]["type"] == "pulumi:pulumi:Stack"
    text = json.dumps(exported)
    assert deployed_state.SECRET_SIG in text and SECRET not in text, "secrets are ciphertext, never the marker"
    custom = [r for r in resources if r["custom"]]
    assert custom and all(r["id"] for r in custom)


def test_an_undrifted_state_audits_like_the_stack_file(tmp_path, intended, exported):
    bp, capture = intended
    report, drift = run_state_audit(_write(tmp_path, exported), repo=ROOT, against=bp, sites=load_sites(), in_process=True)
    assert drift.resources == []
    (result,) = report.results
    assert result.resources == len(capture.resources) and not report.failed


def test_a_drifted_state_fails_and_lists_its_drift(tmp_path, intended, exported):
    bp, capture = intended
    report, drift = run_state_audit(_write(tmp_path, _drifted(exported)), repo=ROOT, against=bp, sites=load_sites(), in_process=True)
    db = capture.by_type(RDS)[0].urn
    blocking = {(f.policy, f.urn) for f in report.results[0].blocking}
    assert {("aws-rds-instance-storage-encrypted", db), ("aws-rds-instance-not-public", db)} <= blocking
    by_urn = {r.urn: r for r in drift.resources}
    changed = by_urn[db]
    assert changed.kind == "changed" and changed.properties == ("publiclyAccessible", "storageEncrypted")
    assert changed.policies == ("aws-rds-instance-not-public", "aws-rds-instance-storage-encrypted")
    assert by_urn[capture.by_type(LOG_GROUP)[0].urn].kind == "added", "pulumi up of the stack file would create it"
    removed = by_urn[f"urn:pulumi:{STACK}::cloud-blueprints::aws:s3/bucket:Bucket::scratch"]
    assert removed.kind == "removed" and removed.policies, "the unmanaged bucket breaks the bucket policies"
    assert len(drift.resources) == 3


def test_secrets_in_state_reach_the_packs_as_secrets(tmp_path, exported):
    data = copy.deepcopy(exported)
    password = next(r for r in data["deployment"]["resources"] if r["type"] == "random:index/randomPassword:RandomPassword")
    # As the real state holds it: pulumi-random marks `result` secret, so the export has only its ciphertext.
    password["outputs"]["result"] = {deployed_state.SECRET_SIG: deployed_state.SECRET_VALUE, "ciphertext": "v1:Zm9v:YmFy"}
    capture = deployed_state.read(_write(tmp_path, data))
    (read,) = capture.by_type("random:index/randomPassword:RandomPassword")
    assert read.outputs["result"] == SECRET
    assert any(SECRET in json.dumps(r.inputs) for r in capture.resources), "secrets the program passed stay secret"


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(version=2), "version: expected a version 3 deployment"),
    (lambda d: d["deployment"].update(resources={}), "deployment.resources: expected a list"),
    (lambda d: d["deployment"]["resources"][1].pop("type"), r"deployment.resources\[1\].type: expected a string"),
    (lambda d: d["deployment"]["resources"][2].update(urn="db"), r"deployment.resources\[2\].urn: not a Pulumi URN"),
    (lambda d: d["deployment"]["resources"][3].update(inputs=[]), r"deployment.resources\[3\].inputs: expected a dict"),
])
def test_a_malformed_export_is_one_line_naming_the_field(tmp_path, exported, edit, message):
    data = copy.deepcopy(exported)
    edit(data)
    with pytest.raises(BadInput, match=message):
        deployed_state.read(_write(tmp_path, data))


def test_the_cli_audits_state_with_drift(tmp_path, exported):
    from cli.main import app

    state = _write(tmp_path, _drifted(exported))
    out = tmp_path / "report.json"
    runner = CliRunner()
    result = runner.invoke(app, ["--repo", str(ROOT), "audit", "--state", str(state), "--against", STACK,
                                 "--format", "json", "--output", str(out)])
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text())
    assert {r["kind"] for r in data["drift"]["resources"]} == {"added", "removed", "changed"}
    assert data["summary"]["blocking"] >= 2
    result = runner.invoke(app, ["--repo", str(ROOT), "audit", "--state", str(state), "--against", "risk-dev"])
    assert result.exit_code == 2 and "--against: stack risk-dev, but the state is of stack payments-prod" in result.output
    result = runner.invoke(app, ["--repo", str(ROOT), "audit", STACK, "--state", str(state)])
    assert result.exit_code == 2 and "--state audits one deployed stack" in result.output


def test_a_state_audit_is_signed_and_verified_from_anywhere(tmp_path, exported, monkeypatch):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from audit import attest
    from cli.main import app

    key = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (tmp_path / "key.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    _write(tmp_path, exported)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--repo", str(ROOT), "audit", "--state", "state.json", "--format", "oscal",
                                      "--output", "ar.json", "--attest", "key.pem"])
    assert result.exit_code == 0, result.output
    verified = attest.verify(tmp_path / "ar.json.dsse.json", tmp_path / "key.pub", ROOT)
    assert verified.ok and verified.checked == [str(tmp_path / "state.json"), "ar.json"], verified.problems
