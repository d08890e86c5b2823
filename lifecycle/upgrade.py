"""One stack to another version of its blueprint: the offline diff, the refusal of data loss, the rewrite."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from blueprints.catalog import Catalog, semver_key
from blueprints.errors import BadInput
from blueprints.repo_lock import repo_lock
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from blueprints.stack_files import render_update, stack_path
from blueprints.stamp import restamp
from blueprints.yaml_io import read_text, write_atomic
from engine.diff import Diff, diff
from engine.stacks import preview


@dataclass(frozen=True)
class Upgrade:
    """A stack before and after a version change, and what the engine would do between them."""

    before: ResolvedBlueprint
    after: ResolvedBlueprint
    diff: Diff

    @property
    def stack(self) -> str:
        """The stack name."""
        return self.before.stack

    @property
    def data_losing(self) -> bool:
        """Whether any stateful resource would be deleted or replaced."""
        return bool(self.diff.data_losing)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable shape used by `--json`."""
        return {"stack": self.stack, "from": self.before.blueprint_ref, "to": self.after.blueprint_ref,
                **self.diff.to_json()}


def target_version(stack: ResolvedBlueprint, to: str) -> str:
    """`--to` as name@version: a bare version means the stack's own blueprint."""
    return to if "@" in to else f"{stack.request.blueprint.split('@')[0]}@{to}"


def plan_upgrade(repo: Path, stack: ResolvedBlueprint, to: str, catalog: Catalog, sites: SitesMap,
                 existing: Iterable[ResolvedBlueprint] = ()) -> Upgrade:
    """Render the stack at its version and at `to` (name@version) offline, and diff the two renders.

    `existing` are the repository's other stacks, so the kept placement is checked against them.
    """
    after = restamp(stack, target_version(stack, to), catalog, sites, existing)
    return Upgrade(stack, after, diff(preview(repo, stack, sites), preview(repo, after, sites)))


def check_allowed(upgrade: Upgrade, *, accept_data_loss: bool, force: bool) -> None:
    """BadInput unless the upgrade may be written: no data loss unless accepted, no downgrade unless forced."""
    before, after = upgrade.before.blueprint_ref, upgrade.after.blueprint_ref
    if semver_key(after.split("@")[1]) <= semver_key(before.split("@")[1]) and not force:
        raise BadInput(f"--to: {upgrade.stack} is on {before}; moving to {after} is not an upgrade (pass --force)")
    if upgrade.data_losing and not accept_data_loss:
        lost = ", ".join(f"{c.action} {c.urn}" for c in upgrade.diff.data_losing)
        raise BadInput(f"{upgrade.stack}: {before} -> {after} loses data ({lost}); review it and pass --accept-data-loss")


def upgraded_text(repo: Path, upgrade: Upgrade) -> str:
    """The stack file's new text: the new resolved blueprint, every other key and comment kept byte for byte."""
    path = stack_path(repo, upgrade.stack)
    return render_update(path, read_text(path), upgrade.after)


def write_upgrades(repo: Path, upgrades: Iterable[Upgrade]) -> list[Path]:
    """Rewrite the stack files of `upgrades` under the repository lock, each atomically.

    Every text is built before the first write, so a file that cannot be rewritten leaves all untouched.
    """
    with repo_lock(repo):
        texts = {stack_path(repo, u.stack): upgraded_text(repo, u) for u in upgrades}
        for path, text in texts.items():
            write_atomic(path, text)
    return list(texts)
