"""A warm engine process per repository, so a `bp preview` need not import the provider SDKs again.

`bp engine start` runs `serve` in the background; `bp preview` asks it first (`served_preview`) and runs
the program itself when no server answers. The server runs one preview at a time with the same runner
as everything else, so its answer is the in-process one. It listens on a Unix socket in `.bp-engine/`
(mode 0700) and accepts only clients holding its key (`engine.key`, mode 0600), so only the user who
started it can use it; a lock keeps it to one server per repository. When the library's code or versions
change it says so and exits, and the client that asked starts a new one and runs that preview in-process.

This module imports nothing heavy at the top: the client side runs in every `bp preview`.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import subprocess
import sys
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener
from pathlib import Path
from typing import Any

from blueprints.errors import BadInput
from blueprints.sites_source import sites_path
from engine.captured import Capture
from engine.fingerprint import code_fingerprint

STATE_DIR = ".bp-engine"
REPLY_TIMEOUT = 600.0
"""Seconds a client waits for an answer before running the preview itself."""


class ProgramFailed(Exception):
    """A stack's program raised; the message names the stack, component and resource."""


class _Files:
    """The server's files in a repository."""

    def __init__(self, repo: Path):
        self.dir = Path(repo) / STATE_DIR
        self.socket = self.dir / "engine.sock"
        self.key = self.dir / "engine.key"
        self.log = self.dir / "engine.log"
        self.lock = self.dir / "engine.lock"


def _fingerprint(repo: Path) -> str:
    # The sites map is read per request, so only code and library versions make a server stale.
    return code_fingerprint(repo, "", "engine-server")


def ask(repo: Path, request: tuple) -> Any | None:
    """The server's reply to `request`, or None when no server of this repository answers."""
    files = _Files(repo)
    try:
        key = files.key.read_bytes()
        with Client(str(files.socket), family="AF_UNIX", authkey=key) as conn:
            conn.send(request)
            return conn.recv() if conn.poll(REPLY_TIMEOUT) else None
    except (OSError, EOFError, AuthenticationError):
        return None


def status(repo: Path) -> dict[str, Any] | None:
    """The running server's pid, previews served and whether it runs the current code; None when none runs."""
    reply = ask(repo, ("status", _fingerprint(repo)))
    return reply[1] if reply else None


def _spawn(repo: Path) -> subprocess.Popen:
    files = _Files(repo)
    files.dir.mkdir(mode=0o700, exist_ok=True)
    with open(files.log, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "engine.server", str(Path(repo).resolve())],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                cwd=Path(repo).resolve())


def start(repo: Path, timeout: float = 120.0) -> dict[str, Any]:
    """Start a server in the background (or find the running one) and wait until it answers."""
    process, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = status(repo)
        if running:
            return running
        if process is None:
            process = _spawn(repo)
        elif process.poll() not in (None, 0):
            raise BadInput(f"the engine server exited with {process.returncode}; see its log", _Files(repo).log)
        time.sleep(0.1)
    raise BadInput(f"the engine server did not answer within {timeout:.0f} s; see its log", _Files(repo).log)


def stop(repo: Path) -> int | None:
    """Stop the running server; its pid, or None when none was running."""
    reply = ask(repo, ("stop",))
    return reply[1] if reply else None


def served_preview(repo: Path, stack: str, sites_file: Path | None) -> Capture | None:
    """The preview of `stack` (a name or a stack file) from a running server, or None when there is none."""
    if stack.endswith(".yaml"):
        stack = str(Path(stack).resolve())
    reply = ask(repo, ("preview", stack, str(sites_path(sites_file).resolve()), _fingerprint(repo)))
    kind, value = reply if reply else (None, None)
    if kind == "stale":
        _spawn(repo)  # a server for the current code, for the next preview
    # No server, a stale one or one that failed: the preview runs in-process instead.
    return _outcome(kind, value) if kind in _OUTCOMES else None


def preview(repo: Path, stack: str, sites_file: Path | None) -> Capture:
    """The preview of `stack`: from the running server when there is one, else run in this process.

    BadInput for a stack that does not read; ProgramFailed when its program raises.
    """
    served = served_preview(repo, stack, sites_file)
    if served is not None:
        return served
    return _outcome(*_preview(repo, stack, sites_file and str(sites_file)))


_OUTCOMES = ("ok", "bad-input", "program-failed")


def _outcome(kind: str, value: Any) -> Capture:
    """A preview's (kind, value), served or run here, as its capture or the error it is."""
    if kind == "bad-input":
        raise BadInput(value)
    if kind == "program-failed":
        raise ProgramFailed(value)
    return value


_sites_read: dict[Path, tuple[tuple[int, int], Any]] = {}


def _sites(sites_file: str | None):
    """The sites map, parsed again only when its file changed (a server answers many previews)."""
    from blueprints.sites import load_sites

    path = sites_path(Path(sites_file) if sites_file else None).resolve()
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    if path not in _sites_read or _sites_read[path][0] != stamp:
        _sites_read[path] = (stamp, load_sites(path))
    return _sites_read[path][1]


def _preview(repo: Path, stack: str, sites_file: str | None) -> tuple[str, Any]:
    from blueprints.stack_files import named_stack_file, read_stack
    from engine.runner import ProgramError
    from engine.stacks import preview

    try:
        resolved = read_stack(named_stack_file(repo, stack))
        return "ok", preview(repo, resolved, _sites(sites_file))
    except BadInput as exc:
        return "bad-input", str(exc)
    except ProgramError as exc:
        return "program-failed", str(exc)


def _answer(repo: Path, fingerprint: str, served: int, request: tuple) -> tuple[Any, bool]:
    """(reply, whether to stop serving) for one request."""
    kind = request[0]
    if kind == "stop":
        return ("stopped", os.getpid()), True
    if kind == "status":
        return ("status", {"pid": os.getpid(), "served": served, "current": request[1] == fingerprint}), False
    if kind == "preview":
        _, stack, sites_file, theirs = request
        if theirs != fingerprint:  # the code changed under this server: the client starts a current one
            return ("stale", None), True
        try:
            return _preview(repo, stack, sites_file), False
        except Exception as exc:  # a bug in the engine must not take the server down with it
            return ("error", f"{type(exc).__name__}: {exc}"), False
    return ("error", f"unknown request {kind!r}"), False


def _listener(files: _Files) -> Listener:
    files.dir.mkdir(mode=0o700, exist_ok=True)
    os.chmod(files.dir, 0o700)
    files.socket.unlink(missing_ok=True)
    key = secrets.token_bytes(32)
    tmp = files.key.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    os.replace(tmp, files.key)
    return Listener(str(files.socket), family="AF_UNIX", authkey=key)


def _serve_one(listener: Listener, files: _Files, repo: Path, fingerprint: str, served: int) -> tuple[Any, bool]:
    """Accept one client and answer it: (reply sent or None, whether to stop)."""
    try:
        with listener.accept() as conn:
            reply, stop = _answer(repo, fingerprint, served, conn.recv())
            if stop:  # gone before the reply, so no client connects to a server that will never accept it
                files.socket.unlink(missing_ok=True)
            try:
                conn.send(reply)
            except Exception as exc:  # noqa: BLE001 (a capture that does not pickle): the client runs it itself
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
            return reply, stop
    except (OSError, EOFError, AuthenticationError) as exc:
        print(f"engine server: dropped a connection: {exc}", file=sys.stderr, flush=True)
        return None, False


def _warm_up(repo: Path) -> None:
    """Preview one stack of each target, so the provider SDKs the programs use are loaded before the first request."""
    from blueprints.sites import load_sites
    from blueprints.stack_files import list_stack_files, read_stack
    from engine.runner import ProgramError
    from engine.stacks import preview

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
                preview(repo, resolved, sites)
        except (BadInput, ProgramError):
            continue


def _only_server(files: _Files):
    """An exclusive lock held for the server's life, or None when another server of the repository holds it."""
    files.dir.mkdir(mode=0o700, exist_ok=True)
    held = open(files.lock, "w")
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held.close()
        return None
    return held


def serve(repo: Path) -> None:
    """Answer requests until asked to stop, or until a client runs other code."""
    repo = Path(repo).resolve()
    files = _Files(repo)
    held = _only_server(files)
    if held is None:
        print("engine server: another one serves this repository", file=sys.stderr, flush=True)
        return
    with held:
        _warm_up(repo)
        fingerprint, served = _fingerprint(repo), 0
        with _listener(files) as listener:
            while True:
                reply, stop = _serve_one(listener, files, repo, fingerprint, served)
                served += reply is not None
                if stop:
                    break


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
