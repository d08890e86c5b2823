"""The repository lock's wait, on a clock the test drives (no sleeping): a second bp waits for the lock exactly its
timeout, a minute by default, then gives up naming the holder; a lock released meanwhile is taken."""

from __future__ import annotations

import fcntl
import os

import pytest

from blueprints.errors import BadInput
from store import lock


class Clock:
    """time.monotonic and time.sleep for the lock: sleeping advances the clock, nothing waits."""

    def __init__(self, release_at: float | None = None, fd: int | None = None):
        self.now, self.release_at, self.fd = 1000.0, release_at, fd

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.release_at is not None and self.now - 1000.0 >= self.release_at:
            fcntl.flock(self.fd, fcntl.LOCK_UN)


@pytest.fixture
def held(tmp_path):
    fd = os.open(lock.lock_path(tmp_path), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b"4242 build-host 1764900000\n")
    yield fd
    os.close(fd)


def _drive(monkeypatch, clock: Clock) -> Clock:
    monkeypatch.setattr(lock.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(lock.time, "sleep", clock.sleep)
    return clock


@pytest.mark.parametrize("timeout", [None, 5.0])
def test_a_second_bp_waits_exactly_its_timeout_then_names_the_holder(tmp_path, held, monkeypatch, timeout):
    clock = _drive(monkeypatch, Clock())
    held_lock = lock.repo_lock(tmp_path) if timeout is None else lock.repo_lock(tmp_path, timeout)
    with pytest.raises(BadInput, match=r"another bp holds the allocation lock \(pid 4242 on build-host since "), held_lock:
        pass
    waited = clock.now - 1000.0
    assert (timeout or 60.0) <= waited < (timeout or 60.0) + lock.POLL_SECONDS * 1.5, waited


def test_a_lock_released_before_the_timeout_is_taken(tmp_path, held, monkeypatch):
    clock = _drive(monkeypatch, Clock(release_at=59.0, fd=held))
    with lock.repo_lock(tmp_path):
        assert (tmp_path / lock.LOCK_NAME).read_text().split()[0] == str(os.getpid())
    assert 59.0 <= clock.now - 1000.0 < 60.0


def test_a_zero_timeout_tries_once_and_never_waits(tmp_path, held, monkeypatch):
    clock = _drive(monkeypatch, Clock())
    with pytest.raises(BadInput, match="another bp holds the allocation lock"), lock.repo_lock(tmp_path, 0):
        pass
    assert clock.now == 1000.0, "the deadline is reached at the first try: no poll"
