"""Outputs never destroy what bp does not own: report paths, generated folders, and the mode of rewritten files."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest

from blueprints import yaml_io
from store.outputs import MANIFEST
from tests.test_cli_robustness import NEW, one_line_error

REPORTS = {
    "audit": ["audit", "payments-dev", "--format", "json", "--output"],
    "fleet audit": ["fleet", "audit", "--format", "sarif", "--output"],
    "fleet report": ["fleet", "report", "--format", "json", "--output"],
    "policy docs": ["policy", "docs", "--output"],
}


def _symlink(path: Path) -> None:
    target = path.parent / "target.txt"
    target.write_text("mine\n")
    path.symlink_to(target)


def _socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


def _device(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the null device's numbers
    except PermissionError:
        pytest.skip("creating a device node needs root")


SPECIAL = {"symbolic link": _symlink, "folder": Path.mkdir, "FIFO": os.mkfifo, "socket": _socket, "device": _device}


def _kind(path: Path) -> int:
    return stat.S_IFMT(os.lstat(path).st_mode)


@pytest.mark.parametrize("kind", SPECIAL)
@pytest.mark.parametrize("command", REPORTS)
def test_a_report_path_that_is_not_a_regular_file_is_refused_and_kept(bp, repo, tmp_path, command, kind):
    assert bp(*NEW).exit_code == 0
    path = tmp_path / "out" / "report"
    path.parent.mkdir()
    SPECIAL[kind](path)
    before = _kind(path)
    result = bp(*REPORTS[command], str(path))
    assert result.exit_code == 2, result.output
    assert f"--output: {path} is a" in result.output and "regular file" in result.output, result.output
    assert _kind(path) == before, f"{command} replaced the {kind}"
    if kind == "symbolic link":
        assert (path.parent / "target.txt").read_text() == "mine\n"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "a temporary file was left"


def test_a_report_to_a_missing_folder_is_refused_and_dash_is_stdout(bp, repo, tmp_path):
    assert bp(*NEW).exit_code == 0
    result = bp("fleet", "report", "--format", "json", "--output", str(tmp_path / "nope" / "r.json"))
    assert result.exit_code == 2 and "no folder" in result.output
    result = bp("fleet", "report", "--format", "json", "--output", "-")
    assert result.exit_code == 0 and json.loads(result.stdout)["stacks"] == 1


def test_a_cli_report_keeps_the_mode_of_the_file_it_replaces(bp, repo, tmp_path):
    assert bp(*NEW).exit_code == 0
    path = tmp_path / "report.json"
    path.write_text("old\n")
    path.chmod(0o644)
    assert bp("fleet", "report", "--format", "json", "--output", str(path)).exit_code == 0
    assert json.loads(path.read_text())["stacks"] == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def _stack_files(repo: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in (repo / "stacks").glob("Pulumi.*.yaml")}


@pytest.mark.parametrize("where", ["repository", "stacks", "another project"])
def test_operator_manifests_refuse_the_repository_and_folders_of_stack_files(bp, repo, where):
    assert bp(*NEW).exit_code == 0
    (repo / "other").mkdir()
    (repo / "other" / "Pulumi.yaml").write_text("name: other\n")
    out = {"repository": repo, "stacks": repo / "stacks", "another project": repo / "other"}[where]
    before = _stack_files(repo)
    result = bp("fleet", "operator-manifests", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "--out:" in result.output and ("repository" in result.output or "stack files" in result.output)
    assert _stack_files(repo) == before
    assert not (repo / "platform.yaml").exists() and not (repo / MANIFEST).exists()


def test_operator_manifests_from_the_repository_root_as_dot(repo):
    from tests.conftest import run_bp

    assert run_bp(repo, *NEW).returncode == 0
    before = _stack_files(repo)
    one_line_error(run_bp(repo, "fleet", "operator-manifests", "--out", "."), "is the repository itself")
    assert _stack_files(repo) == before


def test_operator_manifests_keep_every_file_bp_did_not_write(bp, repo):
    assert bp(*NEW).exit_code == 0
    out = repo / "deploy"
    (out / "stacks").mkdir(parents=True)
    notes = out / "stacks" / "my-notes.yaml"
    notes.write_text("mine: true\n")
    assert bp("fleet", "operator-manifests", "--out", str(out)).exit_code == 0
    written = json.loads((out / MANIFEST).read_text())["files"]
    assert written == sorted(["kustomization.yaml", "platform.yaml", "stacks/payments-dev.yaml"])
    (repo / "stacks" / "Pulumi.payments-dev.yaml").unlink()
    result = bp("fleet", "operator-manifests", "--out", str(out))
    assert result.exit_code == 0 and "removed 1 stale" in result.output
    assert not (out / "stacks" / "payments-dev.yaml").exists()
    assert notes.read_text() == "mine: true\n"


def test_operator_manifests_refuse_to_replace_a_file_they_did_not_write(bp, repo):
    assert bp(*NEW).exit_code == 0
    out = repo / "deploy"
    out.mkdir()
    (out / "platform.yaml").write_text("my own\n")
    result = bp("fleet", "operator-manifests", "--out", str(out))
    assert result.exit_code == 2 and "bp did not write it" in result.output
    assert (out / "platform.yaml").read_text() == "my own\n"
    assert not (out / "kustomization.yaml").exists()


@pytest.mark.parametrize("listed", ["../stacks/Pulumi.payments-dev.yaml", "/etc/hostname", MANIFEST])
def test_a_manifest_can_only_name_files_inside_its_folder(bp, repo, listed):
    assert bp(*NEW).exit_code == 0
    out = repo / "deploy"
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"files": [listed]}))
    before = _stack_files(repo)
    result = bp("fleet", "operator-manifests", "--out", str(out))
    assert result.exit_code == 2 and "relative paths inside the folder" in result.output
    assert _stack_files(repo) == before


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_file_takes_the_umask_and_a_rewritten_one_keeps_its_mode(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = tmp_path / "new.yaml"
        yaml_io.write_atomic(path, "a: 1\n")
        assert stat.S_IMODE(path.stat().st_mode) == mode
        path.chmod(0o640)
        yaml_io.write_atomic(path, "a: 2\n")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text() == "a: 2\n"
    finally:
        os.umask(old)


def test_a_stack_file_rewritten_by_a_command_keeps_its_mode(bp, repo):
    assert bp(*NEW).exit_code == 0
    path = repo / "stacks" / "Pulumi.payments-dev.yaml"
    path.chmod(0o664)
    result = bp("pin", "payments-dev", "--reason", "vendor freeze", "--approver", "ops@example.com",
                "--expires", "2999-01-01")
    assert result.exit_code == 0, result.output
    assert "cloud-blueprints:pin" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


def test_a_generated_folder_never_writes_or_removes_through_a_linked_subfolder(bp, repo, tmp_path):
    assert bp(*NEW).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "payments-dev.yaml").write_text("mine\n")
    out = tmp_path / "deploy"
    out.mkdir()
    (out / "stacks").symlink_to(elsewhere)
    result = bp("fleet", "operator-manifests", "--out", str(out))
    assert result.exit_code == 2 and "inside a symbolic link" in result.output, result.output
    assert (elsewhere / "payments-dev.yaml").read_text() == "mine\n"


@pytest.mark.parametrize("kind", ["FIFO", "device", "symbolic link"])
def test_operator_manifests_refuse_an_out_that_is_not_a_folder(bp, repo, tmp_path, kind):
    assert bp(*NEW).exit_code == 0
    out = tmp_path / "out"
    SPECIAL[kind](out)
    before = _kind(out)
    result = bp("fleet", "operator-manifests", "--out", str(out))
    assert result.exit_code == 2 and "not a folder" in result.output, result.output
    assert _kind(out) == before


def test_operator_manifests_to_dash_go_to_stdout(bp, repo, monkeypatch):
    monkeypatch.chdir(repo)
    assert bp(*NEW).exit_code == 0
    result = bp("fleet", "operator-manifests", "--out", "-")
    assert result.exit_code == 0 and "kind: Stack" in result.stdout
    assert not (repo / "-").exists()


def test_a_report_path_with_brackets_is_printed_as_text(bp, repo, tmp_path):
    assert bp(*NEW).exit_code == 0
    path = tmp_path / "[bold]report[red].json"
    result = bp("fleet", "report", "--format", "json", "--output", str(path))
    assert result.exit_code == 0 and f"Wrote {path}" in result.output, result.output
    out = tmp_path / "[red]deploy"
    result = bp("fleet", "operator-manifests", "--out", str(out))
    assert result.exit_code == 0 and f"kubectl apply -k {out}" in result.output, result.output
