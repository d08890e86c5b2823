"""Audits to build evidence from: one that passes, one that fails, one with exemptions applied; and signing keys.

Each report's stack file sits in its own small repository, so digests and tamper tests have a real file to read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from engine import run
from audit.run import Auditor, AuditReport
from tests.conftest import ROOT
from tests.policy.insecure_program import program
from tests.policy.test_exemptions import FILE

INSECURE = "stacks/Pulumi.insecure-dev.yaml"


def _report(auditor: Auditor, result) -> AuditReport:
    return AuditReport([result], auditor.policies, auditor.exemptions, auditor.unused_exemptions([result]),
                       str(auditor.exemptions_file))


@pytest.fixture(scope="session")
def no_exemptions(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("no-exemptions") / "exemptions.yaml"
    path.write_text("exemptions: []\n")
    return path


@pytest.fixture(scope="session")
def evidence_repo(tmp_path_factory) -> Path:
    """A repository holding the stack files the reports name."""
    repo = tmp_path_factory.mktemp("evidence-repo")
    (repo / "stacks").mkdir()
    (repo / INSECURE).write_text("config:\n  cloud-blueprints:team: insecure\n")
    (repo / "stacks" / "Pulumi.checkout-dev.yaml").write_bytes((ROOT / "stacks" / "Pulumi.checkout-dev.yaml").read_bytes())
    return repo


@pytest.fixture(scope="session")
def passing_report(no_exemptions) -> AuditReport:
    """The repository's checkout-dev stack: every policy passes."""
    from store import stack_files
    from blueprints.sites import load_sites
    from engine.stacks import preview

    (bp,) = [b for b in stack_files.read_all(ROOT) if b.stack == "checkout-dev"]
    with Auditor(exemptions_file=no_exemptions, in_process=True) as auditor:
        report = _report(auditor, auditor.audit(preview(ROOT, bp, load_sites()), "stacks/Pulumi.checkout-dev.yaml"))
    assert not report.findings, [f.to_json() for f in report.findings]
    return report


@pytest.fixture(scope="session")
def failing_report(no_exemptions) -> AuditReport:
    """The insecure program with no exemptions: mandatory violations."""
    with Auditor(exemptions_file=no_exemptions, in_process=True) as auditor:
        report = _report(auditor, auditor.audit(run(program, stack="insecure-dev"), INSECURE))
    assert report.failed
    return report


@pytest.fixture(scope="session")
def exempted_report(tmp_path_factory) -> AuditReport:
    """The insecure program with exemptions: the public database is exempt (RISK-101)."""
    path = tmp_path_factory.mktemp("exemptions") / "exemptions.yaml"
    path.write_text(FILE)
    with Auditor(exemptions_file=path, in_process=True) as auditor:
        report = _report(auditor, auditor.audit(run(program, stack="insecure-dev"), INSECURE))
    assert any(f.status == "exempt" for f in report.findings)
    return report


def _pem(private) -> tuple[bytes, bytes]:
    return (private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
            private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Key pairs in PEM by kind: ed25519, ecdsa (P-256), another ed25519, and rsa (refused)."""
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for kind, private in (("ed25519", ed25519.Ed25519PrivateKey.generate()), ("ecdsa", ec.generate_private_key(ec.SECP256R1())),
                          ("other", ed25519.Ed25519PrivateKey.generate()),
                          ("rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048))):
        priv, pub = _pem(private)
        (folder / f"{kind}.pem").write_bytes(priv)
        (folder / f"{kind}.pub").write_bytes(pub)
        out[kind] = (folder / f"{kind}.pem", folder / f"{kind}.pub")
    return out
