"""Exemptions applied by the packs themselves (by URN): active ones turn violations into exempt findings, expired
ones fail the stack, unused ones are reported, malformed files are one-line errors with file and line."""

from __future__ import annotations

import datetime as dt

import pytest

from audit.run import Auditor
from blueprints.errors import BadInput
from engine import run
from policy_packs import exemptions as ex
from tests.policy.insecure_program import program

TODAY = dt.date.today()
FILE = f"""\
exemptions:
  - policy: aws-rds-instance-not-public
    stack: insecure-*
    resource: public-db
    reason: Vendor appliance needs a public endpoint until migration
    approver: ciso@example.com
    ticket: RISK-101
    expires: {TODAY + dt.timedelta(days=30)}
  - policy: aws-s3-bucket-versioning
    stack: insecure-dev
    resource: "urn:pulumi:insecure-dev::cloud-blueprints::aws:s3/bucket:Bucket::open-bucket"
    reason: Scratch bucket, recreated nightly
    approver: ciso@example.com
    ticket: RISK-102
    expires: {TODAY - dt.timedelta(days=1)}
  - policy: aws-rds-instance-multi-az
    stack: payments-*
    resource: "*"
    reason: Single-AZ during the pilot phase
    approver: ciso@example.com
    ticket: RISK-103
    expires: {TODAY + dt.timedelta(days=10)}
"""


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    path = tmp_path_factory.mktemp("ex") / "exemptions.yaml"
    path.write_text(FILE)
    with Auditor(packs=["baseline", "aws"], exemptions_file=path) as auditor:
        result = auditor.audit(run(program, stack="insecure-dev"))
        yield auditor, result


def test_active_exemption_turns_the_violation_into_exempt(audited):
    _, result = audited
    found = [f for f in result.findings if f.policy == "aws-rds-instance-not-public"]
    assert [(f.status, f.exemption) for f in found] == [("exempt", "RISK-101:aws-rds-instance-not-public")], found
    assert not found[0].blocking and found[0].urn.endswith("::public-db")


def test_expired_exemption_exempts_nothing_and_is_itself_a_mandatory_violation(audited):
    _, result = audited
    versioning = [f for f in result.findings if f.policy == "aws-s3-bucket-versioning"]
    assert [f.status for f in versioning] == ["violation"], versioning
    expired = [f for f in result.findings if f.policy == "cloudblueprints-policy-exemption-expired"]
    assert len(expired) == 1 and expired[0].blocking and "RISK-102" in expired[0].message, expired


def test_exemption_that_matched_nothing_is_unused(audited):
    auditor, result = audited
    assert [e.ticket for e in auditor.unused_exemptions([result])] == ["RISK-103"]


@pytest.mark.parametrize("text, where, what", [
    ("exemptions:\n  - policy: aws-kms-key-rotation\n    stack: a\n", ":2:", "resource"),
    (FILE.replace("approver: ciso@example.com\n    ticket: RISK-102", "approver: ciso\n    ticket: RISK-102"), ":13:", "approver"),
    (FILE.replace(f"expires: {TODAY - dt.timedelta(days=1)}", "expires: next year"), ":15:", "expires"),
    ("exemptions:\n  - policy: [unclosed\n", ":", "malformed YAML"),
])
def test_malformed_file_is_one_line_with_file_and_line(tmp_path, text, where, what):
    path = tmp_path / "exemptions.yaml"
    path.write_text(text)
    with pytest.raises(BadInput) as err:
        ex.load(path)
    message = str(err.value)
    assert message.startswith(f"{path}{where}") and what in message and "\n" not in message, message


def test_exemption_for_an_unknown_policy_names_its_line(tmp_path):
    path = tmp_path / "exemptions.yaml"
    path.write_text(FILE.replace("policy: aws-rds-instance-multi-az", "policy: aws-rds-no-such-thing"))
    with pytest.raises(BadInput, match=rf"{path}:16: .*aws-rds-no-such-thing"):
        Auditor(packs=["baseline"], exemptions_file=path, in_process=True)


def test_repository_exemptions_file_is_valid():
    # load() returns [] for a missing default file, so its presence is asserted, and every entry must be read.
    assert ex.DEFAULT_FILE.exists(), ex.DEFAULT_FILE
    from blueprints import yaml_io

    entries = (yaml_io.load(ex.DEFAULT_FILE) or {}).get("exemptions") or []
    loaded = ex.load(ex.DEFAULT_FILE)
    assert len(loaded) == len(entries) and all(e.line > 0 for e in loaded), [e.key for e in loaded]
