"""Build captured stacks by hand, as the offline engine records them, to feed policies one resource at a time."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from engine.captured import Capture, CapturedResource

STACK = "shop-prod"
PROJECT = "cloud-blueprints"
TAGS = {"team": "shop", "owner": "lead@example.com", "cost-center": "CC-1", "env": "prod",
        "blueprint": "web-service@2.0.0", "managed-by": "cloud-blueprints"}
LABELS = {k: v.replace("@", "_at_") for k, v in TAGS.items()}


def urn(type_token: str, name: str, stack: str = STACK) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{type_token}::{name}"


def provider_of(type_token: str, stack: str = STACK) -> str:
    package = type_token.split(":", 1)[0]
    return f"{urn(f'pulumi:providers:{package}', f'{package}-explicit', stack)}::0e7c1d"


def res(type_token: str, name: str, inputs: dict[str, Any] | None = None, *, deps: dict[str, list[CapturedResource]] | None = None,
        parent: CapturedResource | None = None, provider: str | None = "explicit", stack: str = STACK) -> CapturedResource:
    """A custom resource with an explicit provider (or `provider=None` for the engine's default one)."""
    inputs = dict(inputs or {})
    return CapturedResource(
        urn=urn(type_token, name, stack), type=type_token, name=name, parent=parent.urn if parent else None, custom=True,
        inputs=inputs, outputs=inputs, protect=False, dependencies=(), retain_on_delete=False, delete_before_replace=False,
        provider=(provider_of(type_token, stack) if provider == "explicit" else provider), ignore_changes=(),
        property_dependencies={k: tuple(r.urn for r in v) for k, v in (deps or {}).items()},
    )


def component(type_token: str, name: str, stack: str = STACK) -> CapturedResource:
    r = res(type_token, name, {}, provider=None, stack=stack)
    return CapturedResource(**{**r.__dict__, "custom": False})


def k8s(kind: str, api: str, name: str, spec: dict | None = None, namespace: str | None = "shop-prod",
        labels: dict | None = None, **top) -> CapturedResource:
    """A Kubernetes object as its provider receives it."""
    group = api.split("/")[0] if "/" in api else "core"
    version = api.split("/")[-1]
    meta = {"name": name, "labels": LABELS if labels is None else labels}
    if namespace:
        meta["namespace"] = namespace
    inputs = {"apiVersion": api, "kind": kind, "metadata": meta, **top}
    if spec is not None:
        inputs["spec"] = spec
    return res(f"kubernetes:{group}/{version}:{kind}", name, inputs)


def capture(*resources: CapturedResource, stack: str = STACK) -> Capture:
    """A stack of these resources plus the explicit providers they name."""
    providers = {}
    for r in resources:
        if r.provider and r.provider.startswith("urn:") and "pulumi:providers:" in r.provider:
            p_urn = r.provider.rsplit("::", 1)[0]
            package = p_urn.split("pulumi:providers:")[1].split("::")[0]
            providers[p_urn] = CapturedResource(
                urn=p_urn, type=f"pulumi:providers:{package}", name=p_urn.rsplit("::", 1)[-1], parent=None, custom=True,
                inputs={"region": "us-east-1"} if package == "aws" else {}, outputs={}, protect=False, dependencies=(),
                provider=None, ignore_changes=(), delete_before_replace=False, retain_on_delete=False)
    return Capture(stack=stack, resources=[*providers.values(), *resources])


def off_the_wire(*resources: CapturedResource, stack: str = STACK) -> Capture:
    """`capture`, with every input and output as a pack reads it off the wire: equal values, never the test's own
    objects (a check comparing strings by identity passes on a literal and fails on what the engine sends)."""
    fresh = [dataclasses.replace(r, inputs=json.loads(json.dumps(r.inputs)), outputs=json.loads(json.dumps(r.outputs)))
             for r in resources]
    return capture(*fresh, stack=stack)
