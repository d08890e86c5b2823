"""The team names every resource of every blueprint accepts on both targets: one rule for `bp new` on any target.

Each shape refused here names the provider rules it stands for (engine/provider_rules/table.py; a test proves each
rule refuses a name built from such a team), and the length comes from team_budget.json, derived by running every
blueprint offline on every target (`python -m engine.provider_rules.team_budget --update`; a test re-derives it).
This module is data and words only, so the request model can use it.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable, Iterator

BUDGET_FILE = Path(__file__).with_name("team_budget.json")
"""Where the derived length budget is recorded."""


@dataclass(frozen=True)
class Shape:
    """One shape of team name some provider refuses, and the rules that refuse it."""

    refuses: str
    words: str
    rules: tuple[str, ...]


def _first_not_letter(team: str) -> bool:
    return not "a" <= team[:1] <= "z"


SHAPES: tuple[tuple[Shape, Callable[[str], bool]], ...] = (
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


_probing: ContextVar[bool] = ContextVar("team_budget_probing", default=False)


@contextmanager
def budget_lifted() -> Iterator[None]:
    """Accept teams of any length for the block: the derivation probes lengths past the budget it derives."""
    token = _probing.set(True)
    try:
        yield
    finally:
        _probing.reset(token)


def team_problem(team: str) -> str | None:
    """Why some provider would refuse a resource named after this team, in words; None when none would."""
    for shape, refused in SHAPES:
        if refused(team):
            return f"'{team}' {shape.words} (rules {', '.join(shape.rules)})"
    budget = team_budget()
    if len(team) > budget.max_len and not _probing.get():
        return (f"'{team}' is {len(team)} characters; at most {budget.max_len} fit every resource of every blueprint "
                f"on both targets (binding: {budget.binding})")
    return None


