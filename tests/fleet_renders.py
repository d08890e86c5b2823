"""Every catalog entry on every target it supports, prod and dev, rendered once per test process.

The isolation tests assert properties that must hold for whatever a team can stamp; they read the
captures from here instead of each rendering its own sample. Each render offers every data service
the entry allows on the target, so every component a blueprint can build is in some capture.
"""

from __future__ import annotations

from functools import cache

from blueprints.catalog import Catalog
from blueprints.models import BlueprintRequest, DataServiceRequest
from blueprints.placement.resolve import ON_PREM_DATA_SERVICES, resolve
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import load_sites
from engine import Capture
from engine.runner import run_stack
from engine.stacks import context_for
from store.stack_files import config_of
from tests.conftest import ROOT

REGION = {"aws": "amer", "vsphere": "emea"}


def _requests() -> list[BlueprintRequest]:
    requests = []
    for entry in Catalog().entries:
        for target in entry.targets:
            kinds = [k for k in entry.spec.data_services if target == "aws" or k in ON_PREM_DATA_SERVICES]
            for env in ("prod", "dev"):
                requests.append(BlueprintRequest(
                    team=f"{entry.name.replace('-', '')[:12]}{entry.version.replace('.', '')}{target[0]}",
                    env=env, blueprint=entry.ref, target=target, region=REGION[target], size="S",
                    owner="lead@example.com", cost_center="CC-4711",
                    data_services=tuple(DataServiceRequest(kind=k, size="S") for k in kinds),
                ))
    return requests


@cache
def renders() -> dict[str, tuple[ResolvedBlueprint, Capture]]:
    """stack -> (resolved blueprint, capture of the offline run of the real stack program)."""
    catalog, sites = Catalog(), load_sites()
    stamped: list[ResolvedBlueprint] = []
    out = {}
    for request in _requests():
        # Every version renders, those past their support end too: stacks stamped on them still run the program.
        resolved = resolve(request, catalog, sites, stamped, refuse_ended=False)
        stamped.append(resolved)
        out[resolved.stack] = (resolved, run_stack(ROOT / "stacks", resolved.stack, config_of(resolved),
                                                   context_for(resolved, sites)))
    return out
