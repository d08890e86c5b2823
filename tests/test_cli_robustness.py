"""Every failure is one line on stderr and exit 2, never a traceback; output suits pipes and people."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import BP, run_bp

NEW = ["new", "payments", "--blueprint", "vm-app", "--env", "dev", "--site", "ny1",
       "--owner", "lead@example.com", "--cost-center", "CC-1"]


def one_line_error(result, *expected: str, code: int = 2) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], lines[0]


def test_brackets_in_user_text_are_not_markup(repo):
    one_line_error(run_bp(repo, "new", "[/]", *NEW[2:]), "'[/]' is not")
    one_line_error(run_bp(repo, "new", "pay", "--blueprint", "vm-app@1.0", *NEW[4:]), "'vm-app@1.0'", "@major.minor.patch")


def test_help_keeps_square_brackets(repo):
    out = run_bp(repo, "catalog", "show", "--help").stdout
    assert "NAME[@VERSION]" in out


@pytest.mark.parametrize("content", [b"team: caf\xe9\n", b"\x7fELF\x02\x01\x01\x00\x00\x00"], ids=["latin-1", "binary"])
def test_undecodable_files_are_one_line_errors(repo, tmp_path, content):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    one_line_error(run_bp(repo, "new", "x1", "--from", str(bad)), str(bad))
    one_line_error(run_bp(repo, "--sites", str(bad), "sites", "list"), str(bad))
    (repo / "stacks" / "Pulumi.bad-dev.yaml").write_bytes(content)
    one_line_error(run_bp(repo, "validate", "bad-dev"), "Pulumi.bad-dev.yaml:1")


def test_a_broken_stack_file_is_named_and_the_rest_still_validate(repo):
    assert run_bp(repo, *NEW).returncode == 0
    (repo / "stacks" / "Pulumi.broken-dev.yaml").write_text("config:\n  a: [1,\n")
    result = run_bp(repo, "validate", "--all", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert set(report["stacks"]) == {"payments-dev", "broken-dev"}
    (broken,) = [f for f in report["findings"] if f["stack"] == "broken-dev"]
    assert "Pulumi.broken-dev.yaml:" in broken["message"]
    assert not [f for f in report["findings"] if f["stack"] == "payments-dev" and f["error"]]


def test_a_missing_stacks_folder_or_a_file_in_its_place(repo):
    (repo / "stacks" / "__main__.py").unlink()
    (repo / "stacks").rmdir()
    one_line_error(run_bp(repo, *NEW), "stacks: missing")
    (repo / "stacks").write_text("")
    one_line_error(run_bp(repo, *NEW), "is a file")
    one_line_error(run_bp(repo, "validate", "--all"), "is a file")


def test_a_folder_where_a_stack_file_is_expected(repo):
    (repo / "stacks" / "Pulumi.odd-dev.yaml").mkdir()
    one_line_error(run_bp(repo, "validate", "odd-dev"), "is a folder")


def test_an_unwritable_stacks_folder_writes_nothing(bp, repo, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = bp(*NEW)
    assert result.exit_code == 2 and "Permission denied" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not list((repo / "stacks").glob("Pulumi.*"))


def test_output_to_a_closed_pipe(repo):
    proc = subprocess.Popen([*BP, "--repo", str(repo), "sites", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=repo)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait()
    one_line_error(subprocess.CompletedProcess([], proc.returncode, "", err), "broken pipe")


def test_output_to_a_full_disk(repo):
    with open("/dev/full", "w") as full:
        result = subprocess.run([*BP, "--repo", str(repo), "sites", "list"], stdout=full, stderr=subprocess.PIPE,
                                text=True, cwd=repo)
    one_line_error(result, "No space left on device")


def _wait_until_opened(pid: int, path: Path, timeout: float = 120.0) -> None:
    """Until process `pid` holds `path` open: then it is past its imports and inside the command."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fds = Path(f"/proc/{pid}/fd")
        if any(os.path.realpath(fd) == str(path.resolve()) for fd in fds.iterdir()):
            return
        time.sleep(0.05)
    pytest.fail(f"bp never opened {path}")


def test_ctrl_c_exits_130(repo):
    """Interrupted while it waits for the allocation lock that another bp holds, bp stops with 130, no traceback."""
    lock = repo / ".bp.lock"
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.Popen([*BP, "--repo", str(repo), *NEW], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=repo)
        _wait_until_opened(proc.pid, lock)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not (repo / "stacks" / "Pulumi.payments-dev.yaml").exists(), "an interrupted stamp wrote its file"


def test_piped_output_is_not_cut_and_next_steps_stay_whole(repo):
    listing = run_bp(repo, "sites", "list").stdout
    assert "us-east-1-nonprod" in listing and "ap-northeast-1-nonprod" in listing
    out = run_bp(repo, *NEW).stdout
    assert "  bp validate payments-dev        # check it against the catalog, sites map and other stacks\n" in out
    assert any(line.startswith("  git add stacks/Pulumi.payments-dev.yaml") and line.endswith("`pulumi up -s payments-dev`")
               for line in out.splitlines())


def test_the_preview_table_keeps_colons(bp, repo):
    assert bp("new", "payments", "--blueprint", "web-service", "--env", "prod", "--region", "amer", "--target", "aws",
              "--owner", "lead@example.com", "--cost-center", "CC-1").exit_code == 0
    out = run_bp(repo, "preview", "payments-prod").stdout
    assert ":secret:" in out and "㊙" not in out


def test_prompts_check_each_answer_and_ask_again(bp, repo, monkeypatch):
    import types

    from cli.commands import new as new_command

    monkeypatch.setattr(new_command, "sys", types.SimpleNamespace(stdin=types.SimpleNamespace(isatty=lambda: True)))
    answers = "nope\nvm-app\nqa\ndev\nnobody\nlead@example.com\nCC 1\nCC-1\nmars\n\nzz9\nny1\n"
    result = bp("new", "payments", input=answers)
    assert result.exit_code == 0, result.output
    for problem in ("unknown blueprint 'nope'", "Error: Input should be 'dev'", "'nobody' is not an e-mail address", "CC 1",
                    "unknown region 'mars'", "unknown site 'zz9'"):
        assert problem in result.output, problem
    assert (repo / "stacks" / "Pulumi.payments-dev.yaml").is_file()
