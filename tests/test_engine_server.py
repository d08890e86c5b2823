"""The engine server answers `bp preview` exactly as an in-process run does, and only for its own user and code."""

from __future__ import annotations

import json
import shutil
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client

import pytest

from blueprints import stack_files
from blueprints.stamp import resolve
from engine import server
from engine.stacks import preview
from tests.conftest import ROOT, make_request, run_bp


def _new_repo(path):
    (path / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", path / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "__main__.py", path / "stacks" / "__main__.py")
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory, catalog, sites):
    """A repository with an AWS and a vSphere stack, and its server running."""
    repo = _new_repo(tmp_path_factory.mktemp("served"))
    stamped = []
    for team, blueprint, target in (("shop", "web-service", "aws"), ("ledger", "vm-app", "vsphere")):
        stamped.append(resolve(make_request(team=team, blueprint=blueprint, target=target), catalog, sites, stamped))
        stack_files.write_stack(repo, stamped[-1])
    server.start(repo)
    yield repo, stamped
    server.stop(repo)


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


def test_a_client_without_the_key_is_refused_and_the_server_keeps_serving(served):
    repo, _ = served
    with pytest.raises(AuthenticationError):
        Client(str(repo / server.STATE_DIR / "engine.sock"), family="AF_UNIX", authkey=b"not the key")
    assert server.status(repo)["current"] is True
    assert oct((repo / server.STATE_DIR).stat().st_mode & 0o777) == "0o700"
    assert oct((repo / server.STATE_DIR / "engine.key").stat().st_mode & 0o777) == "0o600"


def test_a_server_running_other_code_declines_and_a_current_one_replaces_it(served, monkeypatch):
    repo, stamped = served
    old = server.status(repo)["pid"]
    monkeypatch.setattr(server, "_fingerprint", lambda repo: "another version of the code")
    assert server.served_preview(repo, stamped[0].stack, None) is None  # the client runs it itself
    monkeypatch.undo()
    replacement = server.start(repo)  # the one the client started, once it answers
    assert replacement["pid"] != old and replacement["current"]
    assert server.served_preview(repo, stamped[0].stack, None).stack == stamped[0].stack


def test_one_server_per_repository_and_stop_ends_it(tmp_path):
    repo = _new_repo(tmp_path / "empty")
    first = server.start(repo)
    assert server.start(repo)["pid"] == first["pid"]
    duplicate = server._spawn(repo)
    assert duplicate.wait(timeout=60) == 0  # finds the lock taken and leaves
    assert server.status(repo)["pid"] == first["pid"]
    assert server.stop(repo) == first["pid"]
    assert server.status(repo) is None
    assert server.served_preview(repo, "anyone-dev", None) is None
    assert not (repo / server.STATE_DIR / "engine.sock").exists()
