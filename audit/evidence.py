"""Evidence an auditor files: report files, the OSCAL assessment results that point at them, and the attestation.

`write_bundle` writes one folder: the findings (JSON), SARIF, the HTML report (each finding linked to its OSCAL
observation and the stack file's digest), the OSCAL assessment results (evidence: stack files and those reports,
by sha256) and, given a key, the DSSE envelope over all of it. `attest_file` signs a single report the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from audit import attest, oscal
from policy_packs.audit import AuditReport

FINDINGS, SARIF, HTML, OSCAL, ENVELOPE = "findings.json", "audit.sarif", "audit.html", "assessment-results.json", "attestation.dsse.json"


def envelope_path(output: Path) -> Path:
    """Where the envelope for a single report goes: beside it, `<name>.dsse.json`."""
    return output.with_name(output.name + ".dsse.json")


@dataclass
class Links:
    """What the HTML report shows about the evidence: the OSCAL document and run, digests, the attestation."""

    run: oscal.Run
    stacks: dict[str, oscal.EvidenceFile]
    oscal_href: str | None = None
    envelope: str | None = None
    keyid: str | None = None
    verify_hint: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def attestation(self) -> str:
        """The attestation's status in one line."""
        if not self.envelope:
            return "Not signed: run bp audit with --attest KEY to sign the evidence."
        return (f"Signed: {self.envelope} (in-toto test-result statement in a DSSE envelope, key id {self.keyid}) "
                f"covers the stack files and the report files by sha256; {self.verify_hint}")


def links(report: AuditReport, repo: Path, key: Path | None = None, oscal_href: str | None = None,
          envelope: str | None = None) -> Links:
    """The evidence the HTML report links to, for a run about to be written (the key is checked now)."""
    keyid = attest.load_signer(key).public_key.keyid if key else None
    return Links(oscal.Run(), oscal.stack_evidence(report, repo), oscal_href, envelope if key else None, keyid,
                 f"check it with: bp audit verify {envelope} --key PUBLIC_KEY" if key else "")


def write_text(path: Path, text: str) -> Path:
    """Write a report file whole (atomically) and return its path."""
    from blueprints.yaml_io import write_atomic

    write_atomic(path, text)
    return path


def sign_files(report: AuditReport, repo: Path, files: list[Path], key: Path, envelope: Path) -> Path:
    """Sign the statement over the stack files and `files` (named relative to the envelope's folder)."""
    statement = attest.statement(report, repo, files, envelope.parent)
    return write_text(envelope, json.dumps(attest.sign(statement, key), indent=2) + "\n")


def write_bundle(report: AuditReport, repo: Path, directory: Path, key: Path | None = None) -> list[Path]:
    """Write the evidence folder; returns the files written, the envelope last when signed."""
    from policy_packs import report_html, reports

    directory.mkdir(parents=True, exist_ok=True)
    evidence = links(report, repo, key, OSCAL, ENVELOPE)
    files = [write_text(directory / FINDINGS, reports.to_json(report)),
             write_text(directory / SARIF, reports.to_sarif(report, evidence.run.id)),
             write_text(directory / HTML, report_html.audit_page(report, evidence))]
    extra = [oscal.EvidenceFile(p.name, attest.sha256_file(p), f"Audit report {p.name}") for p in files]
    files.append(write_text(directory / OSCAL, oscal.to_json(oscal.assessment_results(report, repo, evidence.run, extra))))
    if key:
        files.append(sign_files(report, repo, files, key, directory / ENVELOPE))
    return files
