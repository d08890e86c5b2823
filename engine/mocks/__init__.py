"""Realistic mock answers for the offline engine, keyed on type token.

Each target module (`aws`, `vsphere`, `kubernetes`) registers what a real provider would
return for the resources and invokes our components use: ids, ARNs, endpoints, generated
names. Anything not registered gets the generic answer: its inputs plus a stable id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import pulumi

ResourceAnswer = Callable[["pulumi.runtime.MockResourceArgs", "MockContext"], dict[str, Any]]
InvokeAnswer = Callable[[dict[str, Any], "MockContext"], dict[str, Any]]

_RESOURCES: dict[str, ResourceAnswer] = {}
_INVOKES: dict[str, InvokeAnswer] = {}


def resource(*type_tokens: str) -> Callable[[ResourceAnswer], ResourceAnswer]:
    """Register the outputs a provider adds on create for these resource types."""

    def register(fn: ResourceAnswer) -> ResourceAnswer:
        for token in type_tokens:
            _RESOURCES[token] = fn
        return fn

    return register


def invoke(*tokens: str) -> Callable[[InvokeAnswer], InvokeAnswer]:
    """Register the answer to these invoke (data source) tokens."""

    def register(fn: InvokeAnswer) -> InvokeAnswer:
        for token in tokens:
            _INVOKES[token] = fn
        return fn

    return register


def stable_id(*parts: str, length: int = 17) -> str:
    """A deterministic hex id, so that two runs of the same stack give the same ids."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


@dataclass(frozen=True)
class MockContext:
    """What mocks may consult: the stack name, an AWS account/region and the vSphere inventory.

    `inventory` maps an object kind (datacenter, compute_cluster, datastore, network,
    distributed_switch, template, host) to the names a site really has, so a lookup of a
    name the sites map does not hold fails as it would against vCenter.
    """

    stack: str = "test"
    account_id: str = "111111111111"
    region: str = "us-east-1"
    inventory: dict[str, frozenset[str]] = field(default_factory=dict)


class UnknownInvoke(Exception):
    """An invoke token no mock answers: add one in the target's mocks module."""


class FleetMocks(pulumi.runtime.Mocks):
    """The one Mocks class: dispatches on type token to the registered answers."""

    def __init__(self, context: MockContext | None = None):
        self.context = context or MockContext()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        answer = _RESOURCES.get(args.typ)
        extra = answer(args, self.context) if answer else {}
        state = {**args.inputs, **extra}
        resource_id = state.pop("id", None) or args.resource_id or f"{args.name}-{stable_id(args.typ, args.name, length=8)}"
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs):
        answer = _INVOKES.get(args.token)
        if answer is None:
            raise UnknownInvoke(f"no mock answers invoke {args.token}")
        return answer(args.args, self.context)


# Importing the target modules registers their answers.
from engine.mocks import aws, kubernetes, vsphere  # noqa: E402,F401
