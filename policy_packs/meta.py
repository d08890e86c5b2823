"""What the packs answer, as plain data any process can read without loading the packs: each policy as configured,
and each Analyze / AnalyzeStack answer.

Light on purpose: `bp audit` answered by the engine server reads these back without importing pulumi or the policies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from policy_packs.controls import parse_control_tag

LEVELS = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
"""The Analyzer protocol's EnforcementLevel numbers (pulumi's analyzer.proto) and their names."""
SEVERITIES = {0: "unspecified", 1: "low", 2: "medium", 3: "high", 4: "critical"}
"""The protocol's PolicySeverity numbers and their names."""
STACK_POLICY = 2
"""The protocol's PolicyType number of a stack policy."""


@dataclass(frozen=True)
class PolicyMeta:
    """A policy as its pack describes it over GetAnalyzerInfo, with the enforcement level configured for this audit."""

    name: str
    pack: str
    description: str
    severity: str
    enforcement: str
    default_enforcement: str
    remediation: str
    controls: dict[str, tuple[str, ...]]
    stack_policy: bool
    config_schema: dict[str, Any]

    @staticmethod
    def of(pack: str, info, enforcement: str) -> PolicyMeta:
        """From the protocol's PolicyInfo."""
        from google.protobuf import json_format

        controls: dict[str, list[str]] = {}
        for tag in info.tags:
            parsed = parse_control_tag(tag)
            if parsed:
                controls.setdefault(parsed[0], []).append(parsed[1])
        return PolicyMeta(
            name=info.name, pack=pack, description=info.description, severity=SEVERITIES[info.severity],
            enforcement=enforcement, default_enforcement=LEVELS[info.enforcementLevel],
            remediation=info.remediation_steps, controls={k: tuple(v) for k, v in controls.items()},
            stack_policy=info.policy_type == STACK_POLICY,
            config_schema=json_format.MessageToDict(info.configSchema.properties),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> PolicyMeta:
        return PolicyMeta(**{**data, "controls": {k: tuple(v) for k, v in data["controls"].items()}})


class PackError(Exception):
    """A pack process did not start or did not answer; carries the pack's own last words."""


class PolicyError(Exception):
    """A policy raised something other than an unknown value or not-applicable (a bug in the policy)."""


class Diagnostic(NamedTuple):
    """A violation (or an undecided policy), with the fields of the protocol's AnalyzeDiagnostic the audit reads."""

    policyName: str
    message: str
    description: str
    urn: str
    enforcementLevel: int


class NotApplicable(NamedTuple):
    """The protocol's PolicyNotApplicable."""

    policy_name: str
    reason: str


@dataclass
class Answer:
    """What one Analyze or AnalyzeStack call answers: the protocol's AnalyzeResponse, as plain data."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)

    def to_json(self) -> list:
        return [[list(d) for d in self.diagnostics], [list(n) for n in self.not_applicable]]

    @staticmethod
    def from_json(data: list) -> Answer:
        return Answer([Diagnostic(*d) for d in data[0]], [NotApplicable(*n) for n in data[1]])
