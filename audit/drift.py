"""Audits of deployed state, and the drift between what is deployed and what the stack file would build now.

`run_state_audit` evaluates an exported checkpoint with the same packs over the same Analyzer protocol as `bp
audit`; given the stack file too, it runs the program offline and lists, as `pulumi up` of the stack file would
see it, the resources it would add, remove or change (input properties by path), and for each the policies whose
verdict on that resource differs between the deployed and the intended resource.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit import deployed_state
from audit.run import Auditor, AuditReport, StackResult
from blueprints.errors import BadInput
from engine.captured import Capture, CapturedResource
from engine.diff import changed_paths

_ADDED, _REMOVED, _CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class ResourceDrift:
    """One resource that differs: added (only in the stack file), removed (only deployed) or changed."""

    urn: str
    type: str
    kind: str
    properties: tuple[str, ...] = ()
    """Input property paths whose deployed value differs from the stack file's (changed resources)."""
    policies: tuple[str, ...] = ()
    """Policies whose verdict on the resource differs between deployed and intended."""

    def to_json(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "kind": self.kind, "properties": list(self.properties),
                "policies": list(self.policies)}


@dataclass
class Drift:
    """The drift of one deployed stack from its stack file."""

    stack: str
    state: str
    source: str
    resources: list[ResourceDrift] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "state": self.state, "stack_file": self.source,
                "resources": [r.to_json() for r in self.resources]}


def _paths(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    """The input paths at which deployed and intended differ (engine.diff's comparison, as `bp upgrade` makes it),
    leaving out the engine's bookkeeping keys such as `__defaults`, which are not properties."""
    return tuple(p for p in changed_paths(old, new) if not any(part.startswith("__") for part in p.split(".")))


def _verdicts(result: StackResult, urn: str) -> set[tuple[str, str]]:
    return {(f.policy, f.status) for f in result.findings if f.urn == urn}


def _changed_policies(deployed: StackResult, intended: StackResult, urn: str) -> tuple[str, ...]:
    return tuple(sorted({p for p, _ in _verdicts(deployed, urn) ^ _verdicts(intended, urn)}))


def drift(deployed: Capture, intended: Capture, deployed_audit: StackResult, intended_audit: StackResult,
          state: str, source: str) -> Drift:
    """Compare deployed resources with the ones the stack file builds, by URN."""
    have: dict[str, CapturedResource] = {r.urn: r for r in deployed.resources}
    want: dict[str, CapturedResource] = {r.urn: r for r in intended.resources}
    out = Drift(deployed.stack, state, source)
    for urn, r in want.items():
        if urn not in have:
            out.resources.append(ResourceDrift(urn, r.type, _ADDED, policies=_changed_policies(deployed_audit, intended_audit, urn)))
        elif changed := _paths(have[urn].inputs, r.inputs):
            out.resources.append(ResourceDrift(urn, r.type, _CHANGED, changed,
                                               _changed_policies(deployed_audit, intended_audit, urn)))
    for urn, r in have.items():
        if urn not in want:
            out.resources.append(ResourceDrift(urn, r.type, _REMOVED, policies=_changed_policies(deployed_audit, intended_audit, urn)))
    return out


def _source(state: Path, repo: Path | None) -> str:
    """The state file as reports name it: from the repository when inside it (as stack files are), else absolute,
    so its digest can be checked from anywhere."""
    path = state.resolve()
    if repo is not None and path.is_relative_to(Path(repo).resolve()):
        return path.relative_to(Path(repo).resolve()).as_posix()
    return str(path)


def run_state_audit(state: Path, *, repo: Path | None = None, against=None, sites=None, **auditor_args) -> tuple[AuditReport, Drift | None]:
    """Audit an exported checkpoint; with `against` (a resolved stack file) and `repo`, also its drift."""
    from engine.stacks import preview
    from store.stack_files import stack_path

    deployed = deployed_state.read(state)
    if against is not None and against.stack != deployed.stack:
        raise BadInput(f"--against: stack {against.stack}, but the state is of stack {deployed.stack}", state)
    with Auditor(**auditor_args) as auditor:
        result = auditor.audit(deployed, _source(Path(state), repo))
        found = None
        if against is not None:
            source = str(stack_path(repo, against.stack).relative_to(repo))
            intended = preview(repo, against, sites)
            found = drift(deployed, intended, result, auditor.audit(intended, source), str(state), source)
        report = AuditReport([result], auditor.policies, auditor.exemptions, auditor.unused_exemptions([result]),
                             str(auditor.exemptions_file))
    return report, found


def with_drift(report_json: str, found: Drift) -> str:
    """The JSON report with the drift added under `drift`."""
    data = json.loads(report_json)
    data["drift"] = found.to_json()
    return json.dumps(data, indent=2) + "\n"
