"""Shell completion for stack names, blueprint refs and the request's choices (`bp --install-completion`).

Completion runs on every TAB, so each function is quiet: bad input anywhere gives no candidates, not an error.
"""

from __future__ import annotations

import typer

ENVS = ("dev", "test", "stage", "prod")
TARGETS = ("aws", "vsphere")
SIZES = ("S", "M", "L", "XL")


def _starting(candidates, incomplete: str) -> list[str]:
    return sorted(c for c in set(candidates) if c.startswith(incomplete))


def _quietly(produce) -> list[str]:
    try:
        return produce()
    except Exception:  # noqa: BLE001 - a completion must never print a traceback into the shell
        return []


def stack_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """Stamped stacks of the repository in force."""
    from cli.context import state
    from store import stack_files

    def produce():
        return _starting((stack_files.stack_name(p) for p in stack_files.list_stack_files(state(ctx).repo)), incomplete)
    return _quietly(produce)


def blueprint_refs(incomplete: str) -> list[str]:
    """Blueprint names and name@version refs of the catalog."""
    from blueprints.catalog import Catalog

    def produce():
        entries = Catalog().entries
        return _starting([e.name for e in entries] + [e.ref for e in entries], incomplete)
    return _quietly(produce)


def _sites(ctx: typer.Context):
    from cli.context import state

    return state(ctx).sites()


def regions(ctx: typer.Context, incomplete: str) -> list[str]:
    """Regions of the sites map in force."""
    return _quietly(lambda: _starting((r.name for r in _sites(ctx).regions), incomplete))


def site_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """Data centers of the sites map in force."""
    return _quietly(lambda: _starting((dc.name for _, dc in _sites(ctx).data_centers()), incomplete))


def envs(incomplete: str) -> list[str]:
    """The environments."""
    return _starting(ENVS, incomplete)


def targets(incomplete: str) -> list[str]:
    """The targets."""
    return _starting(TARGETS, incomplete)


def sizes(incomplete: str) -> list[str]:
    """The size letters."""
    return _starting(SIZES, incomplete)

