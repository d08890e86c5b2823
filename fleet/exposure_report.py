"""Exposure in `bp fleet report`: which stacks run a release that misses an advisory, and how long until its deadline.

One row per exposed stack (its most urgent advisory decides its bucket), counted by days to the deadline, by
data center and by severity. The advisories and deadlines are `bp fleet check`'s (fleet/exposure.py): the same
release data, so the report and the check never disagree. Retired stacks are skipped as the check skips them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from blueprints.releases import SEVERITIES
from fleet.exposure import stack_exposures
from fleet.stamped import StampedFleet

BUCKETS = (("overdue", None, -1), ("0-7 days", 0, 7), ("8-30 days", 8, 30), ("31-90 days", 31, 90),
           ("over 90 days", 91, None))
"""Days to the deadline, most urgent first: (label, from, to), inclusive; None is open."""


def bucket(days_left: int) -> str:
    """The label of the days-to-deadline bucket a stack falls in."""
    return next(label for label, low, high in BUCKETS
                if (low is None or days_left >= low) and (high is None or days_left <= high))


@dataclass(frozen=True)
class ExposedStack:
    """A stack and its most urgent advisory."""

    stack: str
    data_center: str
    env: str
    advisory: str
    severity: str
    line: str
    fixed_in: str
    deadline: str
    days_left: int
    advisories: int
    """Advisories its recorded releases miss in all."""


@dataclass
class ExposureReport:
    """Exposed stacks, counted by deadline bucket, data center and severity."""

    stacks: int
    """Stacks in service (the denominator)."""
    exposed: list[ExposedStack] = field(default_factory=list)
    """Most urgent first."""

    def counts(self, by: str, within: str) -> dict[str, Counter]:
        """Exposed stacks by `by` (bucket, data_center, severity) split by `within` (the same names)."""
        out: dict[str, Counter] = {}
        for e in self.exposed:
            key = {"bucket": bucket(e.days_left), "data_center": e.data_center, "severity": e.severity}
            out.setdefault(key[by], Counter())[key[within]] += 1
        return out

    def as_json(self) -> dict:
        """Machine form."""
        return {"stacks": self.stacks, "exposed": [vars(e) for e in self.exposed],
                "by_bucket": {k: dict(v) for k, v in self.counts("bucket", "severity").items()},
                "by_data_center": {k: dict(v) for k, v in self.counts("data_center", "severity").items()}}


def build(fleet: StampedFleet) -> ExposureReport:
    """Every in-service stack whose recorded releases miss an advisory, most urgent first."""
    releases = fleet.sites.releases
    live = [bp for bp in fleet.stacks if not bp.retired]
    report = ExposureReport(len(live))
    for bp in live if releases else []:
        found = stack_exposures(bp, releases)
        if not found:
            continue
        worst = min(found, key=lambda e: (e.deadline, SEVERITIES.index(e.advisory.severity)))
        report.exposed.append(ExposedStack(
            bp.stack, bp.primary.data_center, bp.request.env, worst.advisory.id, worst.advisory.severity, worst.line,
            worst.fixed_by.version, str(worst.deadline), worst.days_left(fleet.today), len(found)))
    report.exposed.sort(key=lambda e: (e.days_left, SEVERITIES.index(e.severity), e.stack))
    return report
