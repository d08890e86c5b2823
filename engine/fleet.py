"""Run one evaluation over every stack of a fleet: all cores, streamed results, a content-hash cache.

The runner knows nothing of what it evaluates: an evaluator is a picklable callable (a module-level function
or an instance of a module-level class) `(repo, stack_file, sites) -> dict` (JSON-able, small) that never raises;
`preview_stack` is one. A result marked `"transient": True` (a failure that is not the stack's, such as a crashed
policy pack) is not cached. Each worker process is started once and kept warm (SDKs imported, GC frozen after its first
stack), results stream back as they finish and are not kept, so memory stays flat whatever the fleet's size.
A worker runs an evaluator marked `runs_in_children` (a preview) in short-lived forked children with the cyclic
collector off (engine/zygote.py).

An evaluator that holds processes of its own (the fleet audit's policy packs) starts them in the worker's main
thread, which lives as long as the worker, and registers their shutdown with `at_worker_exit`: the pool ends its
workers normally once the last result is in, so every hook runs and nothing is left behind.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.util
import os
import resource
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from blueprints.errors import BadInput
from blueprints.sites import SitesMap
from engine.cache import ResultCache
from engine.zygote import Zygote
from store.stack_files import stack_name

Evaluator = Callable[[Path, Path, SitesMap], dict[str, Any]]


def shard(paths: Iterable[Path], index: int, count: int) -> list[Path]:
    """The stacks of shard `index` (1-based) of `count`: by a hash of the stack file's name.

    A stack's shard depends on its name alone, so adding or removing stacks never moves the others
    between the machines of a CI matrix.
    """
    return [p for p in paths if int(hashlib.sha256(Path(p).name.encode()).hexdigest(), 16) % count == index - 1]


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` -> (I, N); BadInput names the option."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise BadInput(f"--shard: '{text}' is not I/N (e.g. 2/8)") from None
    if not 1 <= index <= count:
        raise BadInput(f"--shard: {text} is not I/N with 1 <= I <= N")
    return index, count


def preview_stack(repo: Path, stack_file: Path, sites: SitesMap) -> dict[str, Any]:
    """Evaluator: run one stack's program offline; its resource count and a digest of the whole preview.

    A stack whose resources break a provider rule fails, with one line per violation (engine/provider_rules)."""
    from engine.runner import ProgramError
    from engine.stacks import preview
    from store.stack_files import read_stack

    try:
        capture = preview(repo, read_stack(stack_file), sites)
    except (BadInput, ProgramError) as exc:
        return {"ok": False, "error": str(exc)}
    if capture.violations:
        return {"ok": False, "error": f"{len(capture.violations)} provider rule violation(s)",
                "violations": [v.describe() for v in capture.violations]}
    canonical = json.dumps(capture.to_json(), sort_keys=True, default=str).encode()
    return {"ok": True, "resources": len(capture.resources), "digest": hashlib.sha256(canonical).hexdigest()}


preview_stack.runs_in_children = True  # starts no threads or processes: pool workers may fork it (engine/zygote.py)


@dataclass(frozen=True)
class Result:
    """One stack's evaluation, and whether it came from the cache."""

    stack: str
    cached: bool
    data: dict[str, Any]
    peak_rss_kib: int = 0
    """The peak resident set of the process that ran it (0 from the cache)."""


# Set in each worker by `_start_worker`; workers are forked once and reused for many stacks.
_worker: tuple[Path, SitesMap, Evaluator] | None = None
_exit_hooks: list[Callable[[], None]] = []


def at_worker_exit(hook: Callable[[], None]) -> None:
    """Run `hook` (once) when this worker ends: after its last stack, or when a one-process run finishes."""
    if hook not in _exit_hooks:
        _exit_hooks.append(hook)


def _run_exit_hooks() -> None:
    while _exit_hooks:
        _exit_hooks.pop()()


def _start_worker(repo: Path, sites: SitesMap, evaluator: Evaluator) -> None:
    global _worker
    _worker = (repo, sites, evaluator)


def _start_pool_worker(repo: Path, sites: SitesMap, evaluator: Evaluator) -> None:
    if getattr(evaluator, "runs_in_children", False):
        evaluator = Zygote(evaluator)
        at_worker_exit(evaluator.close)
    _start_worker(repo, sites, evaluator)
    # A pool worker that ends normally runs multiprocessing's finalizers (in its main thread) before it exits.
    multiprocessing.util.Finalize(None, _run_exit_hooks, exitpriority=10)


def _evaluate(item: tuple[str, Path]) -> tuple[str, Path, dict[str, Any], int]:
    key, path = item
    repo, sites, evaluator = _worker
    data = evaluator(repo, path, sites)
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return key, path, data, peak


def run_fleet(
    repo: Path,
    stack_files: list[Path],
    sites: SitesMap,
    evaluator: Evaluator,
    cache: ResultCache | None,
    jobs: int,
) -> Iterator[Result]:
    """Evaluate every stack file, yielding each result as it is ready: cached ones first, then runs."""
    todo: list[tuple[str, Path]] = []
    for path in stack_files:
        key = cache.key(path) if cache else ""
        hit = cache.get(key) if cache else None
        if hit is not None:
            yield Result(stack_name(path), True, hit)
        else:
            todo.append((key, path))
    for key, path, data, rss in _map(repo, sites, evaluator, todo, jobs):
        if cache and not data.get("transient"):
            cache.put(key, data)
        yield Result(stack_name(path), False, data, rss)


def _map(repo, sites, evaluator, todo, jobs) -> Iterator[tuple[str, Path, dict[str, Any], int]]:
    if jobs <= 1 or len(todo) <= 1:
        _start_worker(repo, sites, evaluator)
        try:
            yield from map(_evaluate, todo)
        finally:
            _run_exit_hooks()
        return
    # Not "fork": the SDK's executor threads may hold locks at fork time, and a forked child waits on them forever.
    # The fork server is a fresh single-threaded process that already holds the engine's imports.
    context = multiprocessing.get_context("forkserver")
    # An evaluator may name modules of its own (`preload`) for the fork server to import once for every worker.
    context.set_forkserver_preload(["engine.stacks", "engine.fleet", *getattr(evaluator, "preload", ())])
    with context.Pool(min(jobs, len(todo)), initializer=_start_pool_worker, initargs=(repo, sites, evaluator)) as pool:
        yield from pool.imap_unordered(_evaluate, todo, chunksize=max(1, min(8, len(todo) // (jobs * 8))))
        # Let the workers end by themselves so their exit hooks run; leaving the block early terminates them instead.
        pool.close()
        pool.join()


def default_jobs() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class FleetSummary:
    """Running totals over a fleet's results: all a fleet command keeps in memory besides failures."""

    stacks: int = 0
    cached: int = 0
    failed: int = 0
    resources: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    peak_rss_kib: int = 0

    def add(self, result: Result) -> None:
        """Count one result."""
        self.stacks += 1
        self.cached += result.cached
        self.resources += result.data.get("resources", 0)
        self.peak_rss_kib = max(self.peak_rss_kib, result.peak_rss_kib)
        if not result.data.get("ok"):
            self.failed += 1
            self.failures[result.stack] = result.data.get("error", "failed")

    def to_json(self) -> dict[str, Any]:
        """The summary as plain data, failures sorted by stack."""
        return {"stacks": self.stacks, "cached": self.cached, "ran": self.stacks - self.cached, "failed": self.failed,
                "resources": self.resources, "failures": dict(sorted(self.failures.items()))}
