"""What is deployed: a `pulumi stack export` checkpoint read into the same capture the offline engine makes.

The export is an untyped deployment, `{"version": 3, "deployment": {"manifest", "secrets_providers", "resources"}}`,
each resource a `ResourceV3` (`sdk/go/common/apitype/core.go`): urn, custom, id, type, inputs, outputs, parent,
provider (`<urn>::<id>`), dependencies, propertyDependencies... Secret values stay encrypted (`ciphertext`) or
redacted; they become the secret marker the packs already see from previews, so no secret is decrypted or printed.
The root `pulumi:pulumi:Stack` is left out, as the offline engine leaves it out, so a deployed stack and its stack
file are asked the same questions over the Analyzer protocol.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from blueprints.errors import BadInput
from engine.captured import PROJECT, ROOT_STACK_TYPE, SECRET, Capture, CapturedResource

VERSION = 3
SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""The key marking a secret value in state (`resource.SigKey`)."""
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"
"""Its value for a secret (`resource.SecretSig`)."""


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            return SECRET
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _resource(res: Any, i: int, source: str) -> CapturedResource:
    where = f"deployment.resources[{i}]"
    if not isinstance(res, dict):
        raise BadInput(f"{where}: expected an object", source)

    def field(name: str, kind: type, default: Any = None) -> Any:
        value = res.get(name, default)
        if not isinstance(value, kind):
            raise BadInput(f"{where}.{name}: expected {'a string' if kind is str else f'a {kind.__name__}'}", source)
        return value

    urn = field("urn", str)
    if not urn.startswith("urn:pulumi:") or urn.count("::") < 3:
        raise BadInput(f"{where}.urn: not a Pulumi URN: {urn!r}", source)
    return CapturedResource(
        urn=urn, type=field("type", str), name=urn.rsplit("::", 1)[-1], parent=res.get("parent") or None,
        custom=bool(res.get("custom", False)), inputs=_decode(field("inputs", dict, {})),
        outputs=_decode(field("outputs", dict, {})), protect=bool(res.get("protect", False)),
        dependencies=tuple(field("dependencies", list, [])), provider=res.get("provider") or None,
        ignore_changes=tuple(res.get("ignoreChanges") or ()), delete_before_replace=False,
        retain_on_delete=bool(res.get("retainOnDelete", False)),
        property_dependencies={k: tuple(v) for k, v in field("propertyDependencies", dict, {}).items()},
        aliases=tuple(res.get("aliases") or ()),
    )


def read(path: Path) -> Capture:
    """The deployed resources of an exported stack, as a capture. BadInput names the file and the field."""
    source = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror}", source) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"malformed JSON: {getattr(exc, 'msg', exc)}", source, getattr(exc, "lineno", None)) from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("deployment"), dict):
        raise BadInput(f"version: expected a version {VERSION} deployment, as `pulumi stack export` writes", source)
    resources = data["deployment"].get("resources")
    resources = [] if resources is None else resources  # a never-deployed stack exports none
    if not isinstance(resources, list):
        raise BadInput("deployment.resources: expected a list", source)
    captured = [(_resource(r, i, source), r.get("delete")) for i, r in enumerate(resources)]
    if not captured:
        raise BadInput("deployment.resources: the stack has no resources (was it ever deployed?)", source)
    # A resource marked `delete` is an old copy awaiting deletion after a replacement: not what is deployed.
    kept = [r for r, pending_delete in captured if r.type != ROOT_STACK_TYPE and not pending_delete]
    stack = captured[0][0].urn.removeprefix("urn:pulumi:").split("::", 1)[0]
    capture = Capture(stack=stack, resources=kept)
    capture.settle()
    return capture


def _encode(value: Any) -> Any:
    if value == SECRET:
        return {SECRET_SIG: SECRET_VALUE, "ciphertext": "v1:" + hashlib.sha256(b"redacted").hexdigest()[:24]}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def export(capture: Capture, project: str = PROJECT) -> dict[str, Any]:
    """The checkpoint `pulumi stack export` would print after `pulumi up` of this capture (secrets encrypted)."""
    root = f"urn:pulumi:{capture.stack}::{project}::{ROOT_STACK_TYPE}::{project}-{capture.stack}"
    resources: list[dict[str, Any]] = [{"urn": root, "custom": False, "type": ROOT_STACK_TYPE, "outputs": {}}]
    for r in capture.resources:
        entry: dict[str, Any] = {"urn": r.urn, "custom": r.custom, "type": r.type}
        if r.custom:
            entry["id"] = str(r.outputs.get("id") or f"{r.name}-id")
        entry |= {"inputs": _encode(r.inputs), "outputs": _encode({**r.inputs, **r.outputs}), "parent": r.parent or root}
        if r.protect:
            entry["protect"] = True
        if r.dependencies:
            entry["dependencies"] = list(r.dependencies)
        if r.provider:
            entry["provider"] = r.provider
        if r.property_dependencies:
            entry["propertyDependencies"] = {k: list(v) for k, v in r.property_dependencies.items()}
        resources.append(entry)
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    return {"version": VERSION, "deployment": {
        "manifest": {"time": now, "magic": hashlib.sha256(b"v3.140.0").hexdigest(), "version": "v3.140.0"},
        "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:offline:export"}},
        "resources": resources}}
