"""store/file_swap.py on its own: every new text goes in, or every file keeps its old text, and the error says which.

Failures are injected where a real disk fails (the staging write, the hard link, each rename, putting a file back);
each test then reads every file back. The command-level tests are in tests/test_stack_change.py.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

from blueprints import yaml_io
from blueprints.errors import BadInput
from store import file_swap

PID = os.getpid()


def _files(folder: Path, **texts: str) -> dict[Path, str]:
    """Write `name=text` files (name without .yaml) and return {path: text}."""
    written = {folder / f"{name}.yaml": text for name, text in texts.items()}
    for path, text in written.items():
        path.write_text(text)
    return written


def _contents(folder: Path) -> dict[str, str]:
    """Every file in `folder`, asides included, by name."""
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _failing(real, on, error: OSError):
    """`real`, except that it raises `error` when `on(args)` says so."""
    def call(*args, **kwargs):
        if on(args):
            raise error
        return real(*args, **kwargs)
    return call


def _renames_onto(name: str):
    """Matches a rename whose target is the file `name` (a swap in, or putting the file back)."""
    return lambda args: Path(args[1]).name == name


EIO = OSError(errno.EIO, "Input/output error")
ENOSPC = OSError(errno.ENOSPC, "No space left on device")


# -- all went in ---------------------------------------------------------------------------------------------------


def test_every_file_gets_its_new_text_new_files_are_made_and_no_aside_file_stays(tmp_path):
    old = _files(tmp_path, a="old a\n", b="old b\n")
    new = {path: text.replace("old", "new") for path, text in old.items()} | {tmp_path / "c.yaml": "new c\n"}
    assert file_swap.replace_files(new) == list(new)
    assert _contents(tmp_path) == {"a.yaml": "new a\n", "b.yaml": "new b\n", "c.yaml": "new c\n"}


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_a_replaced_file_keeps_its_mode(tmp_path, mode):
    (path,) = _files(tmp_path, a="old\n")
    os.chmod(path, mode)
    file_swap.replace_files({path: "new\n"})
    assert path.stat().st_mode & 0o777 == mode and path.read_text() == "new\n"


def test_the_confirmation_runs_once_after_every_text_is_staged_and_before_any_file_changes(tmp_path):
    old = _files(tmp_path, a="old a\n", b="old b\n")
    seen = []

    def confirm():
        seen.append(({p.name: p.read_text() for p in old}, sorted(n for n in os.listdir(tmp_path) if n.endswith(".bp-new"))))

    file_swap.replace_files({path: "new\n" for path in old}, confirm)
    assert seen == [({"a.yaml": "old a\n", "b.yaml": "old b\n"}, [f".a.yaml.{PID}.bp-new", f".b.yaml.{PID}.bp-new"])]
    assert _contents(tmp_path) == {"a.yaml": "new\n", "b.yaml": "new\n"}


@pytest.mark.parametrize("code", sorted(file_swap.NO_LINKS))
def test_where_hard_links_are_refused_the_old_file_is_kept_by_a_copy_and_still_put_back(tmp_path, monkeypatch, code):
    old = _files(tmp_path, a="old a\n", b="old b\n")
    monkeypatch.setattr(file_swap.os, "link", _failing(os.link, lambda args: True, OSError(code, os.strerror(code))))
    monkeypatch.setattr(file_swap.os, "replace", _failing(os.replace, _renames_onto("b.yaml"), EIO))
    with pytest.raises(BadInput, match=r"b\.yaml: cannot write: Input/output error; a\.yaml put back; nothing was changed$"):
        file_swap.replace_files({path: "new\n" for path in old})
    assert _contents(tmp_path) == {"a.yaml": "old a\n", "b.yaml": "old b\n"}


def test_a_link_failing_for_another_reason_refuses_the_change(tmp_path, monkeypatch):
    old = _files(tmp_path, a="old a\n", b="old b\n")
    monkeypatch.setattr(file_swap.os, "link", _failing(os.link, lambda args: Path(args[0]).name == "b.yaml", EIO))
    with pytest.raises(BadInput, match=r"b\.yaml: cannot write: Input/output error; a\.yaml put back; nothing was changed$"):
        file_swap.replace_files({path: "new\n" for path in old})
    assert _contents(tmp_path) == {"a.yaml": "old a\n", "b.yaml": "old b\n"}


def test_a_kept_file_left_under_this_process_id_is_replaced_not_refused(tmp_path):
    (path,) = _files(tmp_path, a="old\n")
    (tmp_path / f".a.yaml.{PID}.bp-old").write_text("from an earlier change of this pid")
    file_swap.replace_files({path: "new\n"})
    assert _contents(tmp_path) == {"a.yaml": "new\n"}


# -- a failure while staging or confirming: nothing changed ---------------------------------------------------------


def test_a_full_disk_while_staging_the_last_file_changes_nothing(tmp_path, monkeypatch):
    old = _files(tmp_path, a="old a\n", b="old b\n")
    staged_b = f".b.yaml.{PID}.bp-new"
    monkeypatch.setattr(yaml_io.os, "replace", _failing(os.replace, _renames_onto(staged_b), ENOSPC))
    with pytest.raises(BadInput) as exc:
        file_swap.replace_files({path: "new\n" for path in old} | {tmp_path / "c.yaml": "new c\n"})
    assert str(exc.value) == f"{tmp_path / 'b.yaml'}: cannot write: No space left on device; nothing was changed"
    assert _contents(tmp_path) == {"a.yaml": "old a\n", "b.yaml": "old b\n"}


def test_a_staging_error_without_an_os_reason_is_reported_in_its_own_words(tmp_path, monkeypatch):
    (path,) = _files(tmp_path, a="old\n")

    def refuse(path, text):
        raise BadInput("is a binary file, not text", path)

    monkeypatch.setattr(yaml_io, "write_atomic", refuse)
    with pytest.raises(BadInput) as exc:
        file_swap.replace_files({path: "new\n"})
    staged = tmp_path / f".a.yaml.{PID}.bp-new"
    assert str(exc.value) == f"{path}: cannot write: {staged}: is a binary file, not text; nothing was changed"
    assert _contents(tmp_path) == {"a.yaml": "old\n"}


def test_a_mode_that_cannot_be_copied_changes_nothing_and_leaves_no_staged_text(tmp_path, monkeypatch):
    old = _files(tmp_path, a="old a\n", b="old b\n")
    monkeypatch.setattr(file_swap.shutil, "copymode", _failing(
        file_swap.shutil.copymode, lambda args: Path(args[0]).name == "b.yaml", OSError(errno.EPERM, "Operation not permitted")))
    with pytest.raises(BadInput, match=r"b\.yaml: cannot write: Operation not permitted; nothing was changed$"):
        file_swap.replace_files({path: "new\n" for path in old})
    assert _contents(tmp_path) == {"a.yaml": "old a\n", "b.yaml": "old b\n"}


def test_a_write_failing_with_an_os_error_before_it_staged_anything_changes_nothing(tmp_path, monkeypatch):
    old = _files(tmp_path, a="old a\n", b="old b\n")
    real = yaml_io.write_atomic

    def write(path, text):
        if path.name.startswith(".b.yaml"):
            raise ENOSPC
        return real(path, text)

    monkeypatch.setattr(yaml_io, "write_atomic", write)
    with pytest.raises(BadInput, match=r"b\.yaml: cannot write: No space left on device; nothing was changed$"):
        file_swap.replace_files({path: "new\n" for path in old})
    assert _contents(tmp_path) == {"a.yaml": "old a\n", "b.yaml": "old b\n"}


def test_a_report_that_cannot_be_written_changes_nothing_and_says_so(tmp_path):
    old = _files(tmp_path, a="old\n")

    def full():
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(BadInput) as exc:
        file_swap.replace_files({**dict.fromkeys(old, "new\n"), tmp_path / "b.yaml": "new\n"}, full)
    assert str(exc.value) == "output: cannot write the report: No space left on device; nothing was changed"
    assert _contents(tmp_path) == {"a.yaml": "old\n"}


def test_a_report_reader_gone_is_a_broken_pipe_and_changes_nothing(tmp_path):
    old = _files(tmp_path, a="old\n")

    def gone():
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    with pytest.raises(BrokenPipeError):
        file_swap.replace_files(dict.fromkeys(old, "new\n"), gone)
    assert _contents(tmp_path) == {"a.yaml": "old\n"}


def test_any_other_failure_of_the_confirmation_propagates_as_it_is(tmp_path):
    old = _files(tmp_path, a="old\n")

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        file_swap.replace_files(dict.fromkeys(old, "new\n"), interrupted)
    assert _contents(tmp_path) == {"a.yaml": "old\n"}


# -- a failure while swapping: every file swapped in is put back ----------------------------------------------------


@pytest.mark.parametrize("failing, back", [("a.yaml", ""), ("b.yaml", "a.yaml put back; "),
                                            ("c.yaml", "a.yaml, b.yaml put back; "),
                                            ("d.yaml", "a.yaml, b.yaml, c.yaml put back; ")])
def test_a_failing_swap_puts_back_every_file_swapped_before_it(tmp_path, monkeypatch, failing, back):
    old = _files(tmp_path, a="old a\n", b="old b\n", c="old c\n")
    monkeypatch.setattr(file_swap.os, "replace", _failing(os.replace, _renames_onto(failing), EIO))
    with pytest.raises(BadInput) as exc:
        file_swap.replace_files({path: "new\n" for path in old} | {tmp_path / "d.yaml": "new d\n"})
    assert str(exc.value) == f"{tmp_path / failing}: cannot write: Input/output error; {back}nothing was changed"
    assert _contents(tmp_path) == {"a.yaml": "old a\n", "b.yaml": "old b\n", "c.yaml": "old c\n"}


def test_a_new_file_made_before_the_failure_is_removed_again(tmp_path, monkeypatch):
    (old,) = _files(tmp_path, b="old b\n")
    monkeypatch.setattr(file_swap.os, "replace", _failing(os.replace, _renames_onto("b.yaml"), EIO))
    with pytest.raises(BadInput, match=r"a\.yaml put back; nothing was changed$"):
        file_swap.replace_files({tmp_path / "a.yaml": "new a\n", old: "new b\n"})
    assert _contents(tmp_path) == {"b.yaml": "old b\n"}


def test_a_failure_without_an_os_reason_is_reported_in_its_own_words(tmp_path, monkeypatch):
    (path,) = _files(tmp_path, a="old\n")
    monkeypatch.setattr(file_swap.os, "replace", _failing(os.replace, _renames_onto("a.yaml"), OSError("stale handle")))
    with pytest.raises(BadInput) as exc:
        file_swap.replace_files({path: "new\n"})
    assert str(exc.value) == f"{path}: cannot write: stale handle; nothing was changed"


def test_a_file_that_cannot_be_put_back_keeps_its_old_text_beside_it_and_the_others_are_named(tmp_path, monkeypatch):
    old = _files(tmp_path, a="old a\n", b="old b\n", c="old c\n")
    kept_b = f".b.yaml.{PID}.bp-old"

    def fail(args):
        name, source = Path(args[1]).name, Path(args[0]).name
        return name == "c.yaml" or (name == "b.yaml" and source == kept_b)

    monkeypatch.setattr(file_swap.os, "replace", _failing(os.replace, fail, EIO))
    with pytest.raises(BadInput) as exc:
        file_swap.replace_files({path: f"new {path.stem}\n" for path in old})
    assert str(exc.value) == ("b.yaml already rewritten and could not be put back (a.yaml put back): Input/output "
                              f"error; the old text of b.yaml in {kept_b}; compare with git before going on")
    assert _contents(tmp_path) == {kept_b: "old b\n", "a.yaml": "old a\n", "b.yaml": "new b\n", "c.yaml": "old c\n"}


def test_a_new_file_that_cannot_be_removed_again_is_named_without_an_old_text(tmp_path, monkeypatch):
    (old,) = _files(tmp_path, b="old b\n")
    made = tmp_path / "a.yaml"
    real = Path.unlink

    def unlink(self, missing_ok=False):
        if self == made:
            raise EIO
        return real(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setattr(file_swap.os, "replace", _failing(os.replace, _renames_onto("b.yaml"), EIO))
    with pytest.raises(BadInput) as exc:
        file_swap.replace_files({made: "new a\n", old: "new b\n"})
    assert str(exc.value) == ("a.yaml already rewritten and could not be put back: Input/output error; "
                              "compare with git before going on")
    assert _contents(tmp_path) == {"a.yaml": "new a\n", "b.yaml": "old b\n"}


# -- what an interrupted change leaves ------------------------------------------------------------------------------


def test_only_the_kept_files_of_a_process_that_no_longer_runs_are_interrupted_and_in_order(tmp_path, monkeypatch):
    dead = _dead_pid()
    for name in (f".b.yaml.{dead}.bp-old", f".a.yaml.{dead}.bp-old", f".c.yaml.{PID}.bp-old",  # c: this process runs
                 f".d.yaml.{dead}.bp-new", ".notes.bp-old", f"e.yaml.{dead}.bp-old", ".f.yaml.x1.bp-old"):
        (tmp_path / name).write_text("x")
    assert file_swap.interrupted(tmp_path) == [tmp_path / f".a.yaml.{dead}.bp-old", tmp_path / f".b.yaml.{dead}.bp-old"]
    assert file_swap.interrupted(tmp_path, file_swap.STAGED) == [tmp_path / f".d.yaml.{dead}.bp-new"]


def test_a_pid_of_another_users_process_is_a_writer_still_running(tmp_path, monkeypatch):
    (tmp_path / ".a.yaml.4242.bp-old").write_text("x")
    monkeypatch.setattr(file_swap.os, "kill", _failing(os.kill, lambda args: True, PermissionError(errno.EPERM, "no")))
    assert file_swap.interrupted(tmp_path) == []


def test_a_change_sweeps_only_staged_files_of_dead_writers_in_its_own_folders(tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    (path,) = _files(here, a="old\n")
    dead, running = _dead_pid(), os.getppid()
    swept = [here / f".a.yaml.{dead}.bp-new", here / f".z.yaml.{dead}.bp-new"]
    kept = [here / f".a.yaml.{dead}.bp-old", here / f".b.yaml.{running}.bp-new", there / f".a.yaml.{dead}.bp-new"]
    for leftover in swept + kept:
        leftover.write_text("half a file")
    file_swap.replace_files({path: "new\n"})
    assert path.read_text() == "new\n"
    assert sorted(p for p in tmp_path.rglob(".*")) == sorted(kept)


def test_a_leftover_another_change_swept_first_is_not_an_error(tmp_path, monkeypatch):
    (path,) = _files(tmp_path, a="old\n")
    monkeypatch.setattr(file_swap, "interrupted", lambda folder, suffix=file_swap.KEPT: [folder / ".gone.1.bp-new"])
    file_swap.replace_files({path: "new\n"})
    assert path.read_text() == "new\n"
