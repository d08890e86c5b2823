"""What the real engine would do to go from one offline render of a stack to another.

Resources are matched the way the engine matches them: by URN, and through each new resource's
aliases to the URN it had before. A matched resource whose inputs differ is updated in place, or
replaced when a changed input forces it (`engine.replacement`); an unmatched new resource is
created and an unmatched old one deleted. Deleting or replacing a stateful resource loses data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from engine.captured import Capture, CapturedResource
from engine.replacement import kind_of, replacing

Action = Literal["create", "update", "replace", "delete"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete")


@dataclass(frozen=True)
class Change:
    """One resource the upgrade changes."""

    urn: str
    """The resource's URN after the change (before it, for a delete)."""
    type: str
    action: Action
    properties: tuple[str, ...] = ()
    """Input paths that change (update and replace)."""
    replace_because: tuple[str, ...] = ()
    """The changed paths that force the replacement."""
    stateful: bool = False
    previous_urn: str | None = None
    """The URN it had before, when an alias carried it over."""
    notes: tuple[str, ...] = ()
    """What a reviewer must know beyond the action (e.g. an engine major version upgrade)."""

    @property
    def data_losing(self) -> bool:
        """A stateful resource deleted or replaced: its data does not come along."""
        return self.stateful and self.action in ("delete", "replace")

    def to_json(self) -> dict[str, Any]:
        """The machine-readable shape used by `--json`."""
        return {"urn": self.urn, "type": self.type, "action": self.action, "properties": list(self.properties),
                "replace_because": list(self.replace_because), "stateful": self.stateful,
                "data_losing": self.data_losing, "previous_urn": self.previous_urn, "notes": list(self.notes)}


@dataclass(frozen=True)
class Diff:
    """Every change between two renders of one stack, in the new render's order, deletes last."""

    changes: tuple[Change, ...]

    @property
    def data_losing(self) -> tuple[Change, ...]:
        """The changes that lose data."""
        return tuple(c for c in self.changes if c.data_losing)

    def notes(self) -> tuple[str, ...]:
        """Every reviewer note of the diff (a major engine upgrade, a blocked change), each once, in order."""
        return tuple(dict.fromkeys(n for c in self.changes for n in c.notes if not n.startswith("moved from ")))

    def counts(self) -> dict[str, int]:
        """How many resources each action touches."""
        return {a: sum(1 for c in self.changes if c.action == a) for a in ACTIONS}

    def to_json(self) -> dict[str, Any]:
        """The machine-readable shape used by `--json`."""
        return {"counts": self.counts(), "data_losing": bool(self.data_losing),
                "changes": [c.to_json() for c in self.changes]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Diff:
        """The diff `to_json` gave (what the engine server sends); the derived counts and flags are recomputed."""
        return cls(tuple(Change(**{k: tuple(v) if isinstance(v, list) else v for k, v in change.items()
                                   if k != "data_losing"}) for change in data["changes"]))


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested mappings to dotted paths; lists stay whole, as providers diff them."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def changed_paths(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    """Input paths whose value differs, added or removed, sorted."""
    a, b = _leaves(old), _leaves(new)
    return tuple(sorted(p for p in a.keys() | b.keys() if a.get(p, _MISSING) != b.get(p, _MISSING)))


_MISSING = object()


def _major(version: Any) -> str:
    """`16.4` -> `16`; an image `repo:16.15-...@sha256:...` -> `16`."""
    tag = str(version or "").split("@")[0].rsplit(":", 1)[-1]
    return tag.split(".")[0].split("-")[0]


def _notes(old: CapturedResource, new: CapturedResource, changed: tuple[str, ...]) -> tuple[str, ...]:
    """Reviewed cautions for changes whose action alone undersells them."""
    notes = []
    if new.type in ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster") and "engineVersion" in changed:
        before, after = _major(old.inputs.get("engineVersion")), _major(new.inputs.get("engineVersion"))
        if before != after:
            notes.append(f"major engine upgrade {before} -> {after}: in place, RDS runs pg_upgrade with the database "
                         "offline for its duration and snapshots before it")
            if not new.inputs.get("allowMajorVersionUpgrade"):
                notes.append("blocked: allowMajorVersionUpgrade is false, so RDS refuses this change until it is set")
    if new.type == "kubernetes:postgresql.cnpg.io/v1:Cluster" and "spec.imageName" in changed:
        before = _major(old.inputs.get("spec", {}).get("imageName"))
        after = _major(new.inputs.get("spec", {}).get("imageName"))
        if before != after:
            notes.append(f"major PostgreSQL upgrade {before} -> {after}: CloudNativePG (1.26+) shuts every instance "
                         "down and runs pg_upgrade in place on the primary's volume, then clones the replicas again; "
                         "the database is offline throughout and there is no rollback but a restore, so check the last "
                         "backup first (https://cloudnative-pg.io/docs/1.30/postgres_upgrades)")
    if new.type == "kubernetes:apps/v1:StatefulSet" and replacing(new.type, changed):
        notes.append("the pods restart; their volume claims stay (retention policy Retain) and the new set binds them")
    if new.protect and changed and replacing(new.type, changed):
        notes.append("protected: the engine refuses to replace it until `protect` is lifted")
    return tuple(notes)


def _compare(old: CapturedResource, new: CapturedResource) -> Change | None:
    changed = changed_paths(old.inputs, new.inputs)
    if not changed and old.urn == new.urn:
        return None
    forced = replacing(new.type, changed)
    notes = _notes(old, new, changed)
    if old.urn != new.urn:
        notes = (f"moved from {old.urn} by an alias: the engine keeps the resource", *notes)
    return Change(
        urn=new.urn, type=new.type, action="replace" if forced else "update", properties=changed,
        replace_because=forced, stateful=kind_of(new.type).stateful,
        previous_urn=old.urn if old.urn != new.urn else None, notes=notes,
    )


def diff(before: Capture, after: Capture) -> Diff:
    """The changes that take a stack from the `before` render to the `after` render (custom resources)."""
    old = {r.urn: r for r in before.resources if r.custom}
    changes: list[Change] = []
    for new in (r for r in after.resources if r.custom):
        match = next((old.pop(urn) for urn in (new.urn, *new.aliases) if urn in old), None)
        if match is None:
            changes.append(Change(urn=new.urn, type=new.type, action="create", stateful=kind_of(new.type).stateful))
            continue
        change = _compare(match, new)
        if change is not None:
            changes.append(change)
    for gone in old.values():
        note = ("retained: the engine forgets it and leaves it in place",) if gone.retain_on_delete else ()
        changes.append(Change(urn=gone.urn, type=gone.type, action="delete",
                              stateful=kind_of(gone.type).stateful and not gone.retain_on_delete, notes=note))
    return Diff(tuple(changes))
