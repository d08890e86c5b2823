"""Lifecycle findings for the fleet checks: pins that have expired, stacks past their version's sunset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from blueprints.catalog import Catalog
from blueprints.stack_files import list_stack_files, read_stack
from lifecycle.pins import read_pin


@dataclass(frozen=True)
class Finding:
    """One stack out of its lifecycle contract."""

    stack: str
    check: str
    message: str


def expired_pins(repo: Path, today: date) -> list[Finding]:
    """Stacks whose pin has expired: they must move, or the pin be renewed by an approver."""
    out = []
    for path in list_stack_files(repo):
        pin = read_pin(path)
        if pin is not None and not pin.holds(today):
            stack = read_stack(path).stack
            out.append(Finding(stack, "pin-expired", f"{stack}: pin on {pin.version} expired on {pin.expires} "
                               f"(approver {pin.approver}); upgrade it or renew the pin"))
    return out


def past_sunset(repo: Path, catalog: Catalog, today: date) -> list[Finding]:
    """Stacks on a deprecated version whose sunset date has passed."""
    out = []
    for path in list_stack_files(repo):
        stack = read_stack(path)
        entry = catalog.get(stack.blueprint_ref)
        if entry.sunset is not None and today > entry.sunset:
            out.append(Finding(stack.stack, "version-sunset", f"{stack.stack}: {entry.ref} passed its sunset on "
                               f"{entry.sunset}; run `bp upgrade {stack.stack} --to {entry.name}@{entry.successor}`"))
    return out
