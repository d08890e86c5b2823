"""What `bp new` checks before anything is placed: a team name every resource of every blueprint accepts on every
target, and free text that reaches tags in the characters the providers' tag rules accept.

The team's shape comes from the rules table (each refusal names the rules it stands for; tests prove each with the
rule itself) and its length from `team_budget.json`, derived by running every blueprint offline
(`python -m engine.provider_rules.team_budget --update`; a test re-derives it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest
from blueprints.resolved import TAG_FIELDS, ownership_tags
from engine.provider_rules.model import Registration
from engine.provider_rules.table import RULES

BUDGET_FILE = Path(__file__).with_name("team_budget.json")


@dataclass(frozen=True)
class Shape:
    """One shape of team name some provider refuses, and the rules that refuse it."""

    refuses: str
    words: str
    rules: tuple[str, ...]


def _first_not_letter(team: str) -> bool:
    return not team[:1].isalpha()


SHAPES: tuple[tuple[Shape, object], ...] = (
    (Shape("starts-with-digit", "must start with a letter: RDS instance and ElastiCache replication group "
           "identifiers and Kubernetes Service names begin with the team",
           ("aws-rds-identifier", "aws-elasticache-replication-group-id", "k8s-service-name")), _first_not_letter),
    (Shape("double-hyphen", "must not contain '--': RDS and ElastiCache identifiers refuse two consecutive hyphens, "
           "and S3 reserves bucket names starting xn--",
           ("aws-rds-identifier", "aws-elasticache-replication-group-id", "aws-s3-bucket-reserved")),
     lambda team: "--" in team),
    (Shape("reserved-prefix", "must not start with 'sg-' (EC2 security group names), 'sthree-' or 'amzn-s3-demo-' "
           "(S3 bucket names)", ("aws-ec2-security-group-name", "aws-s3-bucket-reserved")),
     lambda team: team.startswith(("sg-", "sthree-", "amzn-s3-demo-"))),
)


@dataclass(frozen=True)
class TeamBudget:
    """The longest team every resource of every blueprint accepts, and the resource that binds it."""

    max_len: int
    binding: str


@cache
def team_budget() -> TeamBudget:
    """The recorded derivation (team_budget.json)."""
    data = json.loads(BUDGET_FILE.read_text())
    return TeamBudget(data["max_len"], data["binding"])


def team_problem(team: str) -> str | None:
    """Why some provider would refuse a resource named after this team, in words; None when none would."""
    for shape, refused in SHAPES:
        if refused(team):
            return f"'{team}' {shape.words} (rules {', '.join(shape.rules)})"
    budget = team_budget()
    if len(team) > budget.max_len:
        return (f"'{team}' is {len(team)} characters; at most {budget.max_len} fit every resource of every blueprint "
                f"on both targets (binding: {budget.binding})")
    return None


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
