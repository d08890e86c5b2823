"""One stack to another version of its blueprint: the offline diff, the refusal of data loss, the rewrite.

The rewrite is a typed change under the repository lock (`stack_change.change`): the version move is applied again
to the file as it is then, and refused as stale unless that is what the reviewed diff was computed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

from blueprints import clock
from blueprints.catalog import Catalog, semver_key
from blueprints.errors import BadInput
from blueprints.placement.resolve import restamp
from blueprints.plan import kubernetes_minor
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from engine.diff import Diff
from store.change import Allow, Outcome, Proposed, Snapshot, StackState, Stale, carried_pin, change, check_invariants


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
    return render_upgrade(repo, stack, after, sites)


def render_upgrade(repo: Path, before: ResolvedBlueprint, after: ResolvedBlueprint, sites: SitesMap) -> Upgrade:
    """Both versions rendered offline, and their diff: by the engine server when one answers (or starts), else here."""
    from engine.server import served_diff

    served = served_diff(repo, before, after, sites)
    if served is not None:
        return Upgrade(before, after, served)
    from engine.diff import diff
    from engine.stacks import preview  # imports the SDKs

    return Upgrade(before, after, diff(preview(repo, before, sites), preview(repo, after, sites)))


def in_service(stack: ResolvedBlueprint) -> ResolvedBlueprint:
    """The stack without its retirement mark: what a version change computes from and renders."""
    return stack.model_copy(update={"retirement": None}) if stack.retired else stack


def proposed_upgrade(current: StackState, to_ref: str, catalog: Catalog, sites: SitesMap,
                     existing: Iterable[ResolvedBlueprint], *, unpin: bool, today: date) -> Proposed:
    """The stack moved to `to_ref` as it is now: placement and network kept, a retirement kept, a pin carried."""
    after = restamp(current.stack, to_ref, catalog, sites, existing)
    after = after.model_copy(update={"retirement": current.stack.retirement})
    pin, notes = carried_pin(current, to_ref, unpin, today)
    if current.stack.retired:
        notes += (f"still retired since {current.stack.retirement.since} ({current.stack.retirement.reason})",)
    return Proposed(after, pin, Allow(unpin=unpin), notes)


def still_planned(current: StackState, upgrade: Upgrade, proposed: Proposed) -> None:
    """Stale unless the stack, as it is now, is what `upgrade` was computed from and moves to what it diffed."""
    if in_service(current.stack) != in_service(upgrade.before) or in_service(proposed.stack) != in_service(upgrade.after):
        raise Stale(f"{current.name} changed while its upgrade was computed; nothing was changed; run it again",
                    current.path)


@dataclass(frozen=True)
class UpgradeOptions:
    """What `bp upgrade` may do beyond a plain, loss-free move up."""

    accept_data_loss: bool = False
    force: bool = False
    unpin: bool = False
    dry_run: bool = False


ATTEMPTS = 3


def upgrade_stack(repo: Path, name: str, to: str, catalog: Catalog, sites: SitesMap, opts: UpgradeOptions = UpgradeOptions(),
                  show: Callable[[Upgrade, Outcome | None], None] | None = None, today: date | None = None) -> Upgrade:
    """Move one stack to `to`: the diff is computed outside the lock, the move is applied under it.

    Refused before the diff when a pin holds (without --unpin); refused after it for data loss or a downgrade (the
    diff is shown first). When the file changes while its diff is computed, the diff is computed again (up to
    ATTEMPTS times). `show` prints the diff and, once every new text is staged, the outcome.
    """
    today = today or clock.today()
    show = show or (lambda upgrade, outcome: None)
    for _ in range(ATTEMPTS):
        snap = Snapshot(repo)  # without the lock: the slow diff is computed from it, and re-checked under the lock
        current = snap.existing(name)
        target = target_version(current.stack, to)
        early = proposed_upgrade(current, target, catalog, sites, snap.stacks(), unpin=opts.unpin, today=today)
        check_invariants(current, early, today)
        upgrade = render_upgrade(repo, current.stack, early.stack, sites)
        if opts.dry_run:
            show(upgrade, None)
            return upgrade
        try:
            check_allowed(upgrade, accept_data_loss=opts.accept_data_loss, force=opts.force)
        except BadInput:
            show(upgrade, None)
            raise

        def plan(locked: Snapshot, upgrade: Upgrade = upgrade) -> dict[str, Proposed]:
            now = locked.existing(name)
            proposed = proposed_upgrade(now, target, catalog, sites, locked.stacks(), unpin=opts.unpin, today=today)
            still_planned(now, upgrade, proposed)
            return {name: proposed}

        try:
            change(repo, plan, lambda out, upgrade=upgrade: show(upgrade, out[name]), today)
        except Stale:
            continue
        return upgrade
    raise BadInput(f"{name} kept changing while its upgrade was computed ({ATTEMPTS} times); nothing was changed; "
                   "run it again")


EKS_UPDATES = "https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html"


def eks_minor_jump(before: ResolvedBlueprint, after: ResolvedBlueprint) -> str | None:
    """Why EKS would refuse the move: it updates a cluster's Kubernetes one minor version at a time."""
    if before.primary.target != "aws" or before.spec.cluster != "dedicated" or after.spec.cluster != "dedicated":
        return None
    old, new = kubernetes_minor(before), kubernetes_minor(after)  # as built: a cluster part-way keeps its minor
    if not old or not new:
        return None
    major, low = (int(x) for x in old.split("."))
    high = int(new.split(".")[1])
    if high - low <= 1:
        return None
    hops = ", ".join(f"{major}.{m}" for m in range(low + 1, high))
    return (f"EKS updates Kubernetes one minor version at a time ({EKS_UPDATES}): {old} -> {new} needs {hops} first, "
            "each its own hop (`bp fleet upgrade plan` cuts them into waves)")


def check_allowed(upgrade: Upgrade, *, accept_data_loss: bool, force: bool) -> None:
    """BadInput unless the upgrade may be written: no data loss unless accepted, no downgrade unless forced, no
    Kubernetes jump EKS refuses."""
    before, after = upgrade.before.blueprint_ref, upgrade.after.blueprint_ref
    jump = eks_minor_jump(upgrade.before, upgrade.after)
    if jump:
        raise BadInput(f"{upgrade.stack}: {jump}")
    if semver_key(after.split("@")[1]) <= semver_key(before.split("@")[1]) and not force:
        raise BadInput(f"--to: {upgrade.stack} is on {before}; moving to {after} is not an upgrade (pass --force)")
    if upgrade.data_losing and not accept_data_loss:
        lost = ", ".join(f"{c.action} {c.urn}" for c in upgrade.diff.data_losing)
        raise BadInput(f"{upgrade.stack}: {before} -> {after} loses data ({lost}); review it and pass --accept-data-loss")
