"""A lean run's registration inputs handed to the capturing monitor as Python values, without a protobuf Struct.

The SDK serialises a registration's inputs into a Struct, the request carries a copy, and the monitor reads
it back into Python values; after the answer, the SDK reads the Struct back again for the inputs the answer
left out. When the serialised inputs are plain data (as `sdk_shortcuts.as_read_back` defines it: no secret,
unknown, resource reference, asset or enum), both readers get the values as they would read them back, and
the request carries an empty Struct. Anything else, and any registration that could let another one run
between its preparation and its request (a read, transforms, state migrations, hooks, a replacement trigger,
a parent not yet a plain string), gets its Struct filled as the SDK fills it.

The hand-over needs no queue: with engine calls on the loop's own thread (engine/lean.py), nothing else runs
between `prepare_resource` returning and the monitor's `RegisterResource` for a registration that may be
handed over; the monitor takes the inputs only for the request they were handed over for (`handed_inputs`). tests/test_engine_lean.py proves the captures equal to the SDK's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from google.protobuf import struct_pb2
from pulumi import _types
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import rpc
from pulumi.runtime.settings import SETTINGS

from engine.sdk_shortcuts import NOT_PLAIN, as_read_back

_stock_prepare_resource = sdk_resource.prepare_resource
_stock_serialize_properties = rpc.serialize_properties
_stock_resolve_outputs = rpc.resolve_outputs

_preparing: dict[int, list] = {}
"""Resources being prepared for registration (by id) -> [Struct, serialised inputs] once serialised."""
_read_back: dict[int, tuple[struct_pb2.Struct, dict[str, Any]]] = {}
"""An empty Struct standing in for a registration's inputs (by id) -> (it, the inputs as read back)."""
_handed: tuple[tuple[str, str, str], dict[str, Any]] | None = None
"""The registration whose request comes next: (parent, type, name) and its inputs as read back."""


async def serialize_properties(inputs, property_deps, resource_obj=None, input_transformer=None, typ=None,
                               keep_output_values=False, exclude_resource_refs_from_deps=False) -> struct_pb2.Struct:
    """`serialize_properties`; for a registration being prepared, the values are kept and the Struct left empty."""
    slot = _preparing.get(id(resource_obj)) if resource_obj is not None and not keep_output_values else None
    if slot is None:
        return await _stock_serialize_properties(inputs, property_deps, resource_obj, input_transformer, typ,
                                                 keep_output_values, exclude_resource_refs_from_deps)
    get_type, translate = lambda k: None, input_transformer
    if typ is not None:  # the SDK's own translation by type metadata
        py_name_to_pulumi_name = _types.input_type_py_to_pulumi_names(typ)
        types = _types.input_type_types(typ)
        translate = lambda k: py_name_to_pulumi_name.get(k) or k
        get_type = lambda k: types.get(translate(k))
    serialized = {}
    for k in inputs:
        v, deps = inputs[k], []
        try:
            result = await rpc.serialize_property(v, deps, k, resource_obj, input_transformer, get_type(k),
                                                  keep_output_values, exclude_resource_refs_from_deps)
        except ValueError as e:
            raise ValueError(f"While processing input: {k!r}, type {type(k)}, value {v!r}\n"
                             f"ValueError has risen: {e}") from e
        except AssertionError as e:
            raise AssertionError(f"While processing input: {k!r}, type {type(k)}, value {v!r}\n"
                                 f"AssertionError has risen: {e}") from e
        if result is not None:
            name = translate(k) if translate is not None else k
            serialized[name] = result
            property_deps[name] = deps
    slot += [struct_pb2.Struct(), serialized]
    return slot[0]


_HOOK_KINDS = ("before_create", "after_create", "before_update", "after_update", "before_delete", "after_delete",
               "on_error")


def _may_let_others_run(opts, prepared) -> bool:
    """Whether the SDK may await something unfinished between preparing a registration and sending it.

    Options carry an empty hooks binding by default; only a hook in it is awaited.
    """
    hooks = opts.hooks if opts is not None else None
    return bool(opts is None or opts.id is not None or opts.transforms or opts.state_migrations
                or (hooks and any(getattr(hooks, kind, None) for kind in _HOOK_KINDS))
                or prepared.replacement_trigger is not None or type(prepared.parent_urn) is not str)


async def prepare_resource(res, ty, custom, remote, props, opts, typ=None):
    """`prepare_resource`, handing a registration's plain inputs to a monitor that takes them."""
    global _handed
    slot = _preparing[id(res)] = []
    try:
        prepared = await _stock_prepare_resource(res, ty, custom, remote, props, opts, typ)
    finally:
        del _preparing[id(res)]
    if not slot or slot[0] is not prepared.serialized_props:
        return prepared
    struct, serialized = slot
    read = NOT_PLAIN
    if getattr(SETTINGS.monitor, "takes_handed_inputs", False) and not _may_let_others_run(opts, prepared):
        read = as_read_back(serialized)
    if read is NOT_PLAIN:
        for name, value in serialized.items():
            struct[name] = value  # as the SDK fills it
        return prepared
    _read_back[id(struct)] = (struct, read)
    _handed = ((prepared.parent_urn, ty, res._name), read)
    return prepared


def handed_inputs(request) -> dict[str, Any] | None:
    """The inputs handed over for `request` as the SDK would read them from its Struct, or None (read the Struct).

    A monitor that takes handed inputs calls this for every registration request, first. Inputs handed over
    for another registration are dropped: that one failed between its preparation and its request (nothing
    else can run in between), and this request was not handed over, so it carries its Struct.
    """
    global _handed
    handed, _handed = _handed, None
    if handed is None or handed[0] != (request.parent, request.type, request.name):
        return None
    return handed[1]


def resolve_outputs(res, serialized_props, outputs, deps, resolvers, custom, transform_using_type_metadata=False,
                    keep_unknowns=False, resolve_missing_as_unknown=False):
    """`resolve_outputs`, taking the inputs the answer left out from the values handed over."""
    entry = _read_back.pop(id(serialized_props), None)
    if entry is not None and entry[0] is serialized_props:
        serialized_props = entry[1]  # read back already: the SDK's deserialize_property leaves each value as it is
    _stock_resolve_outputs(res, serialized_props, outputs, deps, resolvers, custom, transform_using_type_metadata,
                           keep_unknowns, resolve_missing_as_unknown)


@contextmanager
def installed() -> Iterator[None]:
    """The hand-over in place for the block; the SDK as shipped afterwards, and nothing left handed over."""
    global _handed
    sdk_resource.prepare_resource, rpc.serialize_properties = prepare_resource, serialize_properties
    rpc.resolve_outputs = resolve_outputs
    try:
        yield
    finally:
        sdk_resource.prepare_resource, rpc.serialize_properties = _stock_prepare_resource, _stock_serialize_properties
        rpc.resolve_outputs = _stock_resolve_outputs
        _preparing.clear()
        _read_back.clear()
        _handed = None
