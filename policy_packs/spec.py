"""A policy as data (name, description, severity, remediation, themes, config) plus its check, and how it becomes
a pulumi-policy object that applies the reviewed exemptions.

Policy modules declare checks with `resource_rule` / `stack_rule`; packs turn them into `ResourceValidationPolicy` /
`StackValidationPolicy` objects with `to_policy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from policy_packs import exemptions as ex
from policy_packs.controls import NIST, control_tags, controls_of

LOW, MEDIUM, HIGH, CRITICAL = Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL

Check = Callable[..., None]


@dataclass(frozen=True)
class Rule:
    """One policy's metadata and its check."""

    name: str
    """`<vendor>-<service>-<resource>-<rule>`, unique across packs."""
    description: str
    """One sentence, starting with a verb."""
    severity: Severity
    remediation: str
    """What to change to comply (pulumi-policy `remediation_steps`)."""
    themes: tuple[str, ...]
    """Keys of `controls.THEMES`: the controls this policy evidences."""
    check: Check
    stack: bool = False
    """A stack policy (sees every resource's outputs) rather than a resource policy."""
    types: tuple[str, ...] = ()
    """Resource types a resource policy inspects; empty: every type."""
    config: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    """JSON-schema properties of the policy's config, each with a `default`."""
    reads_exemptions: bool = False
    """The check takes the exemptions in force as a fourth argument."""

    @property
    def enforcement(self) -> EnforcementLevel:
        """Mandatory for high and critical severity, advisory below."""
        return EnforcementLevel.MANDATORY if self.severity in (HIGH, CRITICAL) else EnforcementLevel.ADVISORY

    @property
    def controls(self) -> dict[str, tuple[str, ...]]:
        """Framework -> control ids, from the one controls table."""
        return controls_of(self.themes)

    def defaults(self) -> dict[str, Any]:
        """Config values when none are given."""
        return {k: v["default"] for k, v in self.config.items()}

    def to_policy(self, exemptions: list[ex.Exemption]) -> Policy:
        """The pulumi-policy object; violations covered by an active exemption become a not-applicable record."""
        common = dict(
            name=self.name,
            description=self.description,
            enforcement_level=self.enforcement,
            severity=self.severity,
            remediation_steps=self.remediation,
            framework=PolicyComplianceFramework(
                name=NIST, version="rev. 5", reference=", ".join(self.controls.get(NIST, ())),
                specification="https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
            ),
            tags=control_tags(self.themes),
            config_schema=PolicyConfigSchema(properties=dict(self.config)) if self.config else None,
        )
        if self.stack:
            return StackValidationPolicy(validate=self._stack_validate(exemptions), **common)
        return ResourceValidationPolicy(validate=self._resource_validate(exemptions), **common)

    def _config(self, args) -> dict[str, Any]:
        return {**self.defaults(), **dict(args.get_config() or {})}

    def _run(self, args, report, exemptions: list[ex.Exemption]) -> None:
        extra = (exemptions,) if self.reads_exemptions else ()
        self.check(args, report, self._config(args), *extra)

    def _resource_validate(self, exemptions: list[ex.Exemption]) -> Check:
        # Only a policy some exemption names looks at the URN: the in-process verdict cache keys on what a check reads.
        mine = [e for e in exemptions if e.policy == self.name]

        def validate(args, report) -> None:
            if self.types and args.resource_type not in self.types:
                return
            exemption = ex.find(mine, self.name, args.urn) if mine else None
            if exemption is None or not exemption.active():
                return self._run(args, report, exemptions)
            hits: list[str] = []
            self._run(args, lambda msg, urn=None: hits.append(msg), exemptions)
            if hits:
                args.not_applicable(ex.encode_exempt([(args.urn, exemption, m) for m in hits]))

        return validate

    def _stack_validate(self, exemptions: list[ex.Exemption]) -> Check:
        def validate(args, report) -> None:
            hits: list[tuple[str, ex.Exemption, str]] = []

            def report_unless_exempt(msg: str, urn: str | None = None) -> None:
                exemption = ex.find(exemptions, self.name, urn) if urn else None
                if exemption is not None and exemption.active():
                    hits.append((urn, exemption, msg))
                else:
                    report(msg, urn)

            self._run(args, report_unless_exempt, exemptions)
            if hits:
                args.not_applicable(ex.encode_exempt(hits))

        return validate


def resource_rule(registry: list[Rule], name: str, description: str, severity: Severity, *, remediation: str,
                  themes: tuple[str, ...], types: tuple[str, ...] = (), config: Mapping[str, dict] | None = None):
    """Decorator: register `check(args, report, config)` as a resource policy in `registry`."""
    def register(check: Check) -> Check:
        registry.append(Rule(name, description, severity, remediation, themes, check, False, types, config or {}))
        return check
    return register


def stack_rule(registry: list[Rule], name: str, description: str, severity: Severity, *, remediation: str,
               themes: tuple[str, ...], config: Mapping[str, dict] | None = None, reads_exemptions: bool = False):
    """Decorator: register `check(args, report, config)` as a stack policy in `registry`."""
    def register(check: Check) -> Check:
        registry.append(Rule(name, description, severity, remediation, themes, check, True, (), config or {}, reads_exemptions))
        return check
    return register


# --- reading properties as the engine passes them -------------------------------------------------------------

def on(value: Any) -> bool:
    """A boolean input, which providers sometimes carry as the string "true"."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def customer_key(key: Any) -> bool:
    """Whether a KMS key reference names a customer-managed key: set, and not an AWS-managed key's alias
    (`alias/aws/<service>`, bare or in an ARN), whose policy no one can narrow. A value not yet known (preview) counts
    as set, as before."""
    return bool(key) and not (isinstance(key, str) and key.split(":")[-1].startswith("alias/aws/"))


def stack_of(urn: str) -> str:
    """The stack a URN belongs to."""
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


def is_prod(props: Mapping[str, Any], tag_key: str = "tags") -> bool:
    """Whether a resource belongs to a prod environment, by its ownership tag or label."""
    tags = props.get(tag_key) or {}
    return tags.get("env") == "prod"


def of_type(resources, *types: str) -> list:
    """The stack's resources of the given types."""
    return [r for r in resources if r.resource_type in types]
