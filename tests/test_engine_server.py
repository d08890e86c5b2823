"""The engine server answers `bp preview` exactly as an in-process run does, only for its own user and code,
from a folder of the user's own, with JSON on the wire and no secret in what it sends or keeps."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve, restamp
from engine import server, server_dir, wire
from engine.diff import diff
from engine.program_check import check_stack
from engine.server_dir import ServerDir, servers_of
from engine.stacks import preview
from store import stack_files
from tests.conftest import ROOT, make_request, run_bp

OTHER_UID = 4242  # a group member of a shared checkout
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another uid takes root")


@contextlib.contextmanager
def _runtime_folder():
    # Short, as a real $XDG_RUNTIME_DIR is: a socket path holds at most 107 bytes.
    folder = Path(tempfile.mkdtemp(prefix="bp-run-"))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("XDG_RUNTIME_DIR", str(folder))
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def runtime():
    """Every server of this module lives under a runtime folder of its own (the servers inherit it)."""
    with _runtime_folder() as folder:
        yield folder


@pytest.fixture
def run_dir():
    """A runtime folder for one test."""
    with _runtime_folder() as folder:
        yield folder


@pytest.fixture
def scratch(tmp_path, run_dir):
    """A repository with no stacks and a runtime folder of its own; whatever server it gets is stopped afterwards."""
    repo = _new_repo(tmp_path / "repo")
    yield repo
    server.stop(repo)


def _new_repo(path):
    (path / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", path / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "__main__.py", path / "stacks" / "__main__.py")
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory, catalog, sites, runtime):
    """A repository with an AWS stack (its Redis has a generated AUTH token) and a vSphere stack, and its server."""
    repo = _new_repo(tmp_path_factory.mktemp("served"))
    stamped = []
    for team, blueprint, target in (("shop", "web-service", "aws"), ("ledger", "vm-app", "vsphere")):
        stamped.append(resolve(make_request(team=team, blueprint=blueprint, target=target), catalog, sites, stamped))
        stack_files.write_stack(repo, stamped[-1])
    server.start(repo)
    yield repo, stamped
    server.stop(repo)


def _raw(repo, payload: bytes) -> bytes:
    """Everything the server sends back for `payload`, byte for byte."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(120)
        sock.connect(str(ServerDir(repo).socket))
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(1 << 20):
            chunks.append(chunk)
    return b"".join(chunks)


def _frame(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _wait_until(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_served_preview_is_the_in_process_one(served, sites):
    repo, stamped = served
    before = server.status(repo)["served"]
    for resolved in stamped:
        result = run_bp(repo, "preview", resolved.stack, "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == json.loads(json.dumps(preview(repo, resolved, sites).to_json(), default=str))
    assert server.status(repo)["served"] >= before + len(stamped)


def test_a_stack_that_is_not_there_is_bad_input_through_the_server(served):
    repo, stamped = served
    result = run_bp(repo, "preview", "nobody-dev")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: no stack 'nobody-dev' (stacks in this repository: {', '.join(sorted(r.stack for r in stamped))})"]


def test_the_server_lives_in_the_users_runtime_folder_not_in_the_checkout(served, runtime):
    repo, _ = served
    info = server.status(repo)
    folder = ServerDir(repo)
    assert info["socket"] == str(folder.socket) and folder.dir.parent == runtime / "bp-engine"
    assert not any(p.name.startswith(".bp-engine") for p in repo.iterdir())
    for path in (folder.base, folder.dir):
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700, path
    assert stat.S_IMODE(os.lstat(folder.socket).st_mode) == 0o600
    shown = run_bp(repo, "engine", "status")
    assert shown.returncode == 0 and str(folder.socket) in shown.stdout and f"pid {info['pid']}" in shown.stdout
    assert info["idle_deadline"] in shown.stdout and info["idle_timeout"] == server.DEFAULT_IDLE_TIMEOUT


@pytest.mark.parametrize("level", ["base", "repository"])
@pytest.mark.parametrize("plant", [pytest.param("other owner", marks=as_root), "group-writable", "symlink"])
def test_a_planted_server_folder_is_refused_and_never_used(tmp_path, plant, level, scratch):
    folder = ServerDir(scratch)
    planted = folder.base if level == "base" else folder.dir
    if level == "repository":
        folder.base.mkdir(mode=0o700)
    if plant == "symlink":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        planted.symlink_to(tmp_path / "elsewhere")
    else:
        planted.mkdir(mode=0o700)
        if plant == "other owner":
            os.chown(planted, OTHER_UID, OTHER_UID)
        else:
            os.chmod(planted, 0o770)
    for command in (("engine", "start"), ("engine", "status")):
        result = run_bp(scratch, *command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"error: {planted}: ") and "refused" in line, line
    # Nothing repaired: what was planted is as it was.
    assert os.lstat(planted).st_uid == (OTHER_UID if plant == "other owner" else os.getuid())
    assert plant != "group-writable" or stat.S_IMODE(os.lstat(planted).st_mode) == 0o770
    assert servers_of(scratch) == []


@as_root
def test_a_planted_socket_is_never_asked_and_preview_runs_in_process(catalog, sites, scratch):
    """A group member's folder with a listening socket: `bp preview` warns, runs itself, and never connects."""
    resolved = resolve(make_request(team="solo", blueprint="vm-app", target="vsphere"), catalog, sites, [])
    stack_files.write_stack(scratch, resolved)
    folder = ServerDir(scratch)
    folder.base.mkdir(mode=0o700)
    folder.dir.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(folder.socket))
    listener.listen(4)
    listener.settimeout(0.2)
    os.chmod(folder.socket, 0o666)
    os.chown(folder.socket, OTHER_UID, OTHER_UID)
    os.chown(folder.dir, OTHER_UID, OTHER_UID)
    accepted = []

    def planted_server():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not accepted:
            try:
                accepted.append(listener.accept())
            except TimeoutError:
                continue
    thread = threading.Thread(target=planted_server, daemon=True)
    thread.start()
    result = run_bp(scratch, "preview", resolved.stack, "--json")
    accepted.append(None)  # stop the planted server
    thread.join()
    listener.close()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stack"] == resolved.stack
    [warning] = result.stderr.strip().splitlines()
    assert warning.startswith(f"warning: engine server not used: {folder.dir}: belongs to uid {OTHER_UID}"), warning
    assert accepted == [None], "the client connected to a planted socket"


def test_a_pickled_request_is_refused_unread_and_the_server_keeps_serving(served, tmp_path):
    repo, _ = served
    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    pickled = pickle.dumps(Payload())
    answer = json.loads(_raw(repo, _frame(pickled))[4:])
    assert answer["kind"] == "error" and "not JSON" in answer["message"], answer
    with contextlib.suppress(ConnectionResetError):  # unread bytes left behind make the close a reset
        reply = _raw(repo, pickled)  # bare, as multiprocessing's connection sent it: its first bytes are no length
        assert "over the limit" in json.loads(reply[4:])["message"]
    assert not marker.exists()
    assert server.status(repo)["current"] is True


def _python_for_anyone() -> str:
    """A Python another uid may run (this one may sit in root's home): the client needs only the standard library."""
    for candidate in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        real = Path(candidate).resolve()
        if real.exists() and all(os.stat(p).st_mode & 0o001 for p in (real, *real.parents)):
            return candidate
    pytest.skip("no Python that another uid may run")


@as_root
def test_the_server_answers_no_other_uid(run_dir, scratch):
    """Even a client of another uid that reaches the socket (the folders opened up on purpose) gets no answer."""
    folder = ServerDir(scratch)
    server.start(scratch)
    request = _frame(json.dumps({"op": "status", "fingerprint": ""}).encode())
    client = "\n".join([
        "import socket, sys",
        "s = socket.socket(socket.AF_UNIX)",
        "s.connect(sys.argv[1])",
        "try:",
        "    s.sendall(bytes.fromhex(sys.argv[2]))",
        "    print(len(s.recv(1 << 20)))",
        "except (BrokenPipeError, ConnectionResetError):  # closed before or with the request unread",
        "    print(0)",
    ])
    try:
        for path, mode in ((run_dir, 0o711), (folder.base, 0o711), (folder.dir, 0o711), (folder.socket, 0o666)):
            os.chmod(path, mode)
        other = subprocess.run([_python_for_anyone(), "-I", "-c", client, str(folder.socket), request.hex()],
                               user=OTHER_UID, capture_output=True, text=True, timeout=60)
        assert other.returncode == 0 and other.stdout.strip() == "0", (other.stdout, other.stderr)
        for path in (folder.base, folder.dir):
            os.chmod(path, 0o700)
        assert server.status(scratch)["served"] == 0  # and it keeps serving its own user
        assert f"refused a connection from uid {OTHER_UID}" in folder.log.read_text()
    finally:
        server.stop(scratch)


def test_a_pickled_reply_is_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(_frame(pickle.dumps(Payload())))
        with pytest.raises(wire.WireError, match="not JSON"):
            wire.receive(ours, wire.MAX_REPLY)
    assert not marker.exists()


def test_the_client_asks_nothing_of_a_socket_that_is_not_its_server(scratch):
    """A socket in the right folder, held by a process that is not this repository's server, gets no request."""
    folder = ServerDir(scratch)
    folder.create()
    received = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as impostor:
        impostor.bind(str(folder.socket))
        impostor.listen(1)

        def answer():
            conn, _ = impostor.accept()
            with conn:
                conn.settimeout(5)
                received.append(conn.recv(100))
                with contextlib.suppress(OSError):  # the client has hung up already
                    conn.sendall(_frame(json.dumps({"kind": "status", "pid": 1}).encode()))
        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        assert server.status(scratch) is None
        thread.join(10)
    assert received == [b""], received


def test_the_server_runs_the_librarys_code_not_a_package_of_the_same_name_in_the_repository(tmp_path, monkeypatch, scratch):
    marker = tmp_path / "shadow-ran"
    for package in ("engine", "blueprints"):
        (scratch / package).mkdir()
        for module in ("__init__", "serve", "server", "errors"):
            (scratch / package / f"{module}.py").write_text(f"open({str(marker)!r}, 'a').write('{package}.{module}')\n")
    monkeypatch.setenv("PYTHONPATH", str(scratch))  # not even when the repository is on the path
    monkeypatch.chdir(scratch)
    try:
        info = server.start(scratch)
        assert server.status(scratch)["pid"] == info["pid"] and info["current"]
        with pytest.raises(BadInput, match="no stack 'nobody-dev'"):  # answered, by the library's code
            server.served_preview(scratch, "nobody-dev", None)
    finally:
        server.stop(scratch)
    assert not marker.exists(), marker.read_text()


def test_one_server_per_repository_even_after_its_folder_is_deleted_and_stop_ends_them_all(scratch):
    first = server.start(scratch)
    assert server.start(scratch)["pid"] == first["pid"]
    duplicate = server._spawn(ServerDir(scratch), 60)
    assert duplicate.wait(timeout=60) == 0  # finds the lock taken and leaves
    shutil.rmtree(scratch / ".bp-engine", ignore_errors=True)  # what `git clean -fdx` did to the old folder
    shutil.rmtree(ServerDir(scratch).dir)  # and the server's own folder, socket and lock with it
    assert servers_of(scratch) == [first["pid"]]
    second = server.start(scratch)
    assert second["pid"] != first["pid"]
    assert servers_of(scratch) == [second["pid"]]  # the unreachable one was ended, not left running
    assert server.stop(scratch) == [second["pid"]]
    assert servers_of(scratch) == [] and server.status(scratch) is None
    assert not ServerDir(scratch).socket.exists()
    assert run_bp(scratch, "engine", "stop").stdout.strip() == "no engine server was running"


def test_stop_finds_a_server_whose_folder_was_deleted(scratch):
    pid = server.start(scratch)["pid"]
    shutil.rmtree(ServerDir(scratch).base)
    result = run_bp(scratch, "engine", "stop")
    assert result.returncode == 0 and result.stdout.strip() == f"engine server stopped (pid {pid})", result.stdout
    assert servers_of(scratch) == []


def test_an_idle_server_exits_and_removes_its_socket(scratch):
    result = run_bp(scratch, "engine", "start", "--idle-timeout", "1s", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["idle_timeout"] == 1.0
    _wait_until(lambda: servers_of(scratch) == [])
    assert not ServerDir(scratch).socket.exists()
    assert "no preview for 1 s: exiting" in ServerDir(scratch).log.read_text()


@pytest.mark.parametrize("text", ["0", "-5m", "soon", "200h", "1.5.2m"])
def test_a_bad_idle_timeout_is_one_line_and_starts_nothing(text, scratch):
    result = run_bp(scratch, "engine", "start", env={**os.environ, server.IDLE_TIMEOUT_ENV: text})
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: idle timeout {text!r}") and server.IDLE_TIMEOUT_ENV in line
    assert servers_of(scratch) == []


def test_where_peers_cannot_be_authenticated_start_refuses_and_preview_runs_in_process(monkeypatch, scratch):
    monkeypatch.setattr(server, "supported", lambda: False)
    monkeypatch.setattr(server_dir, "supported", lambda: False)
    with pytest.raises(BadInput, match="needs Linux"):
        server.start(scratch)
    assert server.served_preview(scratch, "anyone-dev", None) is None and server.stop(scratch) == []
    assert servers_of(scratch) == []


def test_idle_timeouts_read_as_durations():
    assert [server.idle_timeout(t) for t in ("90s", "30m", "2h", "45", "1.5m", None)] == [90, 1800, 7200, 45, 90, 1800]


def test_no_secret_value_in_what_the_server_sends_or_keeps(served, sites):
    """Canary: the Redis AUTH token the mock generates is in the capture, and nowhere the server or cache writes."""
    repo, stamped = served
    shop = next(r for r in stamped if r.request.target == "aws")
    capture = preview(repo, shop, sites)
    [token] = capture.by_type("random:index/randomPassword:RandomPassword")
    canary = token.outputs["result"].encode()
    assert len(canary) >= 16 and canary in pickle.dumps(capture)  # what a pickled capture would have carried
    request = {"op": "preview", "stack": shop.stack, "sites": str(server.sites_path(None).resolve()),
               "fingerprint": server._fingerprint(repo)}
    reply = _raw(repo, _frame(json.dumps(request).encode()))
    assert json.loads(reply[4:])["kind"] == "ok"
    assert canary not in reply and b'"[secret]"' in reply
    assert run_bp(repo, "fleet", "preview", "--jobs", "1").returncode in (0, 1)
    kept = [p for folder in (ServerDir(repo).dir, repo / ".bp-cache") for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in kept)
    for path in kept:
        assert canary not in path.read_bytes(), path


def test_a_server_running_other_code_declines_and_a_current_one_replaces_it(served, monkeypatch):
    repo, stamped = served
    old = server.status(repo)["pid"]
    monkeypatch.setattr(server, "_fingerprint", lambda repo: "another version of the code")
    assert server.served_preview(repo, stamped[0].stack, None) is None  # the client runs it itself
    monkeypatch.undo()
    replacement = server.start(repo)  # the one the client started, once it answers
    assert replacement["pid"] != old and replacement["current"]
    assert server.served_preview(repo, stamped[0].stack, None)["stack"] == stamped[0].stack


# ------------------------------------------------------------------------------------- started without ceremony


@pytest.mark.parametrize("autostart, ci, starts", [
    (None, None, True), ("0", None, False), ("off", None, False), ("1", None, True),
    (None, "true", False), (None, "1", False), (None, "false", True), ("1", "true", True), ("yes", "true", True),
    ("0", "true", False),
])
def test_commands_start_a_server_unless_told_not_to_and_never_in_ci_unless_asked(monkeypatch, autostart, ci, starts):
    for name, value in ((server.AUTOSTART_ENV, autostart), ("CI", ci)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert server.autostart() is starts


def test_a_mistyped_autostart_setting_is_one_line_naming_it(monkeypatch):
    monkeypatch.setenv(server.AUTOSTART_ENV, "sometimes")
    with pytest.raises(BadInput, match=f"{server.AUTOSTART_ENV}='sometimes'"):
        server.autostart()


def _stamped(repo, catalog, sites):
    resolved = resolve(make_request(team="shop", target="aws"), catalog, sites, [])
    stack_files.write_stack(repo, resolved)
    return resolved


def test_the_first_command_that_needs_the_sdks_starts_the_server_and_is_answered_by_it(catalog, sites, scratch,
                                                                                    monkeypatch):
    monkeypatch.delenv(server.AUTOSTART_ENV)
    monkeypatch.delenv("CI", raising=False)
    shop = _stamped(scratch, catalog, sites)
    assert servers_of(scratch) == []
    served = server.served_preview(scratch, shop.stack, None)
    assert served == json.loads(json.dumps(preview(scratch, shop, sites).to_json(), default=str))
    [pid] = servers_of(scratch)
    assert server.served_check(scratch, shop.stack, None) == {"ok": True, "findings": []}
    running = server.status(scratch)
    assert running["pid"] == pid and running["served"] == 2 and running["current"]
    assert running["idle_timeout"] == server.DEFAULT_IDLE_TIMEOUT  # it exits by itself when left alone


def test_opted_out_or_in_ci_a_command_runs_in_process_and_starts_nothing(catalog, sites, scratch, monkeypatch):
    shop = _stamped(scratch, catalog, sites)
    monkeypatch.delenv(server.AUTOSTART_ENV)
    monkeypatch.setenv("CI", "true")
    validated = run_bp(scratch, "validate", shop.stack)
    assert "1 of 1 stacks valid" in validated.stdout, validated.stderr
    assert server.preview(scratch, shop.stack, None)["stack"] == shop.stack
    monkeypatch.delenv("CI")
    monkeypatch.setenv(server.AUTOSTART_ENV, "0")
    assert run_bp(scratch, "preview", shop.stack, "--json").returncode == 0
    assert servers_of(scratch) == [] and not ServerDir(scratch).dir.exists()


def test_a_served_check_finds_what_an_in_process_one_finds(served, sites):
    repo, stamped = served
    for resolved in stamped:
        assert server.served_check(repo, resolved.stack, None) == check_stack(repo, resolved, sites)
    with pytest.raises(BadInput, match="no stack 'nobody-dev'"):
        server.served_check(repo, "nobody-dev", None)


def test_a_served_upgrade_diff_is_the_in_process_one(served, catalog, sites):
    repo, stamped = served
    shop = next(r for r in stamped if r.request.target == "aws")
    older = restamp(shop, "web-service@2.0.0", catalog, sites, stamped)
    answered = server.served_diff(repo, shop, older, sites)
    assert answered is not None and answered.changes
    assert answered == diff(preview(repo, shop, sites), preview(repo, older, sites))


def test_a_server_whose_repository_is_deleted_exits_and_leaves_no_folder_behind(scratch):
    info = server.start(scratch)
    folder = ServerDir(scratch).dir
    assert folder.is_dir()
    shutil.rmtree(scratch)
    _wait_until(lambda: not server_dir.is_server(info["pid"], scratch), seconds=60)
    _wait_until(lambda: not folder.exists(), seconds=10)


def test_commands_starting_a_server_at_once_leave_one_and_each_is_answered(catalog, sites, scratch, monkeypatch):
    monkeypatch.delenv(server.AUTOSTART_ENV)
    monkeypatch.delenv("CI", raising=False)
    shop = _stamped(scratch, catalog, sites)
    results = [None] * 3

    def preview_at(i):
        results[i] = run_bp(scratch, "preview", shop.stack, "--json")
    threads = [threading.Thread(target=preview_at, args=(i,)) for i in range(len(results))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.returncode == 0 and json.loads(r.stdout)["stack"] == shop.stack for r in results), results
    _wait_until(lambda: len(servers_of(scratch)) == 1)
    assert server.status(scratch)["current"]
