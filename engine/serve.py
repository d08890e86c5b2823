"""The engine server process: answers one repository's requests until stopped, idle, out of date or orphaned.

Started by `bp engine start` or by the first command that needs it (engine/server.py) as `python -I -c ...`, with the library's folder first on its
path and its own folder as working folder, so nothing in the repository is imported as the server's code.
A lock in its folder keeps it to one server per repository; a server whose folder was deleted (and with it
its socket and lock) can no longer be reached, so it exits at its next check, and a new server ends any such
one before it listens. It listens at once and loads what both targets' programs need at its first quiet moment.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from blueprints.errors import BadInput
from engine import wire
from engine.server import ANSWERS, _fingerprint
from engine.server_dir import ServerDir, UnsafeFolder, is_server, servers_of, terminate

TICK = 5.0
"""Seconds between checks that the socket in the folder is still this server's."""
REQUEST_TIMEOUT = 10.0
"""Seconds a client has to send its request once connected; a silent one does not hold the server."""
SEND_TIMEOUT = 60.0
"""Seconds a reply may take to be read by the client."""
WARM_AFTER = 2.0
"""Seconds without a request after which a new server loads what programs of both targets need: the command that
started it is answered first, as fast as it would have run by itself, and commands run back to back in a script
(a fraction of a second apart) are not kept waiting for it."""


def _log(message: str) -> None:
    print(f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ} engine server {os.getpid()}: {message}",
          file=sys.stderr, flush=True)


class _Server:
    """One repository's server: its answers, its idle deadline and its socket."""

    def __init__(self, folder: ServerDir, idle: float, fingerprint: str):
        self.folder, self.idle, self.fingerprint = folder, idle, fingerprint
        self.served, self.identity = 0, (0, 0)
        self.warm: Callable[[], None] | None = lambda: _warm_up(folder.repo)
        self.touch()

    def touch(self) -> None:
        self.deadline = time.monotonic() + self.idle

    def status(self, theirs: Any) -> dict[str, Any]:
        left = max(0.0, self.deadline - time.monotonic())
        until = datetime.fromtimestamp(time.time() + left, timezone.utc)
        return {"kind": "status", "pid": os.getpid(), "served": self.served, "current": theirs == self.fingerprint,
                "socket": str(self.folder.socket), "idle_timeout": self.idle,
                "idle_deadline": until.isoformat(timespec="seconds")}

    def answer(self, request: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """(reply, whether to stop serving) for one request."""
        op = request.get("op")
        if op == "status":
            idle = request.get("idle_timeout")
            if isinstance(idle, (int, float)) and idle > 0:  # `bp engine start` sets it afresh
                self.idle = float(idle)
                self.touch()
            return self.status(request.get("fingerprint")), False
        if op not in ANSWERS:
            return {"kind": "error", "message": f"unknown request {op!r}"}, False
        if request.get("fingerprint") != self.fingerprint:  # the code changed under this server
            return {"kind": "stale", "idle_timeout": self.idle}, True
        self.touch()
        self.served += 1
        try:
            reply = ANSWERS[op](self.folder.repo, request)
        except Exception as exc:  # noqa: BLE001 (a bug in the engine must not take the server down with it)
            return {"kind": "error", "message": f"{type(exc).__name__}: {exc}"}, False
        if reply.get("kind") == "stale":  # its policies read an older sites map: give way to a new server
            return {**reply, "idle_timeout": self.idle}, True
        return reply, False

    def handle(self, conn: socket.socket) -> bool:
        """Answer one connection; whether to stop serving."""
        try:
            _pid, uid = wire.peer(conn)
            if uid != os.getuid():
                _log(f"refused a connection from uid {uid}")
                return False
            conn.settimeout(REQUEST_TIMEOUT)
            request = wire.receive(conn, wire.MAX_REQUEST)
        except (OSError, wire.WireError) as exc:
            _log(f"refused a request: {exc}")
            _try_send(conn, {"kind": "error", "message": f"refused: {exc}"})
            return False
        reply, stop = self.answer(request)
        if stop:  # gone before the reply, so no client connects to a server that will never accept it
            self.remove_socket()
        conn.settimeout(SEND_TIMEOUT)
        try:
            wire.send(conn, reply)
        except (TypeError, ValueError) as exc:  # a value JSON cannot hold: the client runs it itself
            _try_send(conn, {"kind": "error", "message": f"{type(exc).__name__}: {exc}"})
        except OSError as exc:
            _log(f"could not reply: {exc}")
        return stop

    def run(self, listener: socket.socket) -> None:
        """Serve until a reply says stop, the idle deadline passes or the socket is no longer this server's."""
        while True:
            left = self.deadline - time.monotonic()
            if left <= 0:
                _log(f"no preview for {self.idle:g} s: exiting")
                return
            listener.settimeout(min(left, TICK if self.warm is None else WARM_AFTER))
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                if self.warm is not None:  # a quiet moment: load what later requests need
                    self.warm, warm = None, self.warm
                    warm()
                if not self.owns_socket():
                    _log("its socket is gone (folder deleted?): exiting")
                    return
                if not (self.folder.repo / "Pulumi.yaml").is_file():  # a scratch checkout a script started it in
                    _log("its repository is gone: exiting")
                    return
                continue
            with conn:
                if self.handle(conn):
                    return

    def listen(self) -> socket.socket:
        self.folder.socket.unlink(missing_ok=True)  # a crashed server's: the lock says no live one uses it
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.folder.socket))
        os.chmod(self.folder.socket, 0o600)
        listener.listen(16)
        st = os.stat(self.folder.socket)
        self.identity = (st.st_dev, st.st_ino)
        return listener

    def owns_socket(self) -> bool:
        try:
            st = os.lstat(self.folder.socket)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.identity

    def remove_socket(self) -> None:
        if self.owns_socket():
            self.folder.socket.unlink(missing_ok=True)


def _try_send(conn: socket.socket, message: dict[str, Any]) -> None:
    try:
        wire.send(conn, message)
    except OSError:
        pass


def _only_server(folder: ServerDir, wait: float = 3.0):
    """An exclusive lock held for the server's life, or None when another server of the repository holds it.

    It waits a little: a server that found its code stale releases the lock just as its successor starts.
    """
    held = os.fdopen(os.open(folder.lock, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600), "w")
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return held
        except BlockingIOError:
            if time.monotonic() >= deadline:
                held.close()
                return None
            time.sleep(0.1)


def _end_orphans(repo: Path) -> None:
    """End the servers of `repo` that hold no lock of this folder: their folder was deleted under them."""
    orphans = [pid for pid in servers_of(repo) if pid != os.getpid() and terminate(pid, repo)]
    deadline = time.monotonic() + 10
    while any(is_server(pid, repo) for pid in orphans) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in orphans:
        terminate(pid, repo, kill=True)
        _log(f"ended server {pid}, which held no lock of this folder (its own was deleted)")


def _warm_up(repo: Path) -> None:
    """Check one stack of each target, so the provider SDKs the programs use are loaded before the first request."""
    from blueprints.sites import load_sites
    from engine.program_check import program_findings
    from engine.runner import ProgramError
    from store.stack_files import list_stack_files, read_stack

    seen: set[str] = set()
    try:
        sites, files = load_sites(), list_stack_files(repo)
    except BadInput:
        return
    for path in files:
        if len(seen) == 2:  # aws and vsphere
            break
        try:
            resolved = read_stack(path)
            if resolved.request.target not in seen:
                seen.add(resolved.request.target)
                program_findings(repo, resolved, sites)  # a preview, and the check of its network policies
        except (BadInput, ProgramError):
            continue


def serve(repo: Path, idle: float) -> None:
    """Answer requests until stopped (SIGTERM), idle for `idle` seconds, or asked by a client of other code."""
    folder = ServerDir(repo)
    if not folder.exists():
        raise UnsafeFolder("is missing: start the server with `bp engine start`", folder.dir)
    held = _only_server(folder)
    if held is None:
        _log("another one serves this repository")
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so the socket is removed on the way out
    with held:
        _end_orphans(folder.repo)
        server = _Server(folder, idle, _fingerprint(folder.repo))
        with server.listen() as listener:
            _log(f"serving {folder.repo} on {folder.socket}")
            try:
                server.run(listener)
            finally:
                server.remove_socket()
        if not (folder.repo / "Pulumi.yaml").is_file():  # nothing will ask for it again: leave no folder behind
            for leftover in (folder.lock, folder.log):
                leftover.unlink(missing_ok=True)
            folder.dir.rmdir()


def main(argv: list[str]) -> None:
    """`<marker> <repo> <idle seconds>`, as engine/server_dir.py's `command` gives them."""
    _marker, repo, idle = argv
    try:
        serve(Path(repo), float(idle))
    except UnsafeFolder as exc:
        _log(str(exc))
        sys.exit(2)
