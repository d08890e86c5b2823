"""HTML pages an auditor opens offline: the audit report and the policy catalog, both on reports.page's shell."""

from __future__ import annotations

from collections import Counter
from html import escape

from audit.run import SEVERITY_ORDER, AuditReport, Finding, PolicyMeta
from policy_packs.controls import FRAMEWORKS
from reports import page as h
from reports.audit import controls_passing, md_cell, summary

_SEVERITY_CSS = {"critical": "bad", "high": "bad", "medium": "warn", "low": "info", "unspecified": "muted"}
_STATUS_CSS = {"violation": "bad", "exempt": "muted", "undecided": "warn"}


def _evidence_cell(f: Finding, evidence) -> str:
    """The finding's OSCAL observation and the digest of the stack file it was found in."""
    uuid = evidence.run.observation(f.stack, f.policy)
    # Without an OSCAL document beside the page there is no observation to point at, only the digest.
    ref = f'<a href="{escape(evidence.oscal_href)}#{uuid}" title="{uuid}">observation {uuid[:8]}</a><br>' if evidence.oscal_href else ""
    stack = evidence.stacks.get(f.stack)
    digest = f'<code title="sha256:{stack.sha256}">sha256:{stack.sha256[:12]}…</code>' if stack else ""
    return ref + digest


def _finding_row(f: Finding, report: AuditReport, evidence=None) -> list[str]:
    status = f.status if f.status != "violation" or f.enforcement == "mandatory" else "advisory"
    e = report.exemption(f.exemption)
    note = f" (exempt: {e.ticket}, {e.approver}, until {e.expires})" if e else ""
    row = [h.badge(status, _STATUS_CSS[f.status] if status != "advisory" else "warn"),
           h.badge(f.severity, _SEVERITY_CSS[f.severity]), f"<code>{escape(f.policy)}</code>", escape(f.message + note)]
    return row + [_evidence_cell(f, evidence)] if evidence else row


def _evidence_section(evidence) -> str:
    """The attestation's status, the OSCAL document, and every stack file's digest."""
    rows = [[escape(e.href), f"<code>{e.sha256}</code>"] for e in evidence.stacks.values()]
    signed = "ok" if evidence.envelope else "warn"
    oscal = (f'<p>OSCAL assessment results: <a href="{escape(evidence.oscal_href)}">{escape(evidence.oscal_href)}</a> '
             f'(result {evidence.run.id})</p>') if evidence.oscal_href else ""
    return h.section("Evidence", f"<p>{h.badge('signed' if evidence.envelope else 'unsigned', signed)} "
                                 f"{escape(evidence.attestation)}</p>{oscal}" + h.table(["stack file", "sha256"], rows, raw=(1,)))


def _stack_section(report: AuditReport, r, evidence=None) -> str:
    if r.error:
        return h.section(f"{r.stack}", f"<p class=\"bad\">Could not be audited: {escape(r.error)}</p>")
    head = f"<p class=\"muted\">{escape(r.source)}: {r.resources} resources, {len(r.findings)} findings</p>"
    if not r.findings:
        return h.section(r.stack, head + "<p class=\"ok\">Every policy passes.</p>")
    parts = [head]
    by_resource: dict[str, list[Finding]] = {}
    for f in r.findings:
        by_resource.setdefault(f.urn or f.stack, []).append(f)
    for urn, found in by_resource.items():
        parts.append(f"<h3>{escape(found[0].resource_type)} <code>{escape(found[0].resource_name)}</code></h3>")
        headers = ["status", "severity", "policy", "finding"] + (["evidence"] if evidence else [])
        parts.append(h.table(headers, [_finding_row(f, report, evidence) for f in found], raw=range(len(headers))))
    return h.section(r.stack, "".join(parts))


def _framework_rows(report: AuditReport) -> list[list[str]]:
    matrix = controls_passing(report)
    audited = sum(1 for r in report.results if not r.error)
    rows = []
    for fw in FRAMEWORKS:
        mine = [m for m in matrix if m[0] == fw]
        if mine:
            failing = sum(1 for m in mine if m[3] < audited)
            rows.append([fw, str(len(mine)), str(len(mine) - failing), str(failing)])
    return rows


def _exemption_rows(report: AuditReport) -> list[list[str]]:
    unused = {e.key for e in report.unused}
    rows = []
    for e in report.exemptions:
        state = ("expired", "bad") if not e.active() else ("unused", "warn") if e.key in unused else ("active", "ok")
        rows.append([h.badge(*state), escape(e.ticket), f"<code>{escape(e.policy)}</code>", escape(e.stack),
                     escape(e.resource), escape(e.approver), escape(str(e.expires)), escape(e.reason)])
    return rows


def audit_page(report: AuditReport, evidence=None) -> str:
    """The audit report: summary by severity and framework, a chart, findings per stack and resource, exemptions.

    With `evidence` (`reports.evidence.Links`), each finding links to its OSCAL observation and stack file digest, and
    an Evidence section shows the attestation's status.
    """
    s = summary(report)
    statuses = Counter(f.status for f in report.findings)
    cards = h.cards([
        ("result", "PASS" if s["ok"] else "FAIL", "ok" if s["ok"] else "bad"),
        ("stacks", str(s["stacks"]), ""), ("resources", str(s["resources"]), ""), ("policies", str(s["policies"]), ""),
        ("blocking violations", str(s["blocking"]), "bad" if s["blocking"] else "ok"),
        ("exempt", str(statuses.get("exempt", 0)), "muted"), ("undecided", str(statuses.get("undecided", 0)), "warn"),
    ])
    total = max(1, sum(s["by_severity"].values()))
    chart = h.bar_chart([(sev, float(n), float(total)) for sev, n in s["by_severity"].items() if sev != "unspecified"],
                        unit="violations")
    sections = [
        h.section("Summary", cards),
        h.section("Open violations by severity", chart),
        h.section("Controls by framework", h.table(["framework", "controls evidenced", "passing on every stack", "failing somewhere"],
                                                   _framework_rows(report), numeric=(1, 2, 3))),
        *[_stack_section(report, r, evidence) for r in report.results],
        h.section("Exemptions", h.table(["state", "ticket", "policy", "stack", "resource", "approver", "expires", "reason"],
                                        _exemption_rows(report), raw=range(8)) if report.exemptions else "<p>None.</p>"),
        *([_evidence_section(evidence)] if evidence else []),
    ]
    return h.page("Policy audit", f"{s['stacks']} stacks against {s['policies']} policies", sections,
                  footer=f"Exemptions: {report.exemptions_file}")


def _policy_rows(policies: list[PolicyMeta]) -> list[list[str]]:
    return [[f"<code>{escape(p.name)}</code>", escape(p.pack), h.badge(p.severity, _SEVERITY_CSS[p.severity]),
             h.badge(p.enforcement, "bad" if p.enforcement == "mandatory" else "warn"), escape(p.description),
             "<br>".join(f"{escape(fw)}: {escape(', '.join(ids))}" for fw, ids in p.controls.items()), escape(p.remediation)]
            for p in policies]


def docs_page(report: AuditReport) -> str:
    """The auditor's catalog: every policy, then framework control -> policies -> stacks passing."""
    policies = sorted(report.policies.values(), key=lambda p: (p.pack, p.name))
    audited = sum(1 for r in report.results if not r.error)
    matrix = [[escape(fw), escape(cid), "<br>".join(f"<code>{escape(n)}</code>" for n in names), f"{passing} of {audited}"]
              for fw, cid, names, passing in controls_passing(report)]
    counts = Counter(p.severity for p in policies)
    chart = h.bar_chart([(sev, float(counts.get(sev, 0)), float(len(policies))) for sev in SEVERITY_ORDER[:4]], unit="policies")
    return h.page("Policy catalog", f"{len(policies)} policies in {len({p.pack for p in policies})} packs", [
        h.section("Policies by severity", chart),
        h.section("Policies", h.table(["policy", "pack", "severity", "enforcement", "description", "controls", "remediation"],
                                      _policy_rows(policies), raw=range(7))),
        h.section("Control matrix", h.table(["framework", "control", "policies", "stacks passing"], matrix, raw=range(4))),
    ], footer=f"{audited} stacks audited for the matrix")


def docs_markdown(report: AuditReport) -> str:
    """The same catalog as Markdown."""
    audited = sum(1 for r in report.results if not r.error)
    lines = ["# Policy catalog", "", "| policy | pack | severity | enforcement | description | controls | remediation |",
             "|---|---|---|---|---|---|---|"]
    for p in sorted(report.policies.values(), key=lambda p: (p.pack, p.name)):
        controls = "; ".join(f"{fw}: {', '.join(ids)}" for fw, ids in p.controls.items())
        lines.append(f"| `{p.name}` | {p.pack} | {p.severity} | {p.enforcement} | {md_cell(p.description)} | {md_cell(controls)} | {md_cell(p.remediation)} |")
    lines += ["", "## Control matrix", "", "| framework | control | policies | stacks passing |", "|---|---|---|---:|"]
    lines += [f"| {fw} | {cid} | {', '.join(f'`{n}`' for n in names)} | {passing} of {audited} |"
              for fw, cid, names, passing in controls_passing(report)]
    return "\n".join(lines) + "\n"
