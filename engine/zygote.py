"""Run a warm worker's evaluations in short-lived forked children, with the cyclic garbage collector off.

A preview leaves thousands of objects in reference cycles (the SDK's outputs, tasks and futures), and
collecting them costs about a seventh of the run. A child forked from the warm worker runs up to
RUNS_PER_CHILD stacks with the collector off and then exits without collecting: the system takes its memory
back at once. The worker runs its first stack itself, which imports what programs need; when a child later had to
import modules the worker lacks (the first stack of another target, say), the worker runs that stack once itself
too, so later children start with them. Only for evaluators that start no threads or
processes of their own (a preview).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Any, Callable

from engine import lean

RUNS_PER_CHILD = 24
"""Stacks per child: enough to spread the fork, few enough that its uncollected garbage stays small (~5 MB a stack)."""


class Zygote:
    """Calls `evaluate(*args)` in a child process, forking a fresh child every RUNS_PER_CHILD calls."""

    def __init__(self, evaluate: Callable[..., dict[str, Any]], runs_per_child: int = RUNS_PER_CHILD):
        self.evaluate = evaluate
        self.runs_per_child = runs_per_child
        self._conn = None
        self._pid = 0
        self._left = 0
        self._warm = False

    def __call__(self, *args: Any) -> dict[str, Any]:
        if not self._warm:
            self._warm = True
            return self.evaluate(*args)
        if self._left == 0:
            self._fork()
        self._left -= 1
        try:
            self._conn.send(args)
            data, imported = self._conn.recv()
        except (EOFError, OSError):
            self._reap()
            return {"ok": False, "error": "the process running this stack died; run it alone with bp preview",
                    "transient": True}
        if self._left == 0:
            self._reap()
        if imported:
            self.evaluate(*args)  # warms this process the way the program imports, not by module name
        return data

    def _fork(self) -> None:
        ours, theirs = multiprocessing.Pipe()
        pid = os.fork()
        if pid == 0:
            ours.close()
            self._serve(theirs)
        theirs.close()
        self._conn, self._pid, self._left = ours, pid, self.runs_per_child

    def _serve(self, conn) -> None:
        """The child: answer this child's share of calls, then leave without collecting or finalising anything."""
        try:
            lean.never_collect()
            for _ in range(self.runs_per_child):
                args = conn.recv()
                before = len(sys.modules)
                data = self.evaluate(*args)
                conn.send((data, len(sys.modules) > before))
        finally:
            os._exit(0)

    def close(self) -> None:
        """End the current child, if any (it is waiting for its next call) and wait for it."""
        self._reap()

    def _reap(self) -> None:
        if self._conn is not None:
            self._conn.close()
            os.waitpid(self._pid, 0)
        self._conn, self._pid, self._left = None, 0, 0
