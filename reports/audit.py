"""Audit reports for machines and reviewers: JSON, SARIF 2.1.0, JUnit XML and Markdown (HTML is in report_html)."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import textwrap
from collections import Counter
from typing import Any, Iterable, TextIO
from xml.etree import ElementTree as ET

from audit.run import SEVERITY_ORDER, AuditReport, Finding, PolicyMeta
from policy_packs.controls import FRAMEWORKS

INFORMATION_URI = "https://www.pulumi.com/docs/iac/packages-and-automation/crossguard/"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"mandatory": "error", "advisory": "warning"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0", "unspecified": "0.0"}


def summary(report: AuditReport) -> dict[str, Any]:
    """Counts reviewers look at first."""
    findings = report.findings
    return {
        "stacks": len(report.results),
        "resources": sum(r.resources for r in report.results),
        "policies": len(report.policies),
        "blocking": sum(f.blocking for f in findings),
        "by_status": dict(Counter(f.status for f in findings)),
        "by_severity": {s: sum(1 for f in findings if f.severity == s and f.status == "violation") for s in SEVERITY_ORDER},
        "failed_stacks": sorted(r.stack for r in report.results if r.blocking or r.error),
        "ok": not report.failed,
    }


def _exemption_json(report: AuditReport, e) -> dict[str, Any]:
    return {**e.model_dump(mode="json"), "line": e.line, "active": e.active(), "file": report.exemptions_file}


def zone_controls(report: AuditReport) -> dict[str, dict[str, list[str]]]:
    """Per compliance zone: its audited stacks, and per stack tier the policies mandatory there beyond their default."""
    zones: dict[str, dict[str, list[str]]] = {}
    for r in report.results:
        if r.zone:
            entry = zones.setdefault(r.zone, {"stacks": [], "mandatory_policies": []})
            entry["stacks"].append(r.stack)
            entry["mandatory_policies"] = sorted(set(entry["mandatory_policies"]) | set(r.mandatory))
    return dict(sorted(zones.items()))


def to_json(report: AuditReport) -> str:
    """Everything, for scripts."""
    return json.dumps({
        "summary": summary(report),
        "zones": zone_controls(report),
        "stacks": [{"stack": r.stack, "source": r.source, "resources": r.resources, "error": r.error,
                    "compliance_zone": r.zone, "mandatory_policies": list(r.mandatory),
                    "findings": [f.to_json() for f in r.findings],
                    "not_applicable": [{"policy": p, "urn": u, "reason": why} for p, u, why in r.not_applicable]}
                   for r in report.results],
        "policies": {name: {**vars(p), "controls": {k: list(v) for k, v in p.controls.items()}} for name, p in report.policies.items()},
        "exemptions": [_exemption_json(report, e) for e in report.exemptions],
        "unused_exemptions": [e.key for e in report.unused],
    }, indent=2) + "\n"


def _rule(p: PolicyMeta) -> dict[str, Any]:
    controls = "; ".join(f"{fw}: {', '.join(ids)}" for fw, ids in p.controls.items())
    return {
        "id": p.name,
        "name": p.name,
        "shortDescription": {"text": p.description},
        "fullDescription": {"text": f"{p.description} Controls: {controls}."},
        "help": {"text": f"Remediation: {p.remediation}",
                 "markdown": f"**Remediation:** {p.remediation}\n\n**Controls:** {controls}"},
        "defaultConfiguration": {"level": _SARIF_LEVEL.get(p.enforcement, "none")},
        "properties": {"severity": p.severity, "enforcement": p.enforcement, "pack": p.pack,
                       "security-severity": _SECURITY_SEVERITY[p.severity],
                       "controls": {fw: list(ids) for fw, ids in p.controls.items()},
                       "tags": ["security", *[f"{fw} {cid}" for fw, ids in p.controls.items() for cid in ids]]},
    }


def line_hash(f: Finding, occurrence: int) -> str:
    """`partialFingerprints.primaryLocationLineHash` as GitHub writes it (`<hash>:<occurrence>`).

    GitHub computes it from the source line only for SARIF uploaded by its own action; our findings sit on a
    resource, not a line, so the hash is of what identifies the finding across runs: policy and resource URN.
    """
    digest = hashlib.sha256(f"{f.policy}\0{f.urn or f.stack}".encode()).hexdigest()[:16]
    return f"{digest}:{occurrence}"


def _result(f: Finding, index: dict[str, int], source: str, e, exemptions_file: str, occurrence: int = 1) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": f.policy,
        "ruleIndex": index[f.policy],
        "level": "note" if f.status == "undecided" else _SARIF_LEVEL.get(f.enforcement, "none"),
        "message": {"text": f"{f.resource_type} {f.resource_name}: {f.message}"},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": source}},
            "logicalLocations": [{"fullyQualifiedName": f.urn or f.stack, "name": f.resource_name,
                                  "kind": "resource" if f.urn else "module"}],
        }],
        "partialFingerprints": {"primaryLocationLineHash": line_hash(f, occurrence)},
        "properties": {"stack": f.stack, "urn": f.urn, "status": f.status, "severity": f.severity, "enforcement": f.enforcement},
    }
    if e is not None:
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": e.reason,
                                "properties": {"approver": e.approver, "ticket": e.ticket, "expires": e.expires.isoformat(),
                                               "file": exemptions_file, "line": e.line}}]
    return out


_HOLE = "\0results\0"
_RESULTS_INDENT = " " * 8
"""Where runs[0].results' items sit in the document as json.dumps(indent=2) lays it out."""


class SarifWriter:
    """SARIF 2.1.0 written as stacks come: one rule per policy, one result per finding located at the stack file,
    exempt ones suppressed. Only the stacks that could not be audited are kept, for the closing invocation."""

    def __init__(self, out: TextIO, policies: dict[str, PolicyMeta], exemptions: list, exemptions_file: str,
                 run_id: str | None = None):
        self.out = out
        # GitHub code scanning groups analyses by the id's category (up to the last slash); the rest names the run.
        self.automation_id = f"bp-audit/{'+'.join(sorted({p.pack for p in policies.values()}))}/" + (
            run_id or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.exemptions = {e.key: e for e in exemptions}
        self.exemptions_file = exemptions_file
        ordered = sorted(policies.values(), key=lambda p: p.name)
        self.index = {p.name: i for i, p in enumerate(ordered)}
        self.errors: list[str] = []
        self.results = 0
        out.write(self._document([_rule(p) for p in ordered])[0])

    def _document(self, rules: list[dict[str, Any]]) -> list[str]:
        """The document around its results, as the text before them and the text after them."""
        return json.dumps({
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "bp audit", "informationUri": INFORMATION_URI, "version": "1.0.0",
                                    "rules": rules}},
                "automationDetails": {"id": self.automation_id},
                "results": _HOLE,
                "invocations": [{"executionSuccessful": not self.errors,
                                 "toolExecutionNotifications": [{"level": "error", "message": {"text": text}}
                                                                for text in self.errors]}],
            }],
        }, indent=2).split(json.dumps(_HOLE), 1)

    def add(self, stack: str, source: str, findings: Iterable[Finding], error: str | None = None) -> None:
        """One stack's findings, or why it could not be audited."""
        if error:
            self.errors.append(f"{stack}: {error}")
        seen: Counter[tuple[str, str]] = Counter()  # a URN names its stack: repeats can only be within one stack
        for f in findings:
            seen[(f.policy, f.urn or f.stack)] += 1
            result = _result(f, self.index, source, self.exemptions.get(f.exemption), self.exemptions_file,
                             seen[(f.policy, f.urn or f.stack)])
            self.out.write(("[\n" if not self.results else ",\n") + textwrap.indent(json.dumps(result, indent=2), _RESULTS_INDENT))
            self.results += 1

    def close(self) -> None:
        """Close the results and write the invocation."""
        self.out.write(f"\n{_RESULTS_INDENT[:-2]}]" if self.results else "[]")
        self.out.write(self._document([])[1] + "\n")


def to_sarif(report: AuditReport, run_id: str | None = None) -> str:
    """The whole report as SARIF 2.1.0 (see `SarifWriter`)."""
    out = io.StringIO()
    writer = SarifWriter(out, report.policies, report.exemptions, report.exemptions_file, run_id)
    for r in report.results:
        writer.add(r.stack, r.source, r.findings, r.error)
    writer.close()
    return out.getvalue()


def _suite(policies: dict[str, PolicyMeta], stack: str, source: str, findings: list[Finding], error: str | None) -> ET.Element:
    suite = ET.Element("testsuite", name=stack, file=source)
    cases = failures = 0
    if error:
        case = ET.SubElement(suite, "testcase", classname=stack, name="program")
        ET.SubElement(case, "error", message=error)
        cases += 1
    for name in sorted(policies):
        mine = [f for f in findings if f.policy == name]
        case = ET.SubElement(suite, "testcase", classname=f"{stack}.{policies[name].pack}", name=name)
        cases += 1
        blocking = [f for f in mine if f.blocking]
        if blocking:
            failures += 1
            failure = ET.SubElement(case, "failure", message=f"{len(blocking)} mandatory violation(s)", type="mandatory")
            failure.text = "\n".join(f"{f.urn or f.stack}: {f.message}" for f in blocking)
        others = [f for f in mine if not f.blocking]
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(f"[{f.status}] {f.urn or f.stack}: {f.message}" for f in others)
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "1" if error else "0")
    return suite


class JunitWriter:
    """JUnit XML for CI, written as stacks come: a suite per stack, a case per policy; blocking violations fail,
    advisory ones are logged."""

    def __init__(self, out: TextIO, policies: dict[str, PolicyMeta]):
        self.out = out
        self.policies = policies
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bp audit">\n')

    def add(self, stack: str, source: str, findings: Iterable[Finding], error: str | None = None) -> None:
        """One stack's suite."""
        suite = _suite(self.policies, stack, source, list(findings), error)
        ET.indent(suite, level=1)
        self.out.write("  " + ET.tostring(suite, encoding="unicode").rstrip() + "\n")

    def close(self) -> None:
        self.out.write("</testsuites>\n")


def to_junit(report: AuditReport) -> str:
    """The whole report as JUnit XML (see `JunitWriter`)."""
    out = io.StringIO()
    writer = JunitWriter(out, report.policies)
    for r in report.results:
        writer.add(r.stack, r.source, r.findings, r.error)
    writer.close()
    return out.getvalue()


def md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell, and as text once the Markdown is rendered to HTML (`<script>` shows)."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def to_markdown(report: AuditReport) -> str:
    """A review comment: summary, findings per stack, exemptions."""
    s = summary(report)
    lines = ["# Policy audit", "",
             f"**{'PASS' if s['ok'] else 'FAIL'}**: {s['stacks']} stacks, {s['resources']} resources, {s['policies']} policies; "
             f"{s['blocking']} blocking violation(s).", "",
             "| severity | open violations |", "|---|---:|",
             *[f"| {sev} | {n} |" for sev, n in s["by_severity"].items() if sev != "unspecified"], ""]
    for r in report.results:
        lines.append(f"## {r.stack} (`{r.source}`)")
        if r.error:
            lines += ["", f"Could not be audited: {md_cell(r.error)}", ""]
            continue
        if not r.findings:
            lines += ["", f"No findings across {r.resources} resources.", ""]
            continue
        lines += ["", "| status | level | severity | policy | resource | message |", "|---|---|---|---|---|---|"]
        lines += [f"| {f.status} | {f.enforcement} | {f.severity} | `{f.policy}` | `{md_cell(f.resource_type)}` {md_cell(f.resource_name)} | {md_cell(f.message)} |"
                  for f in r.findings]
        lines.append("")
    lines += ["## Controls by compliance zone", "", "| zone | stacks | mandatory in this audit beyond their default |",
              "|---|---:|---|"]
    lines += [f"| {zone} | {len(e['stacks'])} | {', '.join(f'`{p}`' for p in e['mandatory_policies']) or 'none'} |"
              for zone, e in zone_controls(report).items()]
    lines += ["", "## Exemptions", ""]
    if report.exemptions:
        lines += ["| ticket | policy | stack | resource | approver | expires | state | reason |", "|---|---|---|---|---|---|---|---|"]
        unused = {e.key for e in report.unused}
        for e in report.exemptions:
            state = "expired" if not e.active() else "unused" if e.key in unused else "active"
            lines.append(f"| {md_cell(e.ticket)} | `{e.policy}` | `{e.stack}` | `{md_cell(e.resource)}` | {e.approver} | {e.expires} | {state} | {md_cell(e.reason)} |")
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def controls_passing(report: AuditReport) -> list[tuple[str, str, list[str], int]]:
    """The control matrix: (framework, control, policies evidencing it, stacks where all those policies pass)."""
    rows: dict[tuple[str, str], list[str]] = {}
    for p in report.policies.values():
        for fw, ids in p.controls.items():
            for cid in ids:
                rows.setdefault((fw, cid), []).append(p.name)
    audited = [r for r in report.results if not r.error]
    out = []
    for fw in FRAMEWORKS:
        for (framework, cid), names in sorted(rows.items()):
            if framework == fw:
                passing = sum(1 for r in audited if not any(r.failed(n) for n in names))
                out.append((fw, cid, sorted(names), passing))
    return out
