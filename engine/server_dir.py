"""Where a repository's engine server lives (a folder of the user's own, outside the checkout) and its processes.

A checkout may be shared by a group, and `git clean -fdx` deletes whatever is in it, so nothing of the server
lives there. Its folder is `$XDG_RUNTIME_DIR/bp-engine/<key>` (else `<temp dir>/bp-engine-<uid>/<key>`), the
key a digest of the repository's resolved path. Each folder is made 0700 in one step and checked with lstat
before every use: a symlink, or a folder owned by someone else or open to others, is refused in one line and
never repaired, since repairing it would mean trusting whoever planted it.

Servers are found through /proc by their command line and owner, so `bp engine stop` finds every one of a
repository, even after its folder was deleted.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import socket
import stat
import sys
import tempfile
from pathlib import Path

from blueprints.errors import BadInput

MARKER = "bp-engine-server"
"""Names a server process in its command line, just before the repository it serves."""

# The library's folder goes first on the server's path (unless installed, when it is there already); -I keeps
# the working folder, PYTHONPATH and user site-packages out of it, so a package of the same name in the
# repository never stands in for the library's.
_BOOT = ("import sys; lib = sys.argv.pop(1); lib in sys.path or sys.path.insert(0, lib); "
         "from engine.serve import main; main(sys.argv[1:])")
_SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes with its terminating NUL


class UnsafeFolder(BadInput):
    """A server folder that someone else could have planted or can change: never used."""


def base_dir() -> Path:
    """The user's folder for every engine server."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return Path(runtime) / "bp-engine"
    return Path(tempfile.gettempdir()) / f"bp-engine-{os.getuid()}"


class ServerDir:
    """The files of one repository's server: socket, lock and log."""

    def __init__(self, repo: Path):
        self.repo = Path(repo).resolve()
        self.base = base_dir()
        self.dir = self.base / hashlib.sha256(os.fsencode(self.repo)).hexdigest()[:24]
        self.socket = self.dir / "engine.sock"
        self.lock = self.dir / "engine.lock"
        self.log = self.dir / "engine.log"

    def exists(self) -> bool:
        """Whether the folder is there and safe to use; UnsafeFolder when it is there and not safe."""
        if not os.path.lexists(self.base):
            return False
        _check_parent(self.base.parent)
        for folder in (self.base, self.dir):
            if not os.path.lexists(folder):
                return False
            _check(folder)
        return True

    def create(self) -> None:
        """Make the folders (0700, ours) or check the ones there; UnsafeFolder when they are not ours alone."""
        if not supported():
            raise BadInput("the engine server needs Linux (peer credentials, /proc, pidfd); `bp preview` runs "
                           "in-process here")
        _check_parent(self.base.parent)
        for folder in (self.base, self.dir):
            try:
                os.mkdir(folder, 0o700)
                os.chmod(folder, 0o700)  # ours, just made: the umask may have taken bits off
            except FileExistsError:
                pass
            _check(folder)
        if len(os.fsencode(self.socket)) > _SOCKET_PATH_MAX:
            raise UnsafeFolder("is too long a path for a Unix socket; set XDG_RUNTIME_DIR to a shorter folder",
                               self.socket)


def supported() -> bool:
    """Whether this system tells who is at the other end of a socket and lets a process be pinned before a signal."""
    return hasattr(socket, "SO_PEERCRED") and hasattr(os, "pidfd_open") and os.path.isdir("/proc")


def _check(folder: Path) -> None:
    try:
        st = os.lstat(folder)
    except OSError as exc:
        raise UnsafeFolder(f"cannot be read: {exc.strerror}", folder) from None
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise UnsafeFolder("is not a plain folder (a symlink or a file): refused; remove it", folder)
    if st.st_uid != os.getuid():
        raise UnsafeFolder(f"belongs to uid {st.st_uid}, not to you (uid {os.getuid()}): refused; "
                           "remove it or set XDG_RUNTIME_DIR", folder)
    if st.st_mode & 0o777 != 0o700:
        raise UnsafeFolder(f"has mode {st.st_mode & 0o777:04o}, not 0700: refused; remove it", folder)


def _check_parent(folder: Path) -> None:
    """The folder that holds ours: someone else who can write in it could swap ours, unless it is sticky (/tmp)."""
    try:
        st = os.stat(folder)
    except OSError as exc:
        raise UnsafeFolder(f"cannot be read: {exc.strerror}", folder) from None
    if st.st_uid not in (0, os.getuid()):
        raise UnsafeFolder(f"belongs to uid {st.st_uid}: refused; set XDG_RUNTIME_DIR to a folder of yours", folder)
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        raise UnsafeFolder("is writable by others and not sticky: refused; set XDG_RUNTIME_DIR", folder)


def command(library: Path, repo: Path, idle_timeout: float) -> list[str]:
    """The server's command line: its library, then the marker and the repository that name it in /proc."""
    return [sys.executable, "-I", "-c", _BOOT, str(library), MARKER, str(Path(repo).resolve()), repr(idle_timeout)]


def is_server(pid: int, repo: Path) -> bool:
    """Whether `pid` is this user's engine server for `repo` (its owner and command line say so)."""
    try:
        if os.stat(f"/proc/{pid}").st_uid != os.getuid():
            return False
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    marker = MARKER.encode()
    return marker in args and args[args.index(marker) + 1:][:1] == [os.fsencode(Path(repo).resolve())]


def servers_of(repo: Path) -> list[int]:
    """The pids of this user's engine servers for `repo`, whatever happened to their folder."""
    try:
        pids = [int(entry.name) for entry in os.scandir("/proc") if entry.name.isdigit()]
    except OSError:
        return []
    return sorted(pid for pid in pids if is_server(pid, repo))


def terminate(pid: int, repo: Path, kill: bool = False) -> bool:
    """Ask a server of `repo` to exit (SIGTERM, or SIGKILL with `kill`); False when `pid` is gone or is not one.

    The process is pinned by a pidfd before its command line is checked, so a pid reused in between is not
    signalled: the signal goes to the process that was checked, or nowhere.
    """
    try:
        pinned = os.pidfd_open(pid)
    except OSError as exc:
        if exc.errno == errno.ENOSYS and is_server(pid, repo):  # a kernel before 5.3: no pinning to be had
            os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
            return True
        return False
    try:
        if not is_server(pid, repo):
            return False
        signal.pidfd_send_signal(pinned, signal.SIGKILL if kill else signal.SIGTERM)
        return True
    except ProcessLookupError:
        return False
    finally:
        os.close(pinned)
