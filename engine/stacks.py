"""Run the repository's stack program for stamped stacks: what preview, validate and the benchmark share."""

from __future__ import annotations

from pathlib import Path

from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from engine.captured import Capture
from engine.mocks import MockContext
from engine.runner import run_stack
from store.stack_files import config_of, stacks_dir


def context_for(resolved: ResolvedBlueprint, sites: SitesMap) -> MockContext:
    """Mocks answer as the stack's own account, region and vSphere inventory would."""
    aws = resolved.primary.aws
    return MockContext(
        stack=resolved.stack,
        account_id=aws.account_id if aws else MockContext.account_id,
        region=aws.region if aws else MockContext.region,
        inventory=sites.inventory,
    )


def preview(repo: Path, resolved: ResolvedBlueprint, sites: SitesMap, plain: bool = False) -> Capture:
    """Run `stacks/__main__.py` for one resolved blueprint under the mock runtime (`plain`: see `engine.run`)."""
    return run_stack(stacks_dir(repo), resolved.stack, config_of(resolved), context_for(resolved, sites), plain=plain)
