"""Stamp a request into the repository: decide under the allocation lock, write atomically, keep the ledger.

Two `bp new` in one repository cannot take the same range: the second waits for the lock and then
decides against the stack files as they are after the first one's write, so the existence check and
the allocation are re-done under the lock, not trusted from before it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from blueprints import ledger, stack_files, yaml_io
from blueprints.allocation_index import AllocationIndex
from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest, is_prod
from blueprints.repo_lock import repo_lock
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from blueprints.stamp import resolve


@dataclass(frozen=True)
class Stamped:
    """What a stamp decided and wrote (or, for a dry run, would write)."""

    resolved: ResolvedBlueprint
    path: Path
    old_text: str | None
    new_text: str

    def diff(self, label: str) -> str:
        """A unified diff of the stack file, empty when nothing changes or there was no file."""
        if self.old_text is None:
            return ""
        return "".join(difflib.unified_diff(self.old_text.splitlines(keepends=True), self.new_text.splitlines(keepends=True),
                                            f"a/{label}", f"b/{label}"))


@dataclass(frozen=True)
class StampOptions:
    """How far a stamp may go with an existing stack file."""

    force: bool = False
    dry_run: bool = False
    move_network: bool = False
    prod_network_move: bool = False


def _decide(repo: Path, request: BlueprintRequest, catalog: Catalog, sites: SitesMap,
            opts: StampOptions, trace: list | None) -> tuple[Stamped, list[ResolvedBlueprint]]:
    """The stamp, and every other stack of the repository as read for it; `trace` collects pool verdicts."""
    path = stack_files.stack_path(repo, request.stack)
    existing = AllocationIndex(stack_files.read_all(repo))
    if path.exists() and not (opts.force or opts.dry_run):
        raise BadInput(f"{path.name} exists; pass --force to replace it", path)
    if opts.move_network and path.exists() and is_prod(request.env) and not opts.prod_network_move:
        raise BadInput("--move-network: moving a prod stack's network replaces the network and everything in it; "
                       "add --i-understand-prod-network-move to do it anyway")
    resolved = resolve(request, catalog, sites, existing, move_network=opts.move_network, trace=trace)
    others = [bp for bp in existing if bp.stack != request.stack]
    previous = next((bp for bp in existing if bp.stack == request.stack), None)
    if previous is not None and previous.retirement is not None:  # still being decommissioned: a re-stamp keeps that
        resolved = resolved.model_copy(update={"retirement": previous.retirement})
    if path.exists():
        old = yaml_io.read_text(path)
        return Stamped(resolved, path, old, stack_files.render_update(path, old, resolved)), others
    return Stamped(resolved, path, None, stack_files.render(resolved)), others


def stamp(repo: Path | None, request: BlueprintRequest, catalog: Catalog, sites: SitesMap,
          opts: StampOptions = StampOptions(), trace: list | None = None) -> Stamped:
    """Resolve the request against the repository and write its stack file and the ledger, under the lock.

    A dry run may have no repository (`repo` None): it is then resolved against no stamped stacks.
    """
    if repo is None and opts.dry_run:
        resolved = resolve(request, catalog, sites, trace=trace)
        return Stamped(resolved, stack_files.stack_path(Path.cwd(), request.stack), None, stack_files.render(resolved))
    folder = stack_files.stacks_folder(repo)
    if opts.dry_run:
        return _decide(repo, request, catalog, sites, opts, trace)[0]
    with repo_lock(repo):
        done, others = _decide(repo, request, catalog, sites, opts, trace)
        yaml_io.write_atomic(done.path, done.new_text)
        ledger.write(folder, [*others, done.resolved])
    return done
