"""The allocation ledger `stacks/allocations.txt`: every placement's pool, network and VLAN, one line each.

The stack files are the source of truth; the ledger is their index, regenerated under the repository
lock by every `bp new`. It exists for git: lines are sorted by pool and range, so two branches that
take the same range in the same pool insert a line at the same place and their merge conflicts instead
of merging silently. `bp validate --all` compares it with the stack files, which catches what a clean
merge of neighbouring lines still lets through.
"""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path
from typing import Iterable

from blueprints import yaml_io
from blueprints.errors import BadInput
from blueprints.resolved import ResolvedBlueprint
from store.stack_paths import LEDGER_NAME

_MARKERS = ("<<<<<<<", "=======", ">>>>>>>")  # a merge conflict in the ledger

HEADER = """\
# Allocation ledger, written by `bp new` and `bp stacks ledger`; do not edit by hand.
# One line per placement: pool, network, VLAN, stack; sorted by pool and range.
# A merge conflict here means two branches allocated in the same pool: keep both sides' stack files,
# run `bp stacks ledger` to rewrite this file, then `bp validate --all` to find any collision.
"""


def ledger_path(stacks: Path) -> Path:
    """The ledger of a stacks folder."""
    return Path(stacks) / LEDGER_NAME


def _sort_key(bp: ResolvedBlueprint, index: int) -> tuple:
    net = bp.placements[index].network
    where = (0, int(net.cidr.network_address), net.cidr.prefixlen) if net else (1, 0, 0)
    return (bp.placements[index].pool, *where, bp.stack)


def entries(stacks: Iterable[ResolvedBlueprint]) -> list[str]:
    """The ledger lines of the given stacks, sorted by pool and range."""
    keyed = []
    for bp in stacks:
        for i, p in enumerate(bp.placements):
            net = p.network
            vlan = str(net.vlan) if net and net.vlan is not None else "-"
            keyed.append((_sort_key(bp, i), f"{p.pool} {net.cidr if net else '-'} {vlan} {bp.stack}"))
    return [line for _, line in sorted(keyed)]


def render(stacks: Iterable[ResolvedBlueprint]) -> str:
    """The ledger file's text."""
    return HEADER + "".join(f"{line}\n" for line in entries(stacks))


def _line_key(line: str) -> tuple:
    """A ledger line's place in the sort order of `entries` (a line that is not four words sorts by its text)."""
    try:
        pool, net, _, stack = line.split()
        where = (0, int(ip_network(net).network_address), ip_network(net).prefixlen) if net != "-" else (1, 0, 0)
    except ValueError:
        return (line, 2, 0, 0, "")
    return (pool, *where, stack)


def amended(stacks_folder: Path, changed: Iterable[ResolvedBlueprint], stacks: Iterable[ResolvedBlueprint]) -> str:
    """The ledger's text with the lines of the `changed` stacks replaced, every other line kept as recorded.

    A change records its own allocations and no one else's: rewriting the ledger from every stack file would make
    a network edited by hand in another file look allocated. Without a ledger (or with merge conflict markers in
    it, which `bp stacks ledger` resolves) it is written from the stack files, `stacks`.
    """
    found = read(stacks_folder)
    if found is None or any(line.startswith(_MARKERS) for line in found):
        return render(stacks)
    changed = list(changed)
    names = {bp.stack for bp in changed}
    lines = [line for line in found if stack_of(line) not in names] + entries(changed)
    return HEADER + "".join(f"{line}\n" for line in sorted(lines, key=_line_key))


def write(stacks_folder: Path, stacks: Iterable[ResolvedBlueprint], accept_moves: bool = False) -> Path:
    """Rewrite the ledger atomically from the stack files.

    BadInput (nothing written) when a stack file holds an allocation the ledger recorded otherwise, unless
    `accept_moves`: rewriting would bless a network moved by hand.
    """
    stacks = list(stacks)
    moved = [] if accept_moves else hand_moves(stacks_folder, stacks)
    if moved:
        raise BadInput(f"{'; '.join(moved)}; nothing written: restore the recorded allocation, or pass "
                       "--accept-moves after checking the file is right", ledger_path(stacks_folder))
    path = ledger_path(stacks_folder)
    yaml_io.write_atomic(path, render(stacks))
    return path


def hand_moves(stacks_folder: Path, stacks: Iterable[ResolvedBlueprint]) -> list[str]:
    """What each stack's file holds where the ledger recorded another allocation for it (either side of a merge
    conflict counts as recorded): an allocation `bp new` did not make."""
    recorded: dict[str, set[str]] = {}
    for line in read(stacks_folder) or []:
        if not line.startswith(_MARKERS):
            recorded.setdefault(stack_of(line), set()).add(line)
    moved = []
    for bp in stacks:
        holds, had = set(entries([bp])), recorded.get(bp.stack)
        if had and not holds <= had:
            moved.append(f"{bp.stack}: the file holds {_allocations(holds - had)}, {LEDGER_NAME} recorded "
                         f"{_allocations(had - holds)}")
    return moved


def _allocations(lines: Iterable[str]) -> str:
    return ", ".join(" ".join(line.split()[:3]) for line in sorted(lines)) or "nothing else"


def read(stacks_folder: Path) -> list[str] | None:
    """The ledger's lines without comments, or None when there is no ledger."""
    path = ledger_path(stacks_folder)
    if not path.exists():
        return None
    text = yaml_io.read_text(path)
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def stack_of(line: str) -> str:
    """The stack a ledger line belongs to (its last word)."""
    return line.split()[-1] if line.split() else ""


def check(stacks_folder: Path, stacks: list[ResolvedBlueprint]) -> list[tuple[str, str]]:
    """(stack, problem) for every difference between the ledger and the stack files.

    A problem of the file as a whole is given under the name LEDGER_NAME.
    """
    found = read(stacks_folder)
    expected = entries(stacks)
    if found is None:
        return [(LEDGER_NAME, "missing; run `bp stacks ledger` to write it from the stack files")] if expected else []
    if any(line.startswith(_MARKERS) for line in found):
        return [(LEDGER_NAME, "holds merge conflict markers: keep both sides' stack files, then run `bp stacks ledger`")]
    lacking, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    moved = {stack_of(line) for line in lacking} & {stack_of(line) for line in extra}
    problems = [(stack, _moved(stack, lacking, extra)) for stack in sorted(moved)]
    for line in lacking:
        if stack_of(line) not in moved:
            problems.append((stack_of(line), f"{LEDGER_NAME} lacks '{line}'; run `bp stacks ledger`"))
    for line in extra:
        if stack_of(line) not in moved:
            problems.append((stack_of(line), f"{LEDGER_NAME} holds '{line}', which no stack file has; run `bp stacks ledger`"))
    return problems


def _moved(stack: str, lacking: list[str], extra: list[str]) -> str:
    """A stack whose file holds another allocation than the ledger recorded: an edit the allocator never made."""
    def of(lines: list[str]) -> str:
        return _allocations(line for line in lines if stack_of(line) == stack)
    return (f"the file holds {of(lacking)}, {LEDGER_NAME} recorded {of(extra)}: an allocation `bp new` did not make; "
            "restore the recorded one, or move it with `bp new --force --move-network` "
            "(`bp stacks ledger --accept-moves` only after checking the file is right)")
