"""Releases as data: what the fleet can run of each image, VM template and node image, and what each one fixes.

The sites map's `releases:` lists, per line (one thing a stack decision points at: the Redis 7 image, the
Postgres 17 image, the `rhel-9-cis` template family), its releases oldest first, each with its publish date,
the advisories it fixes and where its identity (a digest) comes from. A stack that records an older release
of a line is exposed to every advisory a newer release fixes; the patch deadline runs from the fixing
release's publish date by the advisory's severity (`patch_days`). Kubernetes minors and managed engine
versions keep their dates in the support calendar (`support:`); they are not repeated here. What goes with each
EKS minor (`eks:`) is release data too: the managed add-on versions and the node image line of that minor, so a
cluster moved one minor takes that minor's add-ons and nodes with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import Field, model_validator

from blueprints.models import Frozen

Severity = Literal["critical", "high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")
LineKind = Literal["image", "vm-template", "node-image"]


class Advisory(Frozen):
    """One published vulnerability a release fixes."""

    id: str = Field(description="CVE or vendor advisory id (CVE-2026-23479, RHSA-2026:1234). Required.",
                    pattern=r"^(CVE-\d{4}-\d{4,}|RHSA-\d{4}:\d+|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|ALAS\S+)$")
    severity: Severity = Field(description="The vendor's severity; it sets the patch deadline. Required.")
    cvss: float | None = Field(None, description="CVSS base score as published. Default: none published.", ge=0, le=10)


class Release(Frozen):
    """One release of a line: the exact value a stack decision records, and what it fixes."""

    version: str = Field(description="The release's version (7.4.9, 2026.11). Required.", min_length=1)
    value: str = Field(description="What a stack records to run it: an image reference pinned by digest, a "
                       "template or node-image name. Required.", min_length=1)
    published: date = Field(description="Day the release came out; deadlines of what it fixes run from it. Required.")
    fixes: tuple[Advisory, ...] = Field((), description="Advisories fixed by this release. Default: none.")
    source: str = Field(description="Where the release and its digest come from; a digest not verified against its "
                        "registry says so here. Required.", min_length=1)


class ReleaseLine(Frozen):
    """Every known release of one thing a stack runs, oldest first."""

    kind: LineKind = Field(description="image, vm-template or node-image. Required.")
    releases: tuple[Release, ...] = Field(description="Releases, oldest first. Required.", min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> "ReleaseLine":
        days = [r.published for r in self.releases]
        if days != sorted(days):
            raise ValueError("releases must be listed oldest first (by published)")
        values = [r.value for r in self.releases]
        if len(set(values)) != len(values):
            raise ValueError("two releases of a line record the same value")
        if self.kind == "image" and any("@sha256:" not in v for v in values):
            raise ValueError("an image release must be pinned by digest (name:tag@sha256:...)")
        return self

    def newest(self) -> Release:
        """The release a patch moves stacks to."""
        return self.releases[-1]

    def find(self, value: str) -> Release | None:
        """The release a stack's recorded value is, or None when the line does not list it."""
        return next((r for r in self.releases if r.value == value), None)


class EksMinor(Frozen):
    """What a cluster on one EKS Kubernetes minor runs besides the control plane."""

    addons: dict[str, str] = Field(description="Managed add-on version by add-on name (vpc-cni: v1.20.5-eksbuild.1). "
                                   "Required.", min_length=1)
    node_image: str | None = Field(None, description="The node-image release line of the minor's EKS optimized "
                                   "AMI (its releases are node group release versions). Default: none (EKS picks "
                                   "the newest AMI when a node group is created and never moves it).")
    source: str = Field(description="Where the versions come from; what was not checked against AWS says so. "
                        "Required.", min_length=1)


class Releases(Frozen):
    """The sites map's `releases:` block."""

    patch_days: dict[Severity, int] = Field(
        description="Days from a fix's release to its patch deadline, per severity (policy). Required.")
    lines: dict[str, ReleaseLine] = Field(description="Release lines by name. Required.")
    eks: dict[str, EksMinor] = Field({}, description="By EKS Kubernetes minor (1.34): its add-on versions and node "
                                     "image line. Default: none (add-ons and node images as EKS picks them).")

    @model_validator(mode="after")
    def _every_severity(self) -> "Releases":
        missing = [s for s in SEVERITIES if s not in self.patch_days]
        if missing:
            raise ValueError(f"patch_days: missing {', '.join(missing)}")
        for minor, eks in self.eks.items():
            line = self.lines.get(eks.node_image) if eks.node_image else None
            if eks.node_image and (line is None or line.kind != "node-image"):
                raise ValueError(f"eks.{minor}.node_image: {eks.node_image} is not a node-image line of `lines`")
        return self

    def line_of(self, value: str) -> tuple[str, ReleaseLine] | None:
        """The line that lists `value` as one of its releases."""
        return next(((name, line) for name, line in self.lines.items() if line.find(value)), None)


@dataclass(frozen=True)
class Exposure:
    """One advisory a recorded release misses: fixed by a newer release of its line, due by `deadline`."""

    line: str
    running: str
    fixed_by: Release
    advisory: Advisory
    deadline: date

    def days_left(self, today: date) -> int:
        """Days to the deadline (negative: overdue)."""
        return (self.deadline - today).days


def exposures(releases: Releases, name: str, running: str) -> list[Exposure]:
    """Advisories the release `running` of line `name` misses, each with its deadline; none when it is newest."""
    line = releases.lines[name]
    current = line.find(running)
    if current is None:
        return []
    newer = line.releases[line.releases.index(current) + 1:]
    return [Exposure(name, running, rel, adv, rel.published + timedelta(days=releases.patch_days[adv.severity]))
            for rel in newer for adv in rel.fixes]
