"""Judging registrations against the rules table, one run at a time."""

from __future__ import annotations

from typing import Any, Mapping

from engine.provider_rules.model import MISSING, Refused, Registration, Rule, Violation, lookup
from engine.provider_rules.table import RULES

_BY_TYPE: dict[str, tuple[Rule, ...]] = {}


def rules_for(type_: str) -> tuple[Rule, ...]:
    """The rules that judge resources of a type token (worked out once per token)."""
    found = _BY_TYPE.get(type_)
    if found is None:
        found = _BY_TYPE[type_] = tuple(rule for rule in RULES if rule.applies_to(type_))
    return found


def judge(rule: Rule, reg: Registration) -> str | None:
    """Why the provider refuses this registration under `rule`, or None (also when the property is not set)."""
    value = lookup(reg.state, rule.prop)
    return None if value is MISSING or value is None else rule.test(value, reg)


class RuleChecker:
    """Checks each registration of one run as it arrives; later rules may consult earlier resources by id."""

    def __init__(self) -> None:
        self.index: dict[str, tuple[str, Mapping[str, Any]]] = {}

    def check(self, urn: str, type_: str, resource_id: str, inputs: Mapping[str, Any],
              state: Mapping[str, Any]) -> list[Violation]:
        """The violations of one registration (its state is the provider's answer: inputs plus what it adds)."""
        found = []
        rules = rules_for(type_)
        if rules:
            reg = Registration(type_, inputs, state, self.index)
            for rule in rules:
                reason = judge(rule, reg)
                if isinstance(reason, Refused):
                    found.append(Violation(urn, f"{rule.prop}.{reason.at}", reason.value, rule.id, str(reason), rule.source))
                elif reason:
                    found.append(Violation(urn, rule.prop, lookup(state, rule.prop), rule.id, reason, rule.source))
        if resource_id:
            self.index[resource_id] = (type_, state)
        return found
