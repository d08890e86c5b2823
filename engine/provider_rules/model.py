"""The shape of a provider rule and of what breaking one looks like."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

MISSING = object()
"""A property the registration does not set: its rules do not apply."""


@dataclass(frozen=True)
class Registration:
    """What a rule may look at: the resource's type, the program's inputs, the provider's answer (state), and
    every resource registered before it in the same run, by id (type, state)."""

    type: str
    inputs: Mapping[str, Any]
    state: Mapping[str, Any]
    index: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)


Test = Callable[[Any, Registration], "str | None"]
"""Why the provider refuses the value (in words), or None when it accepts it."""


class Refused(str):
    """A reason that points inside the value (one tag, one label): the key it is about and that key's value."""

    at: str
    value: Any

    def __new__(cls, reason: str, at: str, value: Any) -> "Refused":
        made = super().__new__(cls, reason)
        made.at, made.value = at, value
        return made


@dataclass(frozen=True)
class Example:
    """A value of the rule's property, with the rest of the registration it is judged in."""

    value: Any
    state: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, Any] | None = None
    """The program's inputs; by default the state (the program set the value itself)."""
    index: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)

    def registration(self, type_: str, prop: str) -> Registration:
        """The registration this example stands for: its state with the value at the (dotted) property."""
        state = dict(self.state)
        *parents, last = prop.split(".")
        node = state
        for part in parents:
            node[part] = dict(node.get(part) or {})
            node = node[part]
        node[last] = self.value
        return Registration(type_, state if self.inputs is None else self.inputs, state, self.index)


@dataclass(frozen=True)
class Rule:
    """One thing a provider or cloud API refuses, where it says so, and a value it accepts and one it refuses."""

    id: str
    types: tuple[str, ...]
    """Type tokens the rule applies to; one ending in '*' matches every token with that prefix."""
    prop: str
    """The property checked, in wire (camelCase) names, dotted for nested maps."""
    test: Test
    source: str
    good: Example
    bad: Example

    @property
    def example_type(self) -> str:
        """A type token the rule applies to, for judging its examples."""
        return next((t for t in self.types if not t.endswith("*")), self.types[0].rstrip("*") + "example:Example")

    def applies_to(self, type_: str) -> bool:
        """Whether the rule judges resources of this type token."""
        return any(type_.startswith(t[:-1]) if t.endswith("*") else type_ == t for t in self.types)


@dataclass(frozen=True)
class Violation:
    """One property of one registration that a provider would refuse."""

    urn: str
    prop: str
    value: Any
    rule: str
    reason: str
    source: str

    def describe(self) -> str:
        """Resource URN, property, value, what is wrong, the rule and its source, in one line."""
        return f"{self.urn}: {self.prop}={_shown(self.value)}: {self.reason} [rule {self.rule}; source: {self.source}]"

    def line(self, stack: str) -> str:
        """The one line a command prints: stack, then `describe()`."""
        return f"{stack}: {self.describe()}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def lookup(props: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of nested maps (a list is searched as its first element), or MISSING."""
    value: Any = props
    for part in path.split("."):
        if isinstance(value, list):
            value = value[0] if value else MISSING
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return value
