"""What the real providers and cloud APIs refuse, checked on every registration the offline engine answers.

`aws_model` reads the limits AWS states in its API models (botocore); `table` is the one table of rules, each with
its source and an accepted and a refused value; `checker` judges a run's registrations as they arrive;
`autonaming` is Pulumi's auto-naming as the AWS provider applies it; `requests` is what `bp new` checks before
anything runs (the team-name rule of blueprints/team_names.py, free text that reaches tags); `team_budget` derives
the longest team name every blueprint accepts.
"""

from engine.provider_rules.model import Rule, Violation

__all__ = ["Rule", "Violation", "violation_lines"]


def violation_lines(stack: str, violations) -> list[str]:
    """One line per violation: stack, resource URN, property, value, rule and its source."""
    return [v.line(stack) for v in violations]
