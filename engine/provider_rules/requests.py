"""What `bp new` checks before anything is placed: a team name every resource of every blueprint accepts on every
target (blueprints/team_names.py, derived from the rules table), and free text that reaches tags in the characters
the providers' tag rules accept.
"""

from __future__ import annotations

from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest
from blueprints.resolved import TAG_FIELDS, ownership_tags
from blueprints.team_names import team_problem
from engine.provider_rules.model import Registration
from engine.provider_rules.table import RULES


def tag_text_problem(request: BlueprintRequest, targets) -> str | None:
    """The first ownership tag value (owner, cost center, ...) an AWS service's tag rules refuse, naming the
    field, the character and the rule; None when every service the blueprint may use accepts them all."""
    if "aws" not in targets:
        return None
    tag_rules = [rule for rule in RULES if rule.prop == "tags" and any(t.startswith("aws:") for t in rule.types)]
    for key, value in ownership_tags(request).items():
        for rule in tag_rules:
            reason = rule.test({key: value}, Registration(rule.types[0], {}, {}))
            if reason:
                field = TAG_FIELDS.get(key, key)
                return (f"{field}: '{value}' reaches the '{key}' tag of AWS resources, whose {reason} "
                        f"(rule {rule.id}; source: {rule.source})")
    return None


def check_request(request: BlueprintRequest, targets) -> None:
    """BadInput, one line naming the field, when a provider would refuse what this request makes."""
    problem = team_problem(request.team)
    if problem:
        raise BadInput(f"team: {problem}")
    problem = tag_text_problem(request, targets)
    if problem:
        raise BadInput(problem)
