"""What the offline engine records: every registration with its options, and component outputs.

Plain data with no Pulumi import, so a process that only shows a preview (a `bp preview` answered by
the engine server) need not load the SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.provider_rules.model import Violation

PROJECT = "cloud-blueprints"
"""The project name, as Pulumi.yaml declares it."""

SECRET = "[secret]"
"""Stands in for every secret value in captured inputs and outputs."""


@dataclass(frozen=True)
class CapturedResource:
    """One resource registration as the engine received it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    protect: bool
    dependencies: tuple[str, ...]
    provider: str | None
    ignore_changes: tuple[str, ...]
    delete_before_replace: bool
    retain_on_delete: bool
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Input name -> URNs the input's value was computed from (what policies see as propertyDependencies)."""
    aliases: tuple[str, ...] = ()
    """URNs this resource was known by before (its Pulumi aliases), as the engine resolves them."""

    def to_json(self) -> dict[str, Any]:
        """The machine-readable shape used by `bp preview --json`."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "protect": self.protect,
            "dependencies": list(self.dependencies),
            "provider": self.provider,
            "ignore_changes": list(self.ignore_changes),
        }


@dataclass(frozen=True)
class CapturedRead:
    """An existing resource the program reads (`Resource.get`), which the engine never changes."""

    urn: str
    type: str
    name: str
    id: str
    parent: str | None
    provider: str | None


@dataclass
class Capture:
    """Everything one run registered, in registration order."""

    stack: str
    resources: list[CapturedResource] = field(default_factory=list)
    reads: list[CapturedRead] = field(default_factory=list)
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    """Every property a real provider would refuse (engine/provider_rules), in registration order."""

    def by_type(self, type_token: str) -> list[CapturedResource]:
        """All resources of one type token."""
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str) -> CapturedResource:
        """The single resource of a type; fails with the types seen when there is not exactly one."""
        found = self.by_type(type_token)
        if len(found) != 1:
            raise AssertionError(
                f"expected one {type_token}, found {len(found)}: {[r.urn for r in found]}"
            )
        return found[0]

    def children(self, parent_urn: str) -> list[CapturedResource]:
        """Direct children of a resource."""
        return [r for r in self.resources if r.parent == parent_urn]

    def types(self) -> set[str]:
        """Every type token registered."""
        return {r.type for r in self.resources}

    def settle(self) -> None:
        """Put everything in a stable order, whatever order the SDK's threads registered it in.

        Resources go depth first from the roots, each parent before its children and siblings by URN,
        so a tree can be drawn in one pass and two runs of a stack compare byte for byte.
        """
        kids: dict[str | None, list[CapturedResource]] = {}
        known = {r.urn for r in self.resources}
        for r in self.resources:
            kids.setdefault(r.parent if r.parent in known else None, []).append(r)
        ordered: list[CapturedResource] = []
        pending = sorted(kids.get(None, []), key=lambda r: r.urn, reverse=True)
        while pending:
            r = pending.pop()
            ordered.append(r)
            pending += sorted(kids.get(r.urn, []), key=lambda c: c.urn, reverse=True)
        self.resources = ordered
        self.reads.sort(key=lambda r: r.urn)
        self.violations.sort(key=lambda v: (v.urn, v.rule, v.prop))
        self.component_outputs = dict(sorted(self.component_outputs.items()))

    def to_json(self) -> dict[str, Any]:
        """The machine-readable preview: resources in settled order, reads and stack outputs."""
        data = {"stack": self.stack, "resources": [r.to_json() for r in self.resources],
                "reads": [vars(r) for r in self.reads], "outputs": self.stack_outputs}
        if self.violations:
            data["violations"] = [vars(v) for v in self.violations]
        return data


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def qualified_type(urn: str) -> str:
    """The `parent$...$type` part of a URN."""
    return urn.split("::", 3)[2]


def engine_urn(stack: str, parent: str, type_: str, name: str, project: str = PROJECT) -> str:
    """The URN the real engine gives a registration: the parent's whole qualified type chain, then the type.

    As the engine's deployment (`generateURN`) does, the root stack is left out of the chain;
    Pulumi's stock mock monitor keeps only the parent's last type instead.
    """
    if parent and qualified_type(parent) != ROOT_STACK_TYPE:
        type_ = f"{qualified_type(parent)}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"
