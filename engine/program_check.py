"""What running a stack's program finds for `bp validate`: a program that fails, each provider rule its resources
break, and each flow of its network intent its rendered NetworkPolicies drop.

One definition, three callers: `bp validate STACK` in-process or through the engine server (`check_stack`), and
`bp validate --all` on the fleet runner's workers with its content-hash cache (`check_program`, an evaluator).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blueprints.errors import BadInput
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap

PROGRAM = "program"
NETWORK_INTENT = "network-intent"


def program_findings(repo: Path, bp: ResolvedBlueprint, sites: SitesMap) -> list[tuple[str, str]]:
    """(rule, message) for each thing running `bp`'s program offline finds; none for a clean run."""
    from engine.flow_check import dropped_flows
    from engine.runner import ProgramError
    from engine.stacks import preview

    try:
        capture = preview(repo, bp, sites)
    except ProgramError as exc:
        return [(PROGRAM, f"program failed: {exc}")]
    return [(PROGRAM, v.describe()) for v in capture.violations] + [
        (NETWORK_INTENT, message) for message in dropped_flows(bp, capture)]


def check_stack(repo: Path, bp: ResolvedBlueprint, sites: SitesMap) -> dict[str, Any]:
    """One stack's findings as plain data (what the server sends and the cache keeps); bad input as `bad_input`."""
    try:
        found = program_findings(repo, bp, sites)
    except BadInput as exc:
        return {"ok": False, "error": str(exc), "bad_input": str(exc)}
    return {"ok": not found, "findings": [list(f) for f in found]}


def check_program(repo: Path, stack_file: Path, sites: SitesMap) -> dict[str, Any]:
    """Evaluator (engine/fleet.py): `check_stack` of one stack file; a file that does not read is `bad_input`."""
    from store.stack_files import read_stack

    try:
        bp = read_stack(stack_file)
    except BadInput as exc:
        return {"ok": False, "error": str(exc), "bad_input": str(exc)}
    return check_stack(repo, bp, sites)


check_program.runs_in_children = True  # like preview_stack: starts no threads or processes (engine/zygote.py)
