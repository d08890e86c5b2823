"""The fleet as fleet commands see it: every stack file of a repository, with the catalog and the sites map."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from blueprints import clock
from blueprints.errors import BadInput
from store.stack_paths import LEDGER_NAME

if TYPE_CHECKING:  # the models load only where a fleet is read: a finding from the fleet check's cache needs none
    from blueprints.catalog import Catalog
    from blueprints.resolved import ResolvedBlueprint
    from blueprints.sites import SitesMap
    from store.pins import Pin


@dataclass(frozen=True)
class FleetFinding:
    """One broken fleet invariant, naming every stack involved."""

    rule: str
    """Short id of the invariant, e.g. `network-overlap`."""
    stacks: tuple[str, ...]
    """The stacks involved, sorted; empty when the finding is about the sites map alone."""
    message: str
    """One line a person can act on."""
    error: bool = True
    """Errors fail the check; warnings are reported only."""

    @property
    def stack(self) -> str:
        """The stack a finding about one stack names ("fleet" for one about the sites map alone)."""
        return self.stacks[0] if self.stacks else "fleet"

    def as_json(self) -> dict:
        """Machine form."""
        return {"rule": self.rule, "severity": "error" if self.error else "warning",
                "stacks": list(self.stacks), "message": self.message}


@dataclass(frozen=True)
class Scope:
    """The stacks a check is about: their own invariants are checked; a fleet-wide finding counts if it names one."""

    stacks: list[ResolvedBlueprint]
    """The stacks checked one by one (a named stack file may lie outside the repository)."""
    names: frozenset[str] | None = None
    """Stack names a finding must involve to be reported; None: the whole fleet."""

    def holds(self, finding: FleetFinding) -> bool:
        """Whether a finding concerns this scope (a finding on the ledger file as a whole always does)."""
        return (self.names is None or not finding.stacks or LEDGER_NAME in finding.stacks
                or any(s in self.names for s in finding.stacks))


ProgramRun = Callable[[list[str]], list[FleetFinding]]
"""The findings of running the program of each stack named (fleet/program_runs.py)."""


def with_runs(found: list[FleetFinding], stacks: list[str], run: ProgramRun | None) -> list[FleetFinding]:
    """`found` and, with `run`, what running the programs of those of `stacks` that passed their own checks finds:
    errors first, then by rule and stacks (the order every check reports in)."""
    if run is not None:
        failed = {f.stacks[0] for f in found if f.error and f.rule == "stack"}
        found = found + run([stack for stack in stacks if stack not in failed])
    return sorted(found, key=lambda f: (not f.error, f.rule, f.stacks, f.message))


@dataclass
class StampedFleet:
    """Every stack of a repository, the files that could not be read, and what they are checked against."""

    stacks: list[ResolvedBlueprint]
    """Stacks read, in file-name order."""
    catalog: Catalog
    """The catalog in force."""
    sites: SitesMap
    """The sites map in force."""
    unreadable: list[tuple[str, BadInput]] = field(default_factory=list)
    """Stack files that did not parse: (stack name, the error naming file, line and field)."""
    pins: dict[str, Pin] = field(default_factory=dict)
    """Pins stamped by `bp pin`, by stack name."""
    today: date = field(default_factory=clock.today)
    """The day the fleet is checked (pin expiry, version sunsets, support ends)."""
    warn_days: int | None = None
    """Days ahead a support end is warned of; None: the sites map's `support.warn_days`."""
    repo: Path | None = None
    """The repository read, whose allocation ledger is checked; None: a fleet built in memory."""


def load_fleet(repo: Path, catalog: Catalog, sites: SitesMap) -> StampedFleet:
    """Read every stack file; a bad one is kept as unreadable rather than stopping the whole fleet."""
    from blueprints import yaml_io
    from store import stack_files
    from store.pins import pin_in
    from store.stack_data import StackData

    fleet = StampedFleet(stacks=[], catalog=catalog, sites=sites, repo=repo)
    read = StackData(repo)  # a file whose bytes were read before is not parsed again
    with yaml_io.collector_paused():
        for path in stack_files.list_stack_files(repo):
            try:
                data = read.read(path)  # once for the stack and its pin
                fleet.stacks.append(stack_files.stack_in(path, data))
                pin = pin_in(path, data)
                if pin is not None:
                    fleet.pins[fleet.stacks[-1].stack] = pin
            except BadInput as exc:
                fleet.unreadable.append((stack_files.stack_name(path), exc))
    read.keep()
    return fleet
