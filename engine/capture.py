"""How the offline engine records a run: a mock monitor that keeps every registration (engine/captured.py)."""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import mocks, rpc
from pulumi.runtime.proto import provider_pb2, resource_pb2
from pulumi.runtime.sync_await import _sync_await

from engine import sdk_inputs, sdk_shortcuts
from engine.captured import ROOT_STACK_TYPE, SECRET, Capture, CapturedRead, CapturedResource, engine_urn
from engine.provider_rules.checker import RuleChecker

_SCALARS = frozenset({str, int, bool, type(None)})


def redact(value: Any, internal: bool = True) -> Any:
    """Return `value` with every secret replaced by SECRET, and whole numbers as ints.

    The wire format carries every number as a double; a VLAN id of 1000 should read 1000.
    `internal=False` also leaves out the engine-internal `__` keys, as
    `deserialize_properties(keep_internal=False)` reads them.
    """
    # Most values are scalars: one set lookup, not four instance checks, and no call for a scalar in a container.
    if type(value) in _SCALARS:
        return value
    if isinstance(value, dict):
        if rpc.is_rpc_secret(value):
            return SECRET
        return {k: v if type(v) in _SCALARS else redact(v, internal) for k, v in value.items()
                if internal or not k.startswith("__") or k == "__provider"}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _SCALARS else redact(v, internal) for v in value]
    return value


_PLAIN = (str, bool, int, float, type(None))


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, _PLAIN)


def wire_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    """`props` as the SDK's `serialize_properties` puts them on the wire.

    A mock's answer is almost always plain data (its inputs echoed, plus ids and ARNs), which needs no
    awaiting: a top-level None is left out and the rest is copied. Anything else (a resource reference,
    an asset) goes through the SDK's serialiser.
    """
    if not _plain(props):
        return _sync_await(rpc.serialize_properties(props, {}))
    struct = struct_pb2.Struct()
    struct.update({k: v for k, v in props.items() if v is not None})
    return struct


class CapturingMonitor(mocks.MockMonitor):
    """A MockMonitor that also keeps each registration's parent, options and outputs.

    It answers a registration itself rather than through the stock monitor, which deserialises the
    inputs a second time and serialises the mock's answer through the SDK's asynchronous serialiser
    (a nested pump of the event loop per resource); the answer on the wire is the same. In a lean run the
    answer does not go on the wire at all (`sdk_shortcuts.answer`), nor, mostly, do the inputs (`sdk_inputs`).
    """

    takes_handed_inputs = True

    def __init__(self, mocks_impl: mocks.Mocks, capture: Capture):
        super().__init__(mocks_impl)
        self.capture = capture
        self.rules = RuleChecker()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return engine_urn(self.capture.stack, parent, type_, name)

    def RegisterResource(self, request):
        handed = sdk_inputs.handed_inputs(request)
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == ROOT_STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = rpc.deserialize_properties(request.object) if handed is None else handed
        args = mocks.MockResourceArgs(typ=request.type, name=request.name, inputs=inputs, provider=request.provider,
                                      resource_id=request.importId, custom=request.custom or False)
        id_, state = self.mocks.new_resource(args)
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, id_, state)
        self._record(request, urn, id_, inputs, state)
        return (sdk_shortcuts.answer(urn, id_, state)
                or resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=wire_struct(state)))

    def _record(self, request, urn: str, id_: str, inputs: dict[str, Any], state: dict[str, Any]) -> None:
        """Keep the registration, and every provider rule it breaks (judged on the redacted values)."""
        captured = self._captured(request, urn, inputs, state)
        self.capture.resources.append(captured)
        if captured.custom:
            self.capture.violations += self.rules.check(urn, request.type, id_, captured.inputs, captured.outputs)

    def _captured(self, request, urn: str, inputs: dict[str, Any], state: dict[str, Any]) -> CapturedResource:
        return CapturedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=redact(inputs, internal=False),
            outputs=redact(state),
            protect=bool(request.protect),
            dependencies=tuple(sorted(set(request.dependencies))),
            provider=request.provider or None,
            ignore_changes=tuple(request.ignoreChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
            retain_on_delete=bool(request.retainOnDelete),
            property_dependencies={k: tuple(sorted(set(v.urns))) for k, v in sorted(request.propertyDependencies.items()) if v.urns},
            aliases=self._alias_urns(request),
        )

    def _alias_urns(self, request) -> tuple[str, ...]:
        """Each alias as a URN: a spec defaults to the resource's own type, name and parent."""
        urns = []
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            urns.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        return tuple(urns)

    def Invoke(self, request):
        """The mock's answer to a provider function, put on the wire without the SDK's asynchronous serialiser
        (a nested pump of the event loop per call, as for a registration's answer); the answer is the same."""
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        args = rpc.deserialize_properties(request.args)
        answer = self.mocks.call(mocks.MockCallArgs(token=request.tok, args=args, provider=request.provider))
        ret, failures = (answer, None) if isinstance(answer, dict) else (
            answer[0], [provider_pb2.CheckFailure(property=prop, reason=reason) for prop, reason in answer[1]])
        return resource_pb2.ResourceInvokeResponse(failures=failures, **{"return": wire_struct(ret)})

    def ReadResource(self, request):
        response = super().ReadResource(request)
        self.capture.reads.append(
            CapturedRead(urn=response.urn, type=request.type, name=request.name, id=request.id,
                         parent=request.parent or None, provider=request.provider or None)
        )
        return response

    def RegisterResourceOutputs(self, request):
        outputs = redact(rpc.deserialize_properties(request.outputs))
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.capture.stack_outputs.update(outputs)
        else:
            self.capture.component_outputs[request.urn] = outputs
        return super().RegisterResourceOutputs(request)


class StockCapturingMonitor(CapturingMonitor):
    """Registers through the stock MockMonitor, then records: the reference the fast path is tested against."""

    takes_handed_inputs = False
    Invoke = mocks.MockMonitor.Invoke

    def RegisterResource(self, request):
        response = mocks.MockMonitor.RegisterResource(self, request)
        if request.type != ROOT_STACK_TYPE:
            inputs = rpc.deserialize_properties(request.object)
            self._record(request, response.urn, response.id, inputs, self.resources[response.urn].state)
        return response
