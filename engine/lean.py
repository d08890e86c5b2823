"""What the offline engine turns off around Pulumi's SDK, without changing what a program registers.

Much of a mock run is overhead the mock engine never reads: the SDK captures a Python stack trace
for each resource (the real engine shows it as a source position); it hands every engine call to a
thread pool, so a slow gRPC round trip never blocks the program, though the mock monitor answers from
memory; and the cyclic garbage collector rescans the provider SDKs' many thousand long-lived classes
again and again, and again within a run over objects the run itself holds. `lean()` turns off the
first, runs engine calls on the event loop's own thread, freezes the collector's view of the imported
world and collects once per run instead of during it, and takes the shortcuts through the SDK that
engine/sdk_shortcuts.py lists (work whose answer a mock run already has), handing registrations' inputs to the
capturing monitor without a protobuf Struct (engine/sdk_inputs.py); the captured resources are the same
(tests/test_engine_lean.py compares every catalog blueprint on both targets). Figures: bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import gc
from contextlib import contextmanager
from typing import Iterator

from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2

from engine import sdk_inputs, sdk_shortcuts

_NO_TRACE = source_pb2.StackTrace()
_frozen = False
_collecting = True
_runs = 0
FULL_COLLECTION_EVERY = 64
"""Runs between full collections; in between, each run ends by collecting the young generations."""


class InlineLoop(asyncio.SelectorEventLoop):
    """An event loop whose executor calls run at once on the loop's thread.

    Handing a call to a pool thread and back (a queue, a self-pipe wake-up, the GIL) costs more than
    the mock monitor's answer; the awaiting coroutine gets the same result or exception either way.
    """

    def run_in_executor(self, executor, func, *args):
        future = self.create_future()
        try:
            future.set_result(func(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future


_inline_loop: InlineLoop | None = None


def _no_stack_trace() -> source_pb2.StackTrace:
    return _NO_TRACE


def never_collect() -> None:
    """This process leaves the cyclic collector off for good: it exits after a few runs (engine/zygote.py)."""
    global _collecting
    _collecting = False
    gc.disable()


@contextmanager
def lean() -> Iterator[None]:
    """Run the block without per-resource stack traces, on the inline event loop, without collections.

    A run's cyclic garbage (outputs, tasks and futures that refer to each other) is collected once at
    its end, which is cheaper than the collector's many passes over the run's live objects during it.
    The first lean run ends instead by moving everything alive, the provider modules its program
    imported and its own garbage too, to the collector's permanent generation (`gc.freeze`), so later
    collections only look at what later runs allocate.
    """
    global _frozen, _runs
    if not _collecting:
        with _no_trace_on_inline_loop():
            yield
        return
    collecting = gc.isenabled()
    gc.disable()
    try:
        with _no_trace_on_inline_loop():
            yield
    finally:
        _runs += 1
        if _frozen:
            gc.collect(2 if _runs % FULL_COLLECTION_EVERY == 0 else 1)
        else:
            # Frozen uncollected: a full collection would scan every module the process imported to free one run's
            # cycles (a few MB, kept), most of what a one-stack command spends collecting.
            gc.freeze()
            _frozen = True
        if collecting:
            gc.enable()


@contextmanager
def _no_trace_on_inline_loop() -> Iterator[None]:
    """No per-resource stack traces, the inline loop as the current one and the SDK shortcuts, for the block."""
    global _inline_loop
    traced = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = _no_stack_trace
    policy = asyncio.get_event_loop_policy()
    try:
        stock_loop = policy.get_event_loop()
    except RuntimeError:
        stock_loop = None
    _inline_loop = _inline_loop or InlineLoop()
    policy.set_event_loop(_inline_loop)
    try:
        with sdk_shortcuts.installed(), sdk_inputs.installed():
            yield
    finally:
        policy.set_event_loop(stock_loop)
        sdk_resource._get_stack_trace = traced
