"""Derive the longest team name every resource of every blueprint accepts: `python -m engine.provider_rules.team_budget`.

Every catalog entry runs offline on every target it supports, in every region, with every data service it offers,
in prod and in stage (the longest env), with teams of a given length; the budget is the longest length at which no
program raises (components refuse some names themselves, e.g. operator suffixes) and no resource breaks a rule. `--update` records the result in team_budget.json; without it the command exits 1 when the record
differs from the derivation.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Iterator

from blueprints.team_names import BUDGET_FILE, budget_lifted

ENVS = ("prod", "stage")


def _requests(team: str):
    from blueprints.catalog import Catalog
    from blueprints.models import BlueprintRequest, DataServiceRequest
    from blueprints.placement.resolve import ON_PREM_DATA_SERVICES
    from blueprints.sites import load_sites

    sites = load_sites()
    for entry in Catalog().entries:
        for target in entry.targets:
            kinds = [k for k in entry.spec.data_services if target == "aws" or k in ON_PREM_DATA_SERVICES]
            regions = sorted({r.name for r in sites.regions for dc in r.data_centers if dc.target == target})
            for region in regions:
                for env in ENVS:
                    yield BlueprintRequest(team=team, env=env, blueprint=entry.ref, target=target, region=region,
                                           size="S", owner="lead@example.com", cost_center="CC-4711",
                                           data_services=tuple(DataServiceRequest(kind=k, size="S") for k in kinds))


def _runs(team: str) -> Iterator[tuple[object, object]]:
    """(resolved, capture or the exception the program raised) for every probe request."""
    from pathlib import Path

    from blueprints.catalog import Catalog
    from blueprints.errors import BadInput
    from blueprints.placement.resolve import resolve
    from blueprints.sites import load_sites
    from engine.runner import ProgramError, run_stack
    from engine.stacks import context_for
    from store.stack_files import config_of

    catalog, sites = Catalog(), load_sites()
    program = Path(__file__).resolve().parents[2] / "stacks"
    for request in _requests(team):
        try:
            resolved = resolve(request, catalog, sites)
        except BadInput:
            continue  # no pool in this region for this entry and env
        try:
            yield resolved, run_stack(program, resolved.stack, config_of(resolved), context_for(resolved, sites))
        except ProgramError as exc:
            yield resolved, exc


def derive(low: int = 2, high: int = 30) -> dict:
    """{'max_len': N, 'binding': what refuses a team of N + 1}: a binary search on real runs of every probe.

    Team length only grows names, so what refuses a team refuses every longer one. `high` is the search's ceiling.
    """
    binding = "the search's ceiling"
    if _first_failure("t" * high) is None:
        return {"max_len": high, "binding": binding}
    while high - low > 1:
        mid = (low + high) // 2
        failed = _first_failure("t" * mid)
        if failed is None:
            low = mid
        else:
            high, binding = mid, failed
    return {"max_len": low, "binding": binding}


def _first_failure(team: str) -> str | None:
    """What refuses a team of this length: a program that raises, or a rule a resource breaks; None when nothing."""
    with budget_lifted():  # the probe runs lengths past the budget it derives
        for resolved, capture in _runs(team):
            if isinstance(capture, Exception):
                return f"{resolved.request.blueprint} on {resolved.request.target}: {capture}".replace(team, "<team>")
            if capture.violations:
                v = capture.violations[0]
                return f"{resolved.request.blueprint} on {resolved.request.target}: {v.describe()}".replace(team, "<team>")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="Record the derivation in team_budget.json.")
    args = parser.parse_args()
    derived = derive()
    recorded = json.loads(BUDGET_FILE.read_text()) if BUDGET_FILE.exists() else None
    if args.update:
        BUDGET_FILE.write_text(json.dumps(derived, indent=2) + "\n")
        print(f"recorded {derived}")
        return 0
    print(json.dumps(derived, indent=2))
    return 0 if recorded == derived else 1


if __name__ == "__main__":
    sys.exit(main())
