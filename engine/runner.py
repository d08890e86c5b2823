"""Run Pulumi code in-process under the mock runtime and capture what it registers."""

from __future__ import annotations

import asyncio
import json
import runpy
import sys
import traceback
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable

import pulumi
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from engine import lazy_sdk
from engine.captured import PROJECT, Capture
from engine.capture import CapturingMonitor, StockCapturingMonitor
from engine.lean import lean
from engine.mocks import FleetMocks, MockContext

lazy_sdk.install()  # before a program first imports a provider SDK: only the modules it uses load


class ProgramError(Exception):
    """The program raised: names the stack and, where known, the component and resource it was building."""

    def __init__(self, stack: str, cause: BaseException):
        self.stack = stack
        self.cause = cause
        self.component, self.resource = _building(cause)
        where = [f"stack {stack}"]
        if self.component:
            where.append(f"component {self.component}")
        if self.resource:
            where.append(f"resource {self.resource}")
        super().__init__(f"{', '.join(where)}: {type(cause).__name__}: {cause}")


def _building(exc: BaseException) -> tuple[str | None, str | None]:
    """The innermost component and custom resource on the failing call stack, as 'type name'."""
    component = resource = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        owner = frame.f_locals.get("self")
        if not isinstance(owner, pulumi.Resource):
            continue
        # A resource's type and name are set late in Resource.__init__; fall back to the
        # constructor's arguments while it is still being built.
        type_token = getattr(owner, "_type", None) or frame.f_locals.get("t")
        name = getattr(owner, "_name", None) or frame.f_locals.get("resource_name") or frame.f_locals.get("name")
        label = f"{type_token or type(owner).__name__} '{name}'"
        if isinstance(owner, pulumi.ComponentResource):
            component = label
        else:
            resource = label
    return component, resource


def _reset(stack: str, context: MockContext, capture: Capture, config: dict[str, Any], plain: bool) -> None:
    """Give the runtime a fresh root, config and monitor, so runs in one process never mix."""
    runtime_settings.ROOT.set(None)
    set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, [])
    monitor = (StockCapturingMonitor if plain else CapturingMonitor)(FleetMocks(context), capture)
    pulumi.runtime.set_mocks(FleetMocks(context), project=PROJECT, stack=stack, preview=False, monitor=monitor)
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    # set_mocks installs a finished root of its own; the run gets a new one that collects exports.
    runtime_settings.ROOT.set(None)


async def _outputs_settled() -> None:
    """Wait, a round at a time, until every engine call and every output the program started has finished.

    The SDK waits for outputs one completion at a time (`asyncio.wait(FIRST_COMPLETED)` over all pending
    outputs, again after each), which is quadratic in a program's outputs once engine calls answer
    at once; waiting for each round as a whole leaves it nothing to wait for. Each round waits for the
    engine calls first: a registration's answer resolves all its properties' outputs (a dozen or more)
    at once, so the outputs still pending after them are few, and fewer are watched one by one.
    """
    await asyncio.sleep(0)  # the calls the program made start, and join the manager's list
    while True:
        if calls := [call for call in runtime_settings.SETTINGS.rpc_manager.rpcs if not call.done()]:
            await asyncio.wait(calls)
        elif pending := [task for task in runtime_settings.SETTINGS.outputs if not task.done()]:
            await asyncio.wait(pending)
        else:
            _keep_failures_only(runtime_settings.SETTINGS.outputs)
            return


def _keep_failures_only(outputs: set) -> None:
    """Leave in the tracked set only the outputs that failed, for the SDK's end-of-run wait to raise.

    That wait watches every output in the set for its first completion (tens of thousands in a lean run,
    which leaves resolved outputs in the set); one that resolved has nothing left to tell it.
    """
    failed = [output for output in outputs if output.cancelled() or output.exception() is not None]
    outputs.clear()
    outputs.update(failed)


def _settling(program: Callable[[], Any]) -> Callable[[], Any]:
    def settle():
        program()
        return _outputs_settled()
    return settle


def run(
    program: Callable[[], Any],
    *,
    stack: str = "test",
    config: dict[str, Any] | None = None,
    context: MockContext | None = None,
    plain: bool = False,
) -> Capture:
    """Run `program` (any callable that creates resources) and return what it registered.

    Config keys are full keys (`project:key`); non-string values are passed as JSON, as
    the Pulumi CLI passes structured config. `plain` runs the SDK exactly as shipped, without
    the engine's `lean` settings and with the stock monitor's answers: the reference the fast path is tested against.
    """
    capture = Capture(stack=stack)
    # The reset is inside `lean()`: `set_mocks` registers a root of its own, and its registration has to
    # run on the loop the program runs on, not wait forever on another one holding this run's state.
    with nullcontext() if plain else lean():
        _reset(stack, context or MockContext(stack=stack), capture, config or {}, plain)
        try:
            _sync_await(run_in_stack(program if plain else _settling(program)))
        except Exception as exc:
            raise ProgramError(stack, exc) from exc
        finally:
            runtime_settings.ROOT.set(None)
    capture.settle()
    return capture


def run_stack(
    program_dir: Path,
    stack: str,
    config: dict[str, Any],
    context: MockContext | None = None,
    plain: bool = False,
) -> Capture:
    """Run the Pulumi program in `program_dir` (its `__main__.py`) for one stack's config."""
    main = Path(program_dir) / "__main__.py"
    root = str(Path(program_dir).resolve().parent)
    # The program puts its repository on sys.path, as it must under the real CLI; restoring the path
    # afterwards keeps a worker that runs a whole fleet from searching one more entry per stack.
    saved = list(sys.path)
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        return run(lambda: runpy.run_path(str(main), run_name="__main__"), stack=stack, config=config,
                   context=context, plain=plain)
    finally:
        sys.path[:] = saved
