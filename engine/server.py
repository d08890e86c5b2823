"""A warm engine process per repository, so `bp preview` and `bp validate STACK` need not import the SDKs again.

The first command that needs the SDKs starts a server (engine/serve.py) in the background and asks it
(`served_preview`, `served_check`); `bp engine start` starts one by hand. `BP_ENGINE_AUTOSTART=0` (and, unless it
says 1, a `CI` environment) keeps commands from starting one; with none answering, a command runs the program
itself. The server answers one request at a time with the same code as an in-process run: for a preview, the
document `bp preview --json` prints, with every secret already shown as `[secret]` and no resource's outputs at all.

Trust goes both ways. The server's folder is the user's own, outside the checkout (engine/server_dir.py);
requests and replies are JSON (engine/wire.py), never pickle; the client talks only to a peer the kernel says
is this user's server for this repository, and the server answers only this user's processes. When the
library's code or versions change the server says so and exits, and the client that asked starts a current
one and runs that request in-process. An idle server exits by itself.

This module imports nothing heavy at the top: the client side runs in every `bp preview` and `bp validate`.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

from blueprints.errors import BadInput
from blueprints.sites_source import sites_path
from engine import wire
from engine.fingerprint import LIBRARY, code_fingerprint
from engine.server_dir import ServerDir, UnsafeFolder, command, is_server, servers_of, supported, terminate

REPLY_TIMEOUT = 600.0
"""Seconds a client waits for an answer before running the preview itself."""
DEFAULT_IDLE_TIMEOUT = 1800.0
"""Seconds without a preview after which a server exits (30 minutes)."""
IDLE_TIMEOUT_ENV = "BP_ENGINE_IDLE_TIMEOUT"
AUTOSTART_ENV = "BP_ENGINE_AUTOSTART"
START_TIMEOUT = 60.0
"""Seconds a command waits for the server it started before it runs in-process instead."""
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
STOP_TIMEOUT = 10.0
"""Seconds a server has to exit after SIGTERM before it is killed."""

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*")
_UNIT = {None: 1, "s": 1, "m": 60, "h": 3600}


class ProgramFailed(Exception):
    """A stack's program raised; the message names the stack, component and resource."""


def _fingerprint(repo: Path) -> str:
    # The sites map is read per request, so only code and library versions make a server stale.
    return code_fingerprint(repo, "", "engine-server")


def idle_timeout(text: str | None) -> float:
    """Seconds from `90s`, `30m`, `2h` or a number of seconds; None means the default."""
    if text is None:
        return DEFAULT_IDLE_TIMEOUT
    found = _DURATION.fullmatch(text)
    seconds = float(found[1]) * _UNIT[found[2]] if found else 0
    if not 0 < seconds <= 7 * 86400:
        raise BadInput(f"idle timeout {text!r}: give a duration from 1s to 168h, like 90s, 30m or 2h "
                       f"(--idle-timeout or {IDLE_TIMEOUT_ENV})")
    return seconds


def ask(repo: Path, request: dict[str, Any]) -> dict[str, Any] | None:
    """The reply of this user's server for `repo`, or None when none answers.

    UnsafeFolder when the server folder is there but not this user's alone: it is never used then.
    """
    folder = ServerDir(repo)
    if not supported() or not folder.exists():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(REPLY_TIMEOUT)
        try:
            sock.connect(str(folder.socket))
            pid, uid = wire.peer(sock)
            if uid != os.getuid() or not is_server(pid, folder.repo):
                return None  # something else holds the socket: it is not asked anything
            wire.send(sock, request)
            return wire.receive(sock, wire.MAX_REPLY)
        except (OSError, wire.WireError):
            return None


def status(repo: Path, idle: float | None = None) -> dict[str, Any] | None:
    """The running server's pid, socket, previews served, idle deadline and whether it runs the current code.

    None when none runs. `idle` gives the server a new idle timeout, counted from now.
    """
    request: dict[str, Any] = {"op": "status", "fingerprint": _fingerprint(repo)}
    if idle is not None:
        request["idle_timeout"] = idle
    reply = ask(repo, request)
    if not reply or reply.get("kind") != "status":
        return None
    return {k: v for k, v in reply.items() if k != "kind"}


def _spawn(folder: ServerDir, idle: float) -> subprocess.Popen:
    folder.create()
    log = os.open(folder.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    try:
        return subprocess.Popen(command(LIBRARY, folder.repo, idle), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True, cwd=folder.dir)
    finally:
        os.close(log)


def start(repo: Path, idle: float = DEFAULT_IDLE_TIMEOUT, timeout: float = 120.0) -> dict[str, Any]:
    """Start a server in the background (or find the running one) and wait until it answers; see `status`."""
    folder = ServerDir(repo)
    folder.create()
    process, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = status(repo, idle)
        if running:
            return running
        if process is None:
            process = _spawn(folder, idle)
        elif process.poll() is not None and not servers_of(folder.repo):
            raise BadInput(f"the engine server exited with {process.returncode}; see its log", folder.log)
        time.sleep(0.1)
    raise BadInput(f"the engine server did not answer within {timeout:.0f} s; see its log", folder.log)


def stop(repo: Path) -> list[int]:
    """Stop every server of `repo` (found by process, whatever happened to its folder); their pids."""
    repo = Path(repo).resolve()
    if not supported():
        return []
    stopped = [pid for pid in servers_of(repo) if terminate(pid, repo)]
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(is_server(pid, repo) for pid in stopped) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in stopped:
        terminate(pid, repo, kill=True)  # one that did not exit in time; a no-op for those gone
    return stopped


def autostart() -> bool:
    """Whether a command that needs the SDKs starts the server when none runs.

    Yes by default; never when `BP_ENGINE_AUTOSTART` says 0, nor in CI (`CI` set, as CI services set it) unless
    `BP_ENGINE_AUTOSTART` says 1: a CI job is one short run, and a server it leaves behind outlives the job.
    """
    text = os.environ.get(AUTOSTART_ENV, "").strip().lower()
    if text in _YES or text in _NO:
        return text in _YES
    if text:
        raise BadInput(f"{AUTOSTART_ENV}={text!r}: give 1 (start the engine server when a command needs it, "
                       "even in CI) or 0 (never)")
    return os.environ.get("CI", "").strip().lower() in ("", *_NO)


def _started(repo: Path) -> bool:
    """Start the server in the background and wait for it; whether one answers now (UnsafeFolder: see `ask`)."""
    idle = idle_timeout(os.environ.get(IDLE_TIMEOUT_ENV))
    try:
        start(repo, idle, timeout=START_TIMEOUT)
    except UnsafeFolder:
        raise
    except BadInput:  # it did not come up: this command runs in-process, as without a server
        return False
    return True


def _served(repo: Path, op: str, stack: str, sites_file: Path | None) -> dict[str, Any] | None:
    """The server's reply to `op` on `stack` (a name or a stack file); see `ask_or_start`."""
    if stack.endswith(".yaml"):
        stack = str(Path(stack).resolve())
    return ask_or_start(repo, {"op": op, "stack": stack, "sites": str(sites_path(sites_file).resolve()),
                         "fingerprint": _fingerprint(repo)})


def ask_or_start(repo: Path, request: dict[str, Any]) -> dict[str, Any] | None:
    """The server's reply to `request`, starting one if allowed; None when none answers (UnsafeFolder: see `ask`)."""
    reply = ask(repo, request)
    if reply is None and supported() and autostart() and _started(repo):
        reply = ask(repo, request)
    kind = reply.get("kind") if reply else None
    if kind == "stale":  # a server for the current code, for the next command
        idle = reply.get("idle_timeout")
        _spawn(ServerDir(repo), float(idle) if isinstance(idle, (int, float)) else DEFAULT_IDLE_TIMEOUT)
    # No server, a stale one or one that failed: the command runs in-process instead.
    return reply if kind in _OUTCOMES else None


def served_preview(repo: Path, stack: str, sites_file: Path | None) -> dict[str, Any] | None:
    """The preview document of `stack` (a name or a stack file) from the server, or None when none answers.

    UnsafeFolder when the server folder is not this user's alone.
    """
    reply = _served(repo, "preview", stack, sites_file)
    return _outcome(reply) if reply else None


def served_diff(repo: Path, before, after, sites) -> Any:
    """The `engine.diff.Diff` between renders of `before` and `after` (ResolvedBlueprints) from the server, or None.

    The stacks and the sites map go with the request: an upgrade's `after` is nowhere on disk yet.
    """
    request = {"op": "diff", "before": before.model_dump(mode="json"), "after": after.model_dump(mode="json"),
               "sites_map": sites.model_dump_json(), "fingerprint": _fingerprint(repo)}
    try:
        reply = ask_or_start(repo, request)
    except UnsafeFolder:
        return None
    document = _outcome(reply, "diff") if reply else None
    if document is None:
        return None
    from engine.diff import Diff

    return Diff.from_json(document)


def served_check(repo: Path, stack: str, sites_file: Path | None,
                 warn: Callable[[str], None] | None = None) -> dict[str, Any] | None:
    """What running `stack`'s program finds (engine/program_check.py `check_stack`) from the server, or None.

    BadInput for a stack that does not read; `warn` hears why a server folder that is not safe was not used.
    """
    try:
        reply = _served(repo, "validate", stack, sites_file)
    except UnsafeFolder as exc:
        return _unsafe(exc, warn)
    return _outcome(reply, "findings") if reply else None


def _unsafe(exc: UnsafeFolder, warn: Callable[[str], None] | None) -> None:
    if warn:
        warn(f"engine server not used: {exc}")


def preview(repo: Path, stack: str, sites_file: Path | None,
            warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The preview document of `stack` (what `bp preview --json` prints): from the server when one runs, else here.

    BadInput for a stack that does not read; ProgramFailed when its program raises. `warn` hears why a server
    folder that is not safe was not used.
    """
    try:
        served = served_preview(repo, stack, sites_file)
    except UnsafeFolder as exc:
        served = _unsafe(exc, warn)
    if served is not None:
        return served
    return _outcome(run_preview(repo, stack, sites_file and str(sites_file)))


_OUTCOMES = ("ok", "audit", "bad-input", "program-failed")


def _outcome(reply: dict[str, Any], field: str = "preview") -> dict[str, Any] | None:
    """A reply, served or made here, as its document (`field`) or the error it is (None: not a reply)."""
    kind, message = reply.get("kind"), reply.get("message")
    if kind == "bad-input" and isinstance(message, str):
        raise BadInput(message)
    if kind == "program-failed" and isinstance(message, str):
        raise ProgramFailed(message)
    document = reply.get(field)
    return document if kind == "ok" and isinstance(document, dict) else None


def preview_document(capture) -> dict[str, Any]:
    """A capture as `bp preview --json` shows it, as plain JSON data: the one shape a server sends."""
    return json.loads(json.dumps(capture.to_json(), default=str))


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


def run_preview(repo: Path, stack: str, sites_file: str | None) -> dict[str, Any]:
    """Run one preview in this process: its reply, as the server would send it."""
    from engine.runner import ProgramError
    from engine.stacks import preview as run_stack
    from store.stack_files import named_stack_file, read_stack

    try:
        resolved = read_stack(named_stack_file(repo, stack))
        return {"kind": "ok", "preview": preview_document(run_stack(repo, resolved, _sites(sites_file)))}
    except BadInput as exc:
        return {"kind": "bad-input", "message": str(exc)}
    except ProgramError as exc:
        return {"kind": "program-failed", "message": str(exc)}


def run_check(repo: Path, stack: str, sites_file: str | None) -> dict[str, Any]:
    """What running one stack's program finds for `bp validate`, in this process: the reply the server sends."""
    from engine.program_check import check_stack
    from store.stack_files import named_stack_file, read_stack

    try:
        resolved = read_stack(named_stack_file(repo, stack))
    except BadInput as exc:
        return {"kind": "bad-input", "message": str(exc)}
    return {"kind": "ok", "findings": check_stack(repo, resolved, _sites(sites_file))}


def _named(answer: Callable[[Path, str, str], dict[str, Any]]) -> Callable[[Path, dict[str, Any]], dict[str, Any]]:
    """An answer about one stack file: the request names the stack and the sites map's path."""
    def on(repo: Path, request: dict[str, Any]) -> dict[str, Any]:
        stack, sites = request.get("stack"), request.get("sites")
        if not isinstance(stack, str) or not isinstance(sites, str):
            return {"kind": "error", "message": f"a {request.get('op')} names its stack and sites map"}
        return answer(repo, stack, sites)
    return on


_sites_sent: dict[str, Any] = {}


def run_diff(repo: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Two renders of a stack (before and after a version move, as `bp upgrade` computed them) and their diff."""
    from pydantic import ValidationError

    from blueprints.resolved import ResolvedBlueprint
    from blueprints.sites import SitesMap
    from engine.diff import diff
    from engine.runner import ProgramError
    from engine.stacks import preview as run_stack

    try:
        text = request["sites_map"]
        if text not in _sites_sent:  # one sites map at a time: the one the last command sent
            _sites_sent.clear()
            _sites_sent[text] = SitesMap.model_validate_json(text)
        before, after = (ResolvedBlueprint.model_validate(request[side]) for side in ("before", "after"))
        sites = _sites_sent[text]
        return {"kind": "ok", "diff": diff(run_stack(repo, before, sites), run_stack(repo, after, sites)).to_json()}
    except (KeyError, TypeError, ValidationError) as exc:
        return {"kind": "error", "message": f"a diff sends two stacks and a sites map: {exc}"}
    except ProgramError as exc:  # the client runs it itself, for the error the program gives there
        return {"kind": "error", "message": str(exc)}


def _audit(repo: Path, request: dict[str, Any]) -> dict[str, Any]:
    settings = request.get("settings") or {}
    return _named(lambda repo, stack, sites: run_audit(repo, stack, sites, settings))(repo, request)


ANSWERS: dict[str, Callable[[Path, dict[str, Any]], dict[str, Any]]] = {
    "preview": _named(run_preview), "validate": _named(run_check), "diff": run_diff, "audit": _audit}
"""What a server answers, by request: each takes the repository and the request."""


# --- audits: the packs stay warm in the server between commands -------------------------------------------------

def served_audit(repo: Path, stack: str, sites_file: Path | None, settings: dict[str, Any]) -> dict[str, Any] | None:
    """The raw audit of `stack` (see `run_audit`) from the server (started if allowed), or None when none answers.

    `settings`: packs (None: all), config, config_source and exemptions (a file's path). BadInput as the audit would
    raise it; UnsafeFolder when the server folder is not this user's alone.
    """
    if stack.endswith(".yaml"):
        stack = str(Path(stack).resolve())
    reply = ask_or_start(repo, {"op": "audit", "stack": stack, "sites": str(sites_path(sites_file).resolve()),
                                "fingerprint": _fingerprint(repo), "settings": settings})
    kind = reply.get("kind") if reply else None
    if kind == "bad-input" and isinstance(reply.get("message"), str):
        raise BadInput(reply["message"])
    return reply if kind == "audit" else None


def run_audit(repo: Path, stack: str, sites_file: str | None, settings: dict[str, Any]) -> dict[str, Any]:
    """Run one stack and evaluate the packs on it in this process (packs kept for the next request with the same
    settings): what a client turns into the audit's findings, as the server sends it."""
    from blueprints.plan import PlanError, plan
    from engine.analyzer import policy_resources
    from engine.captured import PROJECT
    from engine.runner import ProgramError
    from engine.stacks import preview as run_stack
    from policy_packs.evaluate import answers, warm
    from policy_packs.packs import PACKS
    from store.stack_files import named_stack_file, read_stack, stack_path

    if _sites_changed_under_packs():
        return {"kind": "stale"}
    try:
        resolved = read_stack(named_stack_file(repo, stack))
        ready = warm(list(settings["packs"] or PACKS), dict(settings["config"]), str(settings["config_source"]),
                     Path(settings["exemptions"]))
        reply = {"kind": "audit", "stack": resolved.stack, "source": str(stack_path(repo, resolved.stack).relative_to(repo)),
                 "packs": list(ready.packs), "policies": [p.to_json() for p in ready.policies.values()]}
        capture = run_stack(repo, resolved, _sites(sites_file))
    except BadInput as exc:
        return {"kind": "bad-input", "message": str(exc)}
    except ProgramError as exc:
        return {**reply, "error": str(exc)}
    resources = policy_resources(capture, PROJECT)
    answered = [[a.to_json() for a in per_pack] for per_pack in answers(list(ready.packs.values()), resources)]
    try:
        zone = plan(resolved).zone
    except PlanError:
        zone = None
    return {**reply, "resources": len(capture.resources), "urns": [r.urn for r in resources], "answers": answered,
            "zone": zone.name if zone else "", "mandatory": list(zone.mandatory_policies) if zone else []}


_packs_sites: tuple[int, int] | None = None


def _sites_changed_under_packs() -> bool:
    """Whether the default sites map changed since this process loaded the policies: some read it for their
    defaults when imported (the AWS regions allowed), so a server that loaded them must give way to a new one."""
    global _packs_sites
    stat = sites_path(None).stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    if _packs_sites is None:
        _packs_sites = stamp
    return stamp != _packs_sites
