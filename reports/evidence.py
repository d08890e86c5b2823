"""Evidence an auditor files: report files, the OSCAL assessment results that point at them, and the attestation.

`write_bundle` writes one folder: the findings (JSON), SARIF, the HTML report (each finding linked to its OSCAL
observation and the stack file's digest), the OSCAL assessment results (evidence: stack files and those reports,
by sha256) and, given a key, the DSSE envelope over all of it. `attest_file` signs a single report the same way.
Every file goes through `store.outputs`: only over regular files, or files bp wrote, and atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from audit import attest, oscal
from audit.run import AuditReport
from reports import audit as audit_reports
from reports import audit_html
from store.outputs import output_file, write_file, write_folder

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

    @property
    def attestation(self) -> str:
        """The attestation's status in one line."""
        if not self.envelope:
            return "Not signed: run bp audit with --attest KEY to sign the evidence."
        return (f"Signed: {self.envelope} (in-toto test-result statement in a DSSE envelope, key id {self.keyid}) "
                f"covers the stack files and the report files by sha256; check it with: "
                f"bp audit verify {self.envelope} --key PUBLIC_KEY")


def links(report: AuditReport, repo: Path, key: Path | None = None, oscal_href: str | None = None,
          envelope: str | None = None, started: float | None = None) -> Links:
    """The evidence the HTML report links to, for a run about to be written (the key is checked now)."""
    keyid = attest.load_signer(key).public_key.keyid if key else None
    return Links(oscal.Run.since(started), oscal.stack_evidence(report, repo), oscal_href, envelope if key else None, keyid)


def _envelope_text(report: AuditReport, repo: Path, reports: dict[str, str], key: Path) -> str:
    return json.dumps(attest.sign(attest.statement(report, repo, reports), key), indent=2) + "\n"


def attest_file(report: AuditReport, repo: Path, output: Path, key: Path) -> Path:
    """Sign a written report (and the stack files): the envelope beside it, `<name>.dsse.json`."""
    envelope = output_file(envelope_path(output), "--attest")
    write_file(envelope, _envelope_text(report, repo, {output.name: attest.sha256_file(output)}, key), "--attest")
    return envelope


def write_bundle(report: AuditReport, repo: Path, directory: Path, key: Path | None = None,
                 started: float | None = None) -> list[str]:
    """Write the evidence folder; returns the names written, the envelope last when signed."""
    evidence = links(report, repo, key, OSCAL, ENVELOPE, started)
    texts = {FINDINGS: audit_reports.to_json(report), SARIF: audit_reports.to_sarif(report, evidence.run.id),
             HTML: audit_html.audit_page(report, evidence)}
    extra = [oscal.EvidenceFile(name, attest.sha256_text(text), f"Audit report {name}") for name, text in texts.items()]
    texts[OSCAL] = oscal.to_json(oscal.assessment_results(report, repo, evidence.run, extra))
    if key:
        texts[ENVELOPE] = _envelope_text(report, repo, {n: attest.sha256_text(t) for n, t in texts.items()}, key)
    write_folder(directory, texts, repo, "--evidence")
    return list(texts)
