"""Shortcuts through Pulumi's SDK for work whose answer a mock run already has, installed for a lean run only.

Each one returns what the SDK function it stands in for returns, by a shorter way, and leaves anything it
does not recognise to that function:

- the URN the SDK computes for every registration in case there is no monitor (there always is one here)
  is built from strings at once, not through `Output.all` and three `apply`s (about eight tasks);
- `unwrap_type` and `unwrap_optional_type`, which take a provider type annotation apart with `typing` calls
  for every property serialised or read back, are remembered per annotation (pure functions of it);
- a resource class's output types and names, which the SDK reads from its annotations and properties again for
  every registration's answer (`resource_types`, `resource_pulumi_to_py_names`), are remembered per class;
- a plain scalar (an exact str, int, float, bool or None) is serialised, read back and checked for unknowns
  without walking the SDK's chain of type tests, all of which it fails (an int or a str read back as an enum
  or an int is left to the SDK);
- each input property of a resource becomes an output over one future that the registration's answer
  resolves, not four futures and a task that awaits them one by one;
- the capturing monitor answers a registration with the Python values the SDK would read back from the
  wire (`answer`), so its answer is neither built as a protobuf Struct nor read back from one;
- a debug message, which the mock engine hands to a logger that drops it, is dropped at once;
- an output that is already resolved when it is made is not tracked for the end-of-run wait (the SDK adds
  it to the tracked set and takes it out again one callback later); one that resolves later stays in the set
  rather than costing a callback to leave it (the end-of-run wait awaits what it finds, a resolved output at
  once, and raises for a failed one as before); tracking needs no lock: a lean run's engine calls all run on
  the loop's own thread (engine/lean.py).

tests/test_engine_lean.py proves the captures equal to the SDK's as shipped for every catalog blueprint.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from functools import partial
from typing import Any

from pulumi import _types, log
from pulumi.output import Output, _OutputData
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockEngine
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import SETTINGS

_stock_create_urn = sdk_resource.create_urn
_stock_unwrap_type = _types.unwrap_type
_stock_unwrap_optional_type = _types.unwrap_optional_type
_stock_resource_types = _types.resource_types
_stock_resource_pulumi_to_py_names = _types.resource_pulumi_to_py_names
_stock_serialize_property = rpc.serialize_property
_stock_translate_output_properties = rpc.translate_output_properties
_stock_contains_unknowns = rpc.contains_unknowns
_stock_transfer_properties = rpc.transfer_properties
_stock_deserialize_properties = rpc.deserialize_properties
_stock_debug = log.debug
_stock_track = Output._track
_stock_untrack = Output._untrack
_SCALARS = frozenset({str, int, float, bool, type(None)})
_installed = False
NOT_PLAIN = object()


def known(value: Any) -> Output:
    """An output already resolved to a known, non-secret `value` that depends on no resource: no task."""
    future = asyncio.get_event_loop().create_future()
    future.set_result(_OutputData(resources=set(), value=value, is_known=True, is_secret=False))
    return Output._from_data(future)


def create_urn(name, type_, parent=None, project=None, stack=None) -> Output:
    """`create_urn` for plain strings (every registration's own URN), computed at once; anything else as stock."""
    if not (type(name) is str and type(type_) is str and type(parent) is str):
        return _stock_create_urn(name, type_, parent, project, stack)
    return known(parent[0:parent.rfind("::")] + "$" + type_ + "::" + name)


def _remembered(function):
    """`function` of a type annotation, remembered per annotation (an unhashable one is not remembered)."""
    seen: dict[Any, Any] = {}

    def remembered(val):
        try:
            return seen[val]
        except KeyError:
            found = seen[val] = function(val)
            return found
        except TypeError:
            return function(val)
    return remembered


unwrap_type = _remembered(_stock_unwrap_type)
unwrap_optional_type = _remembered(_stock_unwrap_optional_type)
resource_types = _remembered(_stock_resource_types)  # read only: resolve_outputs looks names up in them
resource_pulumi_to_py_names = _remembered(_stock_resource_pulumi_to_py_names)


@_remembered
def _converted_on_read(typ) -> bool:
    """Whether the SDK turns a scalar read back as `typ` into something else (an enum member, an int)."""
    typ = unwrap_optional_type(typ)
    return typ is int or (isinstance(typ, type) and issubclass(typ, Enum))


async def serialize_property(value, deps, property_key, resource_obj=None, input_transformer=None, typ=None,
                             keep_output_values=False, exclude_resource_refs_from_deps=False,
                             return_protobuf_value=False):
    """`serialize_property`: a plain scalar is its own serialised form."""
    if type(value) in _SCALARS and not return_protobuf_value:
        return value
    return await _stock_serialize_property(value, deps, property_key, resource_obj, input_transformer, typ,
                                           keep_output_values, exclude_resource_refs_from_deps,
                                           return_protobuf_value)


def translate_output_properties(output, output_transformer, typ=None, transform_using_type_metadata=False,
                                path=None, return_none_on_dict_type_mismatch=False):
    """`translate_output_properties`: a plain scalar read back as a type that converts nothing is itself."""
    if type(output) in _SCALARS and (output is None or typ is None or not _converted_on_read(typ)):
        return output
    return _stock_translate_output_properties(output, output_transformer, typ, transform_using_type_metadata,
                                              path, return_none_on_dict_type_mismatch)


def contains_unknowns(val) -> bool:
    """`contains_unknowns`: a plain scalar contains none."""
    return False if type(val) in _SCALARS else _stock_contains_unknowns(val)


def _resolve(resource, future: asyncio.Future, value: Any, is_known: bool, is_secret: bool, deps, failed) -> None:
    """What the SDK's resolver does, on one future: the value, its knownness and secrecy, and the resources."""
    if failed is not None:
        future.set_exception(failed)
        return
    resources = set(deps) if deps else set()
    resources.add(resource)
    future.set_result(_OutputData(resources=resources, value=value, is_known=is_known, is_secret=is_secret))


def transfer_properties(res, props, custom: bool) -> dict[str, Any]:
    """`transfer_properties`: an unresolved output on `res` per input property, and the resolver of each."""
    resolvers = {}
    loop = asyncio.get_event_loop()
    for name in props:
        if name == "urn" or (name == "id" and custom):
            continue  # the SDK handles these itself
        future = loop.create_future()
        resolvers[name] = partial(_resolve, res, future)
        res.__dict__[name] = Output._from_data(future)
    return resolvers


class _Deserialized:
    """Stands in for a Struct whose `deserialize_properties` is already known."""

    __slots__ = ("value",)

    def __init__(self, value: dict[str, Any]):
        self.value = value


def deserialize_properties(props_struct, keep_unknowns=None, keep_internal=True):
    """`deserialize_properties`, which has nothing left to do for an answer made by `answer`."""
    if type(props_struct) is _Deserialized:
        return props_struct.value
    return _stock_deserialize_properties(props_struct, keep_unknowns, keep_internal)


def as_read_back(value: Any) -> Any:
    """`value` as the SDK reads it back after the wire (every number a float, no None in a mapping), or NOT_PLAIN.

    Only plain data qualifies: a secret, resource or asset (a mapping with the signature key), an unknown, a
    subclass of a plain type (an enum) go the SDK's own way.
    """
    kind = type(value)
    if kind is str:
        return NOT_PLAIN if value == rpc.UNKNOWN else value
    if kind is bool or value is None:
        return value
    if kind is int or kind is float:
        return float(value)
    if kind is dict:
        if rpc._special_sig_key in value:
            return NOT_PLAIN
        read = {}
        for key, item in value.items():
            item = as_read_back(item)
            if item is NOT_PLAIN or type(key) is not str:
                return NOT_PLAIN
            if item is not None:
                read[key] = item
        return read
    if kind is list or kind is tuple:
        read = [as_read_back(item) for item in value]
        return NOT_PLAIN if any(item is NOT_PLAIN for item in read) else read
    return NOT_PLAIN


def answer(urn: str, id_: str, state: dict[str, Any]) -> sdk_resource.RegisterResponse | None:
    """A registration's answer in the SDK's own response shape, with `state` as it would read it from the wire;
    None when the shortcuts are not installed or `state` is not plain data (then the answer goes on the wire)."""
    if not _installed:
        return None
    read = as_read_back(state)
    if read is NOT_PLAIN:
        return None
    return sdk_resource.RegisterResponse(urn, id_, _Deserialized(read), None, resource_pb2.Result.SUCCESS)


def debug(msg, resource=None, stream_id=None, ephemeral=None) -> None:
    """`log.debug`, without building the log request when the mock engine's logger would drop it."""
    engine = SETTINGS.engine
    if isinstance(engine, MockEngine) and not engine.logger.isEnabledFor(logging.DEBUG):
        return
    _stock_debug(msg, resource, stream_id, ephemeral)


def _settled(future: asyncio.Future) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def _track(self: Output) -> None:
    data = self._data
    if not _settled(data):
        SETTINGS.outputs.add(data)


def _untrack(self: Output) -> None:
    SETTINGS.outputs.discard(self._data)


@contextmanager
def installed() -> Iterator[None]:
    """The shortcuts in place for the block; the SDK as shipped afterwards."""
    global _installed
    sdk_resource.create_urn, _types.unwrap_type = create_urn, unwrap_type
    _types.unwrap_optional_type = unwrap_optional_type
    _types.resource_types, _types.resource_pulumi_to_py_names = resource_types, resource_pulumi_to_py_names
    rpc.serialize_property, rpc.translate_output_properties = serialize_property, translate_output_properties
    rpc.contains_unknowns = contains_unknowns
    rpc.transfer_properties, rpc.deserialize_properties = transfer_properties, deserialize_properties
    _installed = True
    Output._track, Output._untrack, log.debug = _track, _untrack, debug
    try:
        yield
    finally:
        sdk_resource.create_urn, _types.unwrap_type = _stock_create_urn, _stock_unwrap_type
        _types.unwrap_optional_type = _stock_unwrap_optional_type
        _types.resource_types = _stock_resource_types
        _types.resource_pulumi_to_py_names = _stock_resource_pulumi_to_py_names
        rpc.serialize_property = _stock_serialize_property
        rpc.translate_output_properties = _stock_translate_output_properties
        rpc.contains_unknowns = _stock_contains_unknowns
        rpc.transfer_properties, rpc.deserialize_properties = _stock_transfer_properties, _stock_deserialize_properties
        _installed = False
        Output._track, Output._untrack, log.debug = _stock_track, _stock_untrack, _stock_debug
