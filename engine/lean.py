"""What the offline engine turns off around Pulumi's SDK, without changing what a program registers.

Much of a mock run is overhead the mock engine never reads: the SDK captures a Python stack trace
for each resource (the real engine shows it as a source position), and the cyclic garbage collector
rescans the provider SDKs' many thousand long-lived classes again and again. `lean()` turns off the
first and freezes the second's view of the imported world; the captured resources are the same
(tests/test_engine_lean.py compares every catalog blueprint on both targets). Figures: bench/RESULTS.md.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2

_NO_TRACE = source_pb2.StackTrace()
_frozen = False


def _no_stack_trace() -> source_pb2.StackTrace:
    return _NO_TRACE


@contextmanager
def lean() -> Iterator[None]:
    """Run the block without per-resource stack traces.

    After the first lean run has imported the provider modules a program uses, everything alive is
    moved to the collector's permanent generation (`gc.freeze`), so later collections only look at
    what later runs allocate.
    """
    global _frozen
    traced = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = _no_stack_trace
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = traced
        if not _frozen:
            gc.collect()
            gc.freeze()
            _frozen = True
