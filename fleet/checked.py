"""`bp validate STACK` without reading every stack file again: the fleet check's findings, kept by a digest of all
that the check reads.

A stack is valid only against the whole fleet (its networks against every other stack's, the ledger, the pools'
capacity), so the check reads every stack file: about a second at fifteen hundred stacks. What it finds is a
function of what it reads: the stacks folder (every entry's name and every file's bytes: the stack files, the
ledger, an old text a change kept aside, and which of those a killed change left), the sites map in force, the
catalog, the day, the code and library versions that read and judge them, and where the repository and the sites map
are (an error names its file). The whole fleet's findings are kept under one digest of all of these, in the
repository's `.bp-cache` beside the program-run cache (engine/cache.py); a change to any of them (a neighbour
edited, a file added, deleted or broken) changes the digest, and the fleet is read and checked again. Nothing is
trusted by its date.

A named stack's findings are the whole fleet's that concern it: the invariants that take the scope judge each of
its stacks on its own and name only that stack (`stack_checks`, `hand_edits`, `expired_pins`, `past_sunset`), and
every other one judges the whole fleet whatever the scope; tests/test_fleet_checked.py holds this for every stack.
A stack named by a file outside the repository is checked the way `check` always did.

Imports nothing heavy at the top: on a cache hit no model is loaded at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path

from blueprints import clock
from blueprints.errors import BadInput
from blueprints.free_text import distinct
from blueprints.sites_source import sites_path
from fleet.stamped import FleetFinding, Scope
from store.file_swap import interrupted
from store.stack_paths import named_stack_file, stack_name, stack_path, stacks_folder

LIBRARY = Path(__file__).resolve().parent.parent
CODE = ("blueprints", "store", "fleet")
"""The packages whose code and data (the catalog, the demo sites map) decide what the check finds."""
SUFFIXES = (".py", ".yaml", ".json")
DISTRIBUTIONS = ("pydantic", "pydantic-core", "PyYAML", "ruamel.yaml", "rapidyaml", "email-validator", "idna")
"""The libraries that read the files and validate what they say."""
KEPT = Path(".bp-cache") / "fleet-check" / "findings.json"
"""The repository's one kept result (the newest): a fleet changes as a whole, older results are never asked again."""


@dataclass(frozen=True)
class Named:
    """What the fleet's invariants find about the stacks a command names, before their programs run."""

    stacks: list[str]
    """The stacks named, in the order given."""
    paths: list[Path]
    """Their files."""
    found: list[FleetFinding]
    """Every finding of the invariants that concerns one of them (or the fleet as a whole)."""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def _update(digest, folder: Path, pick=lambda name: True) -> None:
    """Every entry of `folder` that `pick` takes, sorted: its name, and its bytes when it is a file."""
    with os.scandir(folder) as listing:  # scandir's entries know whether they are files without another stat
        entries = sorted((e for e in listing if pick(e.name)), key=lambda e: e.name)
    for entry in entries:
        digest.update(entry.name.encode() + b"\0")
        if entry.is_file():
            with open(entry.path, "rb") as data:
                digest.update(data.read() + b"\0")


def inputs_digest(repo: Path, sites_file: Path | None, today: date) -> str:
    """A digest of everything the fleet check reads, as described above."""
    digest = hashlib.sha256()
    folder = stacks_folder(repo)
    _update(digest, folder)
    for package in CODE:
        for code in sorted({p.parent for p in (LIBRARY / package).rglob("*") if p.suffix in SUFFIXES}):
            digest.update(str(code.relative_to(LIBRARY)).encode() + b"\0")
            _update(digest, code, lambda name: name.endswith(SUFFIXES))
    sites = sites_path(sites_file)
    digest.update(sites.read_bytes())
    left = [p.name for p in interrupted(folder)]  # a kept file counts once the change that kept it is gone
    versions = [_version(dist) for dist in DISTRIBUTIONS]
    where = [str(repo), str(sites)]  # an error names its file: a repository copied with its cache names the copy's
    digest.update(json.dumps([left, today.isoformat(), versions, sys.version, where]).encode())
    return digest.hexdigest()


def _digest(repo: Path, sites_file: Path | None, today: date) -> str | None:
    """The digest, or None when a file cannot be read: reading the fleet then says which, as it always did."""
    try:
        return inputs_digest(repo, sites_file, today)
    except OSError:
        return None


def _own(repo: Path, names: list[str]) -> list[Path] | None:
    """The files of the stacks named, when each is the repository's own file of its stack; else None."""
    try:
        paths = [named_stack_file(repo, name) for name in names]
    except BadInput:
        return None  # read as `load_named` reads, it raises the error it always raised, in the order it did
    own = all(p.resolve() == stack_path(repo, stack_name(p)).resolve() for p in paths)
    return paths if own else None


def _recall(path: Path, digest: str) -> tuple[list[FleetFinding], set[str]] | None:
    try:
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("digest") != digest:
        return None
    try:
        found = [FleetFinding(rule, tuple(stacks), message, error) for rule, stacks, message, error in kept["found"]]
        return found, set(kept["unreadable"])
    except (KeyError, TypeError, ValueError):  # not a file this module wrote: check again
        return None


def _keep(path: Path, digest: str, found: list[FleetFinding], unreadable: set[str]) -> None:
    """Store the whole fleet's findings atomically; a repository that cannot be written to is checked each time."""
    from blueprints.yaml_io import write_atomic

    data = {"digest": digest, "unreadable": sorted(unreadable),
            "found": [[f.rule, list(f.stacks), f.message, f.error] for f in found]}
    with contextlib.suppress(OSError, BadInput):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data))


def _read_fleet(repo: Path, sites_file: Path | None, today: date):
    from blueprints.catalog import Catalog
    from blueprints.sites import load_sites
    from fleet.stamped import load_fleet

    fleet = load_fleet(repo, Catalog(), load_sites(sites_file))
    fleet.today = today
    return fleet


def _whole_fleet(repo: Path, sites_file: Path | None, today: date) -> tuple[list[FleetFinding], set[str]]:
    """Every finding of the whole fleet, and the stacks whose files do not read: kept, or found and kept."""
    digest = _digest(repo, sites_file, today)
    kept = _recall(Path(repo) / KEPT, digest) if digest else None
    if kept is not None:
        return kept
    from fleet.invariants import check

    fleet = _read_fleet(repo, sites_file, today)
    found, unreadable = check(fleet), {name for name, _ in fleet.unreadable}
    if digest and _digest(repo, sites_file, today) == digest:  # kept only if no file changed while it was read
        _keep(Path(repo) / KEPT, digest, found, unreadable)
    return found, unreadable


def named(repo: Path, names: list[str], sites_file: Path | None) -> Named:
    """The findings `check` gives for the stacks `names` (as `team-env` or a path to a stack file) without programs.

    A named file that does not read, a stack named twice or one that does not exist is BadInput, as `load_named` says.
    """
    today = clock.today()
    paths = _own(repo, names)
    if paths is None:
        return _read_named(repo, names, sites_file, today)
    found, unreadable = _whole_fleet(repo, sites_file, today)
    stacks = [stack_name(p) for p in paths]
    for path in paths:
        if stack_name(path) in unreadable:
            from store.stack_files import read_stack

            read_stack(path)  # raises what reading it raises
    distinct(stacks, "STACKS")
    scope = Scope([], frozenset(stacks))
    return Named(stacks, paths, [f for f in found if scope.holds(f)])


def _read_named(repo: Path, names: list[str], sites_file: Path | None, today: date) -> Named:
    """The named stacks checked as they read, against the fleet read now (a file outside the repository)."""
    from fleet.invariants import check
    from store.stack_files import read_named

    fleet = _read_fleet(repo, sites_file, today)
    chosen = read_named(repo, names)
    stacks = [bp.stack for bp in chosen]
    return Named(stacks, [named_stack_file(repo, name) for name in names], check(fleet, Scope(chosen, frozenset(stacks))))
