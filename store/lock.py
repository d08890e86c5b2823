"""The repository's lock: one change at a time (`stack_change.change`: a stamp, upgrade, pin, retire or wave) reads,
decides and writes stack files and the ledger.

An advisory `fcntl.flock` on `.bp.lock` beside Pulumi.yaml (git-ignored). The kernel drops it when its holder exits, however it
exits, so a lock file left behind by a killed process is stale by construction: the next caller takes it
at once and only the holder record inside is overwritten. A live holder is named in the timeout error.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from blueprints.errors import BadInput

LOCK_NAME = ".bp.lock"
TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.05


def lock_path(repo: Path) -> Path:
    """The lock file of a repository."""
    return Path(repo) / LOCK_NAME


def holder(path: Path) -> str:
    """Who the lock file says holds (or last held) the lock, in words."""
    try:
        pid, host, since = path.read_text(encoding="utf-8").split()
        return f"pid {pid} on {host} since {time.strftime('%H:%M:%S', time.localtime(float(since)))}"
    except (OSError, ValueError):
        return "an unknown process"


@contextmanager
def repo_lock(repo: Path, timeout: float = TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the exclusive lock of `repo` for the block; BadInput after `timeout` seconds of waiting."""
    path = lock_path(repo)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BadInput(f"cannot create the allocation lock: {exc.strerror}", path) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BadInput(f"another bp holds the allocation lock ({holder(path)}); try again", path) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {socket.gethostname()} {time.time():.0f}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock
