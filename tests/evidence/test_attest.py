"""Signed evidence: an in-toto test-result statement in a DSSE envelope that verifies, and fails on any change."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from audit import attest
from blueprints.errors import BadInput
from reports import evidence


@pytest.fixture
def signed(tmp_path, evidence_repo, exempted_report, keys) -> tuple[Path, Path, Path]:
    """A copy of the repository and an evidence folder signed with the ed25519 key: (repo, envelope, public key)."""
    repo = tmp_path / "repo"
    shutil.copytree(evidence_repo, repo)
    names = evidence.write_bundle(exempted_report, repo, tmp_path / "evidence", keys["ed25519"][0])
    assert names[-1] == evidence.ENVELOPE
    return repo, tmp_path / "evidence" / evidence.ENVELOPE, keys["ed25519"][1]


def test_a_signed_bundle_verifies(signed, exempted_report):
    repo, envelope, public = signed
    result = attest.verify(envelope, public, repo)
    assert result.ok, result.problems
    assert result.checked == ["stacks/Pulumi.insecure-dev.yaml", evidence.FINDINGS, evidence.SARIF, evidence.HTML, evidence.OSCAL]
    statement = result.statement
    assert statement["_type"] == attest.STATEMENT_TYPE and statement["predicateType"] == attest.PREDICATE_TYPE
    predicate = statement["predicate"]
    assert predicate["result"] == "FAILED"
    assert "insecure-dev/aws-rds-instance-storage-encrypted" in predicate["failedTests"]
    assert "insecure-dev/aws-rds-instance-not-public" in predicate["passedTests"], "exempt is not failed"
    names = {c["name"] for c in predicate["configuration"]}
    assert {"policy-pack:aws", "policy-pack:baseline", "exemptions:exemptions.yaml"} <= names
    assert all(len(c["digest"]["sha256"]) == 64 for c in predicate["configuration"])


def test_ecdsa_keys_sign_too(tmp_path, evidence_repo, passing_report, keys):
    out = tmp_path / "report.json"
    out.write_text("{}\n")
    envelope = evidence.attest_file(passing_report, evidence_repo, out, keys["ecdsa"][0])
    assert envelope == tmp_path / "report.json.dsse.json"
    result = attest.verify(envelope, keys["ecdsa"][1], evidence_repo)
    assert result.ok and result.statement["predicate"]["result"] == "PASSED", result.problems


SUBJECTS = ["stacks/Pulumi.insecure-dev.yaml", evidence.FINDINGS, evidence.SARIF, evidence.HTML, evidence.OSCAL]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_changing_one_byte_of_any_subject_fails_naming_it(signed, subject):
    repo, envelope, public = signed
    path = repo / subject if subject.startswith("stacks/") else envelope.parent / subject
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    result = attest.verify(envelope, public, repo)
    assert not result.ok
    assert len(result.problems) == 1 and result.problems[0].startswith(f"{subject}: sha256 is ")


def test_a_missing_subject_fails(signed):
    repo, envelope, public = signed
    (envelope.parent / evidence.SARIF).unlink()
    result = attest.verify(envelope, public, repo)
    assert [p.split(":")[0] for p in result.problems] == [evidence.SARIF] and "missing" in result.problems[0]


def test_a_changed_statement_fails_the_signature(signed):
    repo, envelope, public = signed
    data = json.loads(envelope.read_text())
    statement = json.loads(base64.b64decode(data["payload"]))
    statement["predicate"]["result"] = "PASSED"
    data["payload"] = base64.b64encode(json.dumps(statement, sort_keys=True).encode()).decode()
    envelope.write_text(json.dumps(data))
    result = attest.verify(envelope, public, repo)
    assert len(result.problems) == 1 and "signature does not verify" in result.problems[0]


def test_a_changed_signature_or_payload_type_fails(signed):
    repo, envelope, public = signed
    original = json.loads(envelope.read_text())
    data = json.loads(json.dumps(original))
    sig = bytearray(base64.b64decode(data["signatures"][0]["sig"]))
    sig[0] ^= 0x01
    data["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    envelope.write_text(json.dumps(data))
    assert "signature does not verify" in attest.verify(envelope, public, repo).problems[0]
    data = json.loads(json.dumps(original))
    data["payloadType"] = "application/json"
    envelope.write_text(json.dumps(data))
    assert "signature does not verify" in attest.verify(envelope, public, repo).problems[0], "the type is signed (PAE)"


def test_another_key_does_not_verify(signed, keys):
    repo, envelope, _ = signed
    assert "signature does not verify" in attest.verify(envelope, keys["other"][1], repo).problems[0]


def test_bad_keys_and_envelopes_are_one_line_errors(tmp_path, signed, keys):
    repo, envelope, public = signed
    with pytest.raises(BadInput, match="expected an ed25519 or ECDSA key"):
        attest.load_signer(keys["rsa"][0])
    with pytest.raises(BadInput, match="not an unencrypted PEM private key"):
        attest.load_signer(public)
    with pytest.raises(BadInput, match="cannot read"):
        attest.load_public_key(tmp_path / "absent.pub")
    broken = tmp_path / "broken.json"
    broken.write_text('{"payload": 1}')
    with pytest.raises(BadInput, match="not a DSSE envelope"):
        attest.verify(broken, public, repo)
