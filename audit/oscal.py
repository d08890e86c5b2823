"""OSCAL documents for auditors: the assessment results of an audit, and the component definition of the packs.

Built with compliance-trestle's OSCAL models (generated from NIST's OSCAL 1.2.1 schemas), so a document that
serializes has the model's shape. The assessment results hold one result per audit run: the NIST SP 800-53 rev. 5
controls reviewed (other frameworks as props), an observation per policy x stack (method TEST; subjects the stack
and the resources with findings; evidence the stack file and the report files, by sha256 in back matter), a finding
per control objective (satisfied / not-satisfied) and a finding per exemption applied (approver, ticket, expiry).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from trestle.oscal import OSCAL_VERSION
from trestle.oscal import common as c
from trestle.oscal.assessment_results import AssessmentResults, ImportAp, LocalDefinitions1, Result
from trestle.oscal.component import ComponentDefinition, ControlImplementation, DefinedComponent, ImplementedRequirement

from audit.attest import sha256_file
from audit.run import AuditReport, Finding, PolicyMeta, StackResult
from policy_packs.controls import NIST, TAG_PREFIX

NS = "https://cloud-blueprints.example/ns/oscal"
"""Namespace of the props this project defines (OSCAL requires one for props outside its own vocabulary)."""
NIST_CATALOG = ("https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/"
                "NIST_SP-800-53_rev5_catalog.json")
"""The OSCAL catalog the control ids come from."""
_ID_NS = uuid.UUID("6f0a4d43-6f3b-5f1e-9a57-2b8e3c1d0b21")


def control_id(nist: str) -> str:
    """`SC-28(1)` -> `sc-28.1`, the id the NIST SP 800-53 rev. 5 OSCAL catalog gives the control."""
    return re.sub(r"\((\d+)\)", r".\1", nist).lower()


def _prop(name: str, value: str, cls: str | None = None) -> c.Property:
    return c.Property(name=name, value=value, ns=NS, class_=cls)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@dataclass
class EvidenceFile:
    """A file the evidence points at: its path as written in the document and its sha256."""

    href: str
    sha256: str
    title: str
    uuid: str = ""


@dataclass
class Run:
    """The identity of one audit run, shared by the OSCAL document and the HTML report that links into it."""

    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: dt.datetime = field(default_factory=_now)

    @staticmethod
    def since(started: float | None) -> "Run":
        """A run that began at `started` (seconds since the epoch; now when None)."""
        if started is None:
            return Run()
        return Run(started=dt.datetime.fromtimestamp(int(started), dt.timezone.utc))

    def uuid_of(self, *parts: str) -> str:
        """A stable uuid for an object of this run (an observation, a finding, a subject)."""
        return str(uuid.uuid5(uuid.UUID(self.id), "/".join(parts)))

    def observation(self, stack: str, policy: str) -> str:
        return self.uuid_of("observation", stack, policy)


def stack_evidence(report: AuditReport, repo: Path) -> dict[str, EvidenceFile]:
    """Each audited stack file with its sha256, by stack."""
    return {r.stack: EvidenceFile(r.source, sha256_file(repo / r.source), f"Stack file {r.source}")
            for r in report.results if (repo / r.source).is_file()}


def _metadata(title: str, version: str) -> c.Metadata:
    return c.Metadata(title=title, last_modified=_now(), version=version, oscal_version=OSCAL_VERSION,
                      props=[_prop("generator", "bp audit")])


def _back_matter(run: Run, files: Iterable[EvidenceFile]) -> list[c.Resource]:
    """Each evidence file as a back-matter resource with its SHA-256 (the file's `uuid` is set here)."""
    resources = []
    for f in files:
        f.uuid = run.uuid_of("resource", f.href)
        resources.append(c.Resource(uuid=f.uuid, title=f.title, rlinks=[c.Rlink(
            href=f.href, hashes=[c.Hash(algorithm="SHA-256", value=f.sha256)])]))
    return resources


def _reviewed(policies: dict[str, PolicyMeta]) -> c.ReviewedControls:
    nist = sorted({control_id(cid) for p in policies.values() for cid in p.controls.get(NIST, ())})
    others = sorted({(fw, cid) for p in policies.values() for fw, ids in p.controls.items() if fw != NIST for cid in ids})
    return c.ReviewedControls(
        description="The NIST SP 800-53 rev. 5 controls the policy packs evidence; other frameworks as props.",
        props=[_prop("framework-control", cid, TAG_PREFIX[fw]) for fw, cid in others] or None,
        control_selections=[c.ControlSelections(
            description=f"Controls from {NIST_CATALOG}",
            include_controls=[c.SelectControlById(control_id=cid) for cid in nist] or None)],
    )


def _inventory(run: Run, results: list[StackResult]) -> list[c.InventoryItem]:
    urns = sorted({f.urn for r in results for f in r.findings if f.urn})
    return [c.InventoryItem(uuid=run.uuid_of("resource", urn), description=f"Pulumi resource {urn}",
                            props=[_prop("urn", urn)]) for urn in urns]


def _components(run: Run, results: list[StackResult]) -> list[c.SystemComponent]:
    """Each stack as a system component, and the tool the observations' origin names."""
    tool = c.SystemComponent(uuid=run.uuid_of("tool", "bp audit"), type="software", title="bp audit",
                             description="Cloud Blueprints' offline policy audit (the Pulumi Analyzer protocol).",
                             status=c.Status(state="operational"))
    return [tool] + [c.SystemComponent(uuid=run.uuid_of("stack", r.stack), type="system", title=f"Stack {r.stack}",
                              description=f"The Pulumi stack {r.stack}, from {r.source}.",
                              props=[_prop("stack", r.stack), _prop("resources", str(r.resources))],
                              status=c.Status(state="operational")) for r in results]


def _observation(run: Run, policy: PolicyMeta, r: StackResult, evidence: list[EvidenceFile], tool: str) -> c.Observation:
    mine = [f for f in r.findings if f.policy == policy.name]
    open_ = [f for f in mine if f.status == "violation"]
    outcome = "fail" if open_ else "undecided" if any(f.status == "undecided" for f in mine) else "pass"
    verdict = (f"{len(open_)} violation(s)" if open_ else "passed") + (
        f", {sum(f.status == 'exempt' for f in mine)} exempt" if any(f.status == "exempt" for f in mine) else "")
    subjects = [c.SubjectReference(subject_uuid=run.uuid_of("stack", r.stack), type="component", title=r.stack)]
    subjects += [c.SubjectReference(subject_uuid=run.uuid_of("resource", urn), type="inventory-item", title=urn)
                 for urn in sorted({f.urn for f in mine if f.urn})]
    lines = "\n".join(f"- [{f.status}] {f.urn or r.stack}: {f.message}" for f in mine)
    return c.Observation(
        uuid=run.observation(r.stack, policy.name), title=f"{policy.name} on {r.stack}",
        description=f"{policy.description} Result on {r.stack}: {verdict}." + (f"\n\n{lines}" if lines else ""),
        props=[_prop("policy", policy.name), _prop("pack", policy.pack), _prop("stack", r.stack),
               _prop("enforcement", policy.enforcement), _prop("severity", policy.severity),
               _prop("result", outcome)],
        methods=["TEST"], types=["finding" if open_ else "control-objective"],
        origins=[c.Origin(actors=[c.OriginActor(type="tool", actor_uuid=tool)])],
        subjects=subjects,
        relevant_evidence=[c.RelevantEvidence(href=f"#{e.uuid}", description=e.title) for e in evidence],
        collected=run.started,
    )


def _control_findings(run: Run, report: AuditReport, audited: list[StackResult]) -> list[c.Finding]:
    by_control: dict[str, list[PolicyMeta]] = {}
    for p in report.policies.values():
        for cid in p.controls.get(NIST, ()):
            by_control.setdefault(control_id(cid), []).append(p)
    # A stack that could not be audited shows no control satisfied on it.
    unaudited = sorted(r.stack for r in report.results if r.error)
    out = []
    for cid, policies in sorted(by_control.items()):
        failing = sorted({(r.stack, p.name) for r in audited for p in policies if r.failed(p.name)})
        names = ", ".join(sorted(p.name for p in policies))
        why = [f"{p} on {s}" for s, p in failing] + [f"{s} could not be audited" for s in unaudited]
        out.append(c.Finding(
            uuid=run.uuid_of("finding", cid), title=f"Control {cid}",
            description=f"Not satisfied: {', '.join(why)}." if why else f"Satisfied on {len(audited)} stack(s) by {names}.",
            target=c.FindingTarget(type="objective-id", target_id=f"{cid}_obj", status=c.ObjectiveStatus(
                state="not-satisfied" if why else "satisfied", reason="fail" if failing else "other" if why else "pass")),
            related_observations=[c.RelatedObservation(observation_uuid=run.observation(r.stack, p.name))
                                  for r in audited for p in sorted(policies, key=lambda p: p.name)] or None,
        ))
    return out


def _exemption_findings(run: Run, report: AuditReport) -> list[c.Finding]:
    used: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.exemption:
            used.setdefault(f.exemption, []).append(f)
    out = []
    for key, found in sorted(used.items()):
        e = report.exemption(key)
        if e is None:
            continue
        nist = report.policies[e.policy].controls.get(NIST, ())
        target = f"{control_id(nist[0])}_obj" if nist else f"{e.policy}_obj"
        out.append(c.Finding(
            uuid=run.uuid_of("exemption", key), title=f"Exemption {e.ticket}: {e.policy}",
            description=f"{len(found)} violation(s) of {e.policy} accepted: {e.reason}",
            props=[_prop("ticket", e.ticket), _prop("approver", e.approver), _prop("expires", e.expires.isoformat())],
            target=c.FindingTarget(type="objective-id", target_id=target, status=c.ObjectiveStatus(
                state="satisfied", reason="other", remarks="Risk accepted by exemption.")),
            related_observations=[c.RelatedObservation(observation_uuid=run.observation(f.stack, f.policy))
                                  for f in {(f.stack, f.policy): f for f in found}.values()],
            remarks=f"Exempted by {e.approver}, ticket {e.ticket}, expires {e.expires.isoformat()} "
                    f"({report.exemptions_file}:{e.line}).",
        ))
    return out


def assessment_results(report: AuditReport, repo: Path, run: Run | None = None,
                       reports: Iterable[EvidenceFile] = ()) -> AssessmentResults:
    """The audit as OSCAL assessment results; `reports` are further evidence files (the other report formats)."""
    run = run or Run()
    stacks = stack_evidence(report, repo)
    extra = list(reports)
    evidence_resources = _back_matter(run, [*stacks.values(), *extra])
    audited = [r for r in report.results if not r.error]
    tool = run.uuid_of("tool", "bp audit")
    plan = run.uuid_of("plan")
    observations = [_observation(run, p, r, [e for e in (stacks.get(r.stack),) if e] + extra, tool)
                    for r in audited for p in sorted(report.policies.values(), key=lambda p: p.name)]
    findings = _control_findings(run, report, audited) + _exemption_findings(run, report)
    errors = "; ".join(f"{r.stack}: {r.error}" for r in report.results if r.error)
    result = Result(
        uuid=run.uuid_of("result"), title=f"Policy audit of {len(report.results)} stack(s)",
        description=f"bp audit ran {len(report.policies)} policies over the Pulumi Analyzer protocol.",
        start=run.started, end=_now(), reviewed_controls=_reviewed(report.policies),
        local_definitions=LocalDefinitions1(components=_components(run, report.results) or None,
                                            inventory_items=_inventory(run, audited) or None),
        observations=observations or None, findings=findings or None,
        remarks=f"Could not be audited: {errors}" if errors else None,
    )
    back = c.BackMatter(resources=[*evidence_resources, c.Resource(
        uuid=plan, title="Assessment plan: bp audit",
        description=f"Packs {', '.join(sorted({p.pack for p in report.policies.values()}))} with exemptions "
                    f"from {report.exemptions_file or 'none'}, evaluated offline as `pulumi preview --policy-pack` would.")])
    return AssessmentResults(uuid=run.id, metadata=_metadata("Cloud Blueprints policy audit", "1"),
                             import_ap=ImportAp(href=f"#{plan}"), results=[result], back_matter=back)


def _rule_props(p: PolicyMeta, rule_set: str) -> list[c.Property]:
    """A policy as a rule, in trestle's rule-set convention (props grouped by a shared `remarks`)."""
    return [c.Property(name=name, value=value, ns=NS, remarks=rule_set) for name, value in (
        ("Rule_Id", p.name), ("Rule_Description", p.description), ("Check_Id", p.name),
        ("Check_Description", f"{p.severity} severity, {p.enforcement}. Remediation: {p.remediation}"))]


def _pack_component(pack: str, description: str, policies: list[PolicyMeta]) -> DefinedComponent:
    by_control: dict[str, list[PolicyMeta]] = {}
    for p in policies:
        for cid in p.controls.get(NIST, ()):
            by_control.setdefault(control_id(cid), []).append(p)
    props = [prop for i, p in enumerate(policies) for prop in _rule_props(p, f"rule_set_{i:03d}")]
    requirements = [ImplementedRequirement(
        uuid=str(uuid.uuid5(_ID_NS, f"{pack}/{cid}")), control_id=cid,
        description=f"Checked by {', '.join(p.name for p in mine)}.",
        props=[c.Property(name="Rule_Id", value=p.name, ns=NS) for p in mine]
        + [_prop("framework-control", cid2, TAG_PREFIX[fw]) for p in mine for fw, ids in p.controls.items()
           if fw != NIST for cid2 in ids],
    ) for cid, mine in sorted(by_control.items())]
    return DefinedComponent(
        uuid=str(uuid.uuid5(_ID_NS, f"pack/{pack}")), type="policy", title=f"cloud-blueprints-{pack}",
        description=description, props=props or None,
        control_implementations=[ControlImplementation(
            uuid=str(uuid.uuid5(_ID_NS, f"implementation/{pack}")), source=NIST_CATALOG,
            description=f"NIST SP 800-53 rev. 5 controls the {pack} pack checks.",
            implemented_requirements=requirements)] if requirements else None,
    )


def component_definition(policies: dict[str, PolicyMeta]) -> ComponentDefinition:
    """Every pack as a policy component, each policy as a rule with the controls it implements."""
    from policy_packs.packs import PACKS

    components = [_pack_component(pack, PACKS[pack][0], sorted((p for p in policies.values() if p.pack == pack),
                                                               key=lambda p: p.name))
                  for pack in PACKS if any(p.pack == pack for p in policies.values())]
    return ComponentDefinition(uuid=str(uuid.uuid4()), metadata=_metadata("Cloud Blueprints policy packs", "1"),
                               components=components or None)


def to_json(model) -> str:
    """A trestle model as the wrapped OSCAL JSON document (`{"assessment-results": ...}`)."""
    return model.oscal_serialize_json(pretty=True, wrapped=True) + "\n"
