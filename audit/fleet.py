"""The fleet audit: every stack through the policy packs on all cores, streamed and cached (`bp fleet audit`).

`FleetAudit` is an evaluator for `engine.fleet.run_fleet`. Each worker evaluates the packs in its own process, on the
resources its run captured (policy_packs/evaluate.py): no pack processes and no protocol, each resource converted
once, every stack one batch, and resource-policy verdicts remembered by (policy digest, resource digest) so a resource
that reads the same to a policy in another stack is judged once. The gRPC Analyzer path stays what `bp audit
--conformance` drives, and a test proves both give the same findings on every blueprint and target. A policy that
raises fails only the stack it was auditing (and that failure is not cached).

A stack's result carries its findings only on their way to a report (and into the cache, so a warm run can still
write one); `FleetTotals` keeps counts per policy and severity, so memory does not grow with the fleet's findings.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from audit.run import SEVERITY_ORDER, Auditor, Finding, PolicyMeta, audit_stacks
from blueprints.errors import BadInput
from engine.fleet import at_worker_exit
from policy_packs import exemptions as ex
from policy_packs.meta import PolicyError

KINDS = ("mandatory", "advisory", "exempt", "undecided")
"""How a finding counts: a blocking violation, an advisory one, an exempt one, or one the policy could not decide."""


def kind(f: Finding) -> str:
    """Which of KINDS a finding is."""
    if f.status == "violation":
        return "mandatory" if f.blocking else "advisory"
    return f.status


@dataclass(frozen=True)
class FleetAudit:
    """The audit's settings, and the evaluator that audits one stack with its worker's own running packs."""

    packs: tuple[str, ...]
    config: str
    """The policy config (as `pulumi preview --policy-pack-config` takes it), as canonical JSON."""
    config_source: str
    exemptions_file: str

    @staticmethod
    def prepare(packs: Iterable[str] | None, config: dict[str, Any] | None, config_source: str,
                exemptions_file: Path | None) -> tuple["FleetAudit", dict[str, PolicyMeta], list[ex.Exemption]]:
        """Check packs, config and exemptions as `bp audit` does (BadInput), before any worker starts.

        The packs run in process for this, and describe the policies as configured for the report.
        """
        with Auditor(packs, config, config_source, exemptions_file, in_process=True) as checked:
            settings = FleetAudit(tuple(checked.packs), json.dumps(config or {}, sort_keys=True), config_source,
                                  str(checked.exemptions_file.resolve()))
            return settings, checked.policies, checked.exemptions

    def cache_tag(self) -> str:
        """What a cached result depends on besides the code: packs, config, exemptions and which are still in force."""
        path = Path(self.exemptions_file)
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        return json.dumps(["audit", self.packs, self.config, text, [e.active() for e in ex.load(path)]])

    def __call__(self, repo: Path, stack_file: Path, sites) -> dict[str, Any]:
        from store.stack_files import read_stack

        source = str(Path(stack_file).relative_to(repo))
        try:
            resolved = read_stack(stack_file)
            result = next(audit_stacks(repo, [resolved], sites, _packs(self)))
        except BadInput as exc:
            return {"ok": False, "source": source, "error": str(exc)}
        except PolicyError as exc:
            return {"ok": False, "source": source, "error": str(exc), "transient": True}
        if result.error:
            return {"ok": False, "source": source, "resources": 0, "error": result.error}
        return {"ok": True, "source": source, "resources": result.resources, "blocking": len(result.blocking),
                "findings": [f.to_json() for f in result.findings]}


FleetAudit.preload = ("policy_packs.packs", "policy_packs.evaluate")  # workers start with the policies imported
# Not `runs_in_children`: a forked child's garbage (its collector off) and the pages its reference counts copy
# raised the fleet audit's peak PSS from about 460 to 710 MiB on 30 stacks, for no CPU gained.


# This worker's packs and the settings they were built with.
_held: tuple[FleetAudit, Auditor] | None = None


def _packs(settings: FleetAudit) -> Auditor:
    """This worker's packs, built in this process on first use and kept for every later stack of the run."""
    global _held
    if _held is None or _held[0] != settings:
        auditor = Auditor(settings.packs, json.loads(settings.config), settings.config_source,
                          Path(settings.exemptions_file), in_process=True)
        _held = (settings, auditor)
        at_worker_exit(_forget)  # the next run reads its exemptions file afresh, even at the same path
    return _held[1]


def _forget() -> None:
    global _held
    _held = None


@dataclass
class FleetTotals:
    """Counts over a fleet audit's results, per policy, kind and severity: all the audit keeps of its findings."""

    policies: dict[str, PolicyMeta]
    exemptions: list[ex.Exemption]
    by_policy: dict[str, Counter] = field(default_factory=dict)
    """policy -> Counter of KINDS, and `stacks` with an open violation of it."""
    by_severity: Counter = field(default_factory=Counter)
    """Open violations (mandatory or advisory) by severity."""
    blocking: int = 0
    blocked_stacks: int = 0
    used: set[str] = field(default_factory=set)
    """Keys of the exemptions that exempted something."""

    def add(self, data: dict[str, Any]) -> list[Finding]:
        """Count one stack's result; returns its findings for the reports that need them."""
        findings = [Finding.from_json(f) for f in data.get("findings", ())]
        violated = set()
        for f in findings:
            self.by_policy.setdefault(f.policy, Counter())[kind(f)] += 1
            if f.status == "violation":
                self.by_severity[f.severity] += 1
                violated.add(f.policy)
            if f.exemption:
                self.used.add(f.exemption)
        for policy in violated:
            self.by_policy[policy]["stacks"] += 1
        blocking = sum(f.blocking for f in findings)
        self.blocking += blocking
        self.blocked_stacks += blocking > 0
        return findings

    def unused(self) -> list[ex.Exemption]:
        """Active exemptions that exempted nothing in the stacks audited."""
        return [e for e in self.exemptions if e.key not in self.used and e.active()]

    def rows(self) -> list[tuple[PolicyMeta, Counter]]:
        """Policies with findings: most severe first, then most mandatory violations, then name."""
        rows = [(self.policies[name], counts) for name, counts in self.by_policy.items()]
        return sorted(rows, key=lambda r: (SEVERITY_ORDER.index(r[0].severity), -r[1]["mandatory"], r[0].name))

    def by_kind(self) -> dict[str, int]:
        """Findings of each of KINDS over every policy."""
        return {k: sum(c[k] for c in self.by_policy.values()) for k in KINDS}

    def to_json(self) -> dict[str, Any]:
        """The totals as plain data."""
        return {
            "policies": len(self.policies),
            "blocking": self.blocking,
            "blocked_stacks": self.blocked_stacks,
            "by_kind": self.by_kind(),
            "by_severity": {s: self.by_severity[s] for s in SEVERITY_ORDER},
            "by_policy": {p.name: {"severity": p.severity, "enforcement": p.enforcement, **{k: c[k] for k in KINDS},
                                   "stacks": c["stacks"]} for p, c in self.rows()},
            "unused_exemptions": [e.key for e in self.unused()],
        }
