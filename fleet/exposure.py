"""What the fleet's recorded decisions miss of today's releases: stale decisions and advisories with deadlines.

Findings for `bp fleet check`, grouped so a fleet of thousands gives one line per change and advisory, each naming
every stack involved: a decision that today's sites map would take differently (`decision-stale`), a recorded
release that misses a newer release's fix (`advisory-due` before the deadline, `advisory-overdue` after it) and
one that is behind its line with nothing to fix (`release-behind`), and an image no line lists (`release-unlisted`:
its source and the advisories it misses are unknown). Retired stacks are on their way out and skipped.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from blueprints.plan import PlanError, stale
from blueprints.releases import Exposure, Releases, exposures
from blueprints.resolved import ResolvedBlueprint
from fleet.stamped import FleetFinding, StampedFleet


def recorded_releases(bp: ResolvedBlueprint) -> list[str]:
    """Every value the stack records that a release line may list: engine images and its VM template."""
    values = [e.image for e in bp.decisions.engines if e.image]
    return values + ([bp.decisions.vm_template] if bp.decisions.vm_template else [])


def stack_exposures(bp: ResolvedBlueprint, releases: Releases) -> list[Exposure]:
    """The advisories a stack's recorded releases miss, each with its deadline."""
    found = []
    for value in recorded_releases(bp):
        hit = releases.line_of(value)
        if hit is not None:
            found += exposures(releases, hit[0], value)
    return found


def stale_decisions(fleet: StampedFleet, scope: object = None) -> Iterable[FleetFinding]:
    """Decisions today's sites map would take differently: one warning per change, naming its stacks."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    for bp in _in_service(fleet):
        try:
            changes = stale(bp, fleet.sites.fleet, fleet.sites.releases)
        except PlanError as exc:
            groups[("undecidable", str(exc), "")].append(bp.stack)
            continue
        for path, (old, new) in changes.items():
            groups[(path, _short(old), _short(new))].append(bp.stack)
    return [FleetFinding("decision-stale", tuple(sorted(stacks)), _stale_line(path, old, new, len(stacks)), error=False)
            for (path, old, new), stacks in sorted(groups.items())]


def _stale_line(path: str, old: str, new: str, count: int) -> str:
    if path == "undecidable":
        return f"today's sites map cannot decide for them: {old}"
    return f"{path}: records {old}, today's sites map decides {new} ({count} stacks); `bp fleet patch plan` rolls it out"


def advisories(fleet: StampedFleet, scope: object = None) -> Iterable[FleetFinding]:
    """Advisories recorded releases miss: a warning with the days left, an error once the deadline has passed."""
    releases = fleet.sites.releases
    if releases is None:
        return []
    groups: dict[tuple, list[str]] = defaultdict(list)
    behind: dict[tuple, list[str]] = defaultdict(list)
    unlisted: dict[str, list[str]] = defaultdict(list)
    for bp in _in_service(fleet):
        for e in stack_exposures(bp, releases):
            groups[(e.deadline, e.advisory.id, e.advisory.severity, e.line, e.running, e.fixed_by.version)].append(bp.stack)
        for value in recorded_releases(bp):
            hit = releases.line_of(value)
            if hit is None and "@sha256:" in value:
                unlisted[value].append(bp.stack)
            if hit and hit[1].newest().value != value and not exposures(releases, hit[0], value):
                behind[(hit[0], value, hit[1].newest().version)].append(bp.stack)
    found = [_advisory(key, stacks, fleet) for key, stacks in sorted(groups.items())]
    found += [FleetFinding("release-unlisted", tuple(sorted(stacks)), f"{value}: no release line of the sites map lists "
                           f"this image, so what it misses is unknown ({len(stacks)} stacks)", error=False)
              for value, stacks in sorted(unlisted.items())]
    return found + [FleetFinding("release-behind", tuple(sorted(stacks)),
                                 f"{line}: runs {_short(value)}; {newest} is out ({len(stacks)} stacks)", error=False)
                    for (line, value, newest), stacks in sorted(behind.items())]


def _advisory(key: tuple, stacks: list[str], fleet: StampedFleet) -> FleetFinding:
    deadline, advisory, severity, line, running, fixed_in = key
    left = (deadline - fleet.today).days
    when = f"{left} days left" if left >= 0 else f"{-left} days overdue"
    return FleetFinding("advisory-overdue" if left < 0 else "advisory-due", tuple(sorted(stacks)),
                        f"{advisory} ({severity}) on {line} {_short(running)}: fixed in {fixed_in}, patch by "
                        f"{deadline} ({when}; {len(stacks)} stacks)", error=left < 0)


def _in_service(fleet: StampedFleet) -> list[ResolvedBlueprint]:
    return [bp for bp in fleet.stacks if not bp.retired]


def _short(value: object) -> str:
    """An image reference without its digest, for one readable line (the stack file holds the full value)."""
    text = str(value)
    return text.split("@sha256:")[0] if "@sha256:" in text else text
