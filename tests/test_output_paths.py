"""store/outputs.py on its own: a report or a generated folder is written only over what bp wrote.

In-process and fast (the module's mutation tests); the commands' own refusals are in tests/test_output_files.py.
Every refusal is checked to have left the thing refused as it was.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import tempfile
from pathlib import Path

import pytest

from blueprints import yaml_io
from blueprints.errors import BadInput
from store import outputs
from store.outputs import MANIFEST


def _node(kind: int):
    def make(path: Path) -> None:
        os.mknod(path, kind | 0o600, os.makedev(1, 3) if kind == stat.S_IFCHR else os.makedev(7, 200))
    return make


def _bound(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))


def _link_to_file(path: Path) -> None:
    (path.parent / "elsewhere.txt").write_text("a user's file\n")
    path.symlink_to(path.parent / "elsewhere.txt")


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nothing-yet")


NOT_REGULAR = {  # what _not_regular calls each, and how to make one
    "a symbolic link": _link_to_file, "a dangling symbolic link": _dangling, "a folder": Path.mkdir,
    "a character device": _node(stat.S_IFCHR), "a block device": _node(stat.S_IFBLK), "a FIFO": os.mkfifo,
    "a socket": _bound,
}


@pytest.fixture
def short():
    """A folder with a short path: a socket's path must fit in 108 bytes."""
    with tempfile.TemporaryDirectory(dir="/tmp", prefix="bp") as folder:
        yield Path(folder)


def _said(kind: str) -> str:
    return {"a character device": "a device", "a block device": "a device",
            "a dangling symbolic link": "a symbolic link"}.get(kind, kind)


def _state(path: Path):
    info = os.lstat(path)
    return stat.S_IFMT(info.st_mode), info.st_ino


# -- a report file ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", NOT_REGULAR)
def test_a_report_over_anything_but_a_regular_file_is_refused_before_and_at_the_write(short, kind):
    path = short / "report.json"
    NOT_REGULAR[kind](path)
    before = _state(path)
    with pytest.raises(BadInput) as exc:
        outputs.output_file(path, "--report")
    assert str(exc.value) == (f"--report: {path} is {_said(kind)}; bp writes reports to a regular file only "
                              "(or - for stdout)")
    with pytest.raises(BadInput, match=f"^--output: {path} is {_said(kind)};"):
        outputs.write_file(path, "{}")
    assert _state(path) == before


def test_a_path_that_cannot_be_looked_at_is_refused_with_the_reason(tmp_path):
    (tmp_path / "plain").write_text("x")
    with pytest.raises(BadInput, match=r"^--output: \S+/plain/report.json is not reachable \(Not a directory\);"):
        outputs.output_file(tmp_path / "plain" / "report.json")


def test_a_report_in_a_missing_folder_is_refused_and_none_and_dash_are_stdout(tmp_path):
    with pytest.raises(BadInput, match=f"^--output: {tmp_path}/no/r.json: no folder {tmp_path}/no$"):
        outputs.output_file(tmp_path / "no" / "r.json")
    assert outputs.output_file(None) is None and outputs.output_file(Path("-")) is None
    assert outputs.output_file(str(tmp_path / "r.json")) == tmp_path / "r.json"


@pytest.mark.parametrize("name", ["(copy).json", "#1.json", "+all.json", " .json", "--.json"])
def test_a_report_named_like_anything_but_a_dash_is_a_file(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    assert outputs.output_file(Path(name)) == Path(name)


def test_a_report_replaces_a_regular_file_or_makes_a_new_one(tmp_path):
    old = tmp_path / "old.json"
    old.write_text("old\n")
    outputs.write_file(old, "new\n")
    outputs.write_file(tmp_path / "fresh.json", "fresh\n")
    assert sorted(os.listdir(tmp_path)) == ["fresh.json", "old.json"]
    assert old.read_text() == "new\n" and (tmp_path / "fresh.json").read_text() == "fresh\n"


def test_a_streamed_report_appears_whole_and_is_refused_if_its_path_became_a_link_meanwhile(tmp_path):
    path = tmp_path / "r.html"
    with outputs.open_file(path) as fh:
        fh.write("<p>")
        assert not path.exists()
        fh.write("</p>")
    assert path.read_text() == "<p></p>"
    with pytest.raises(BadInput, match=f"^--out: {path} is a symbolic link;"), outputs.open_file(path, "--out") as fh:
        fh.write("new")
        path.unlink()
        _link_to_file(path)
    assert path.is_symlink() and (tmp_path / "elsewhere.txt").read_text() == "a user's file\n"


def test_a_streamed_report_over_a_fifo_is_refused_before_it_opens(short):
    os.mkfifo(short / "r.html")
    with pytest.raises(BadInput, match="is a FIFO"), outputs.open_file(short / "r.html"):
        raise AssertionError("opened")


# -- a generated folder -------------------------------------------------------------------------------------------


def _manifest(out: Path) -> list[str]:
    return json.loads((out / MANIFEST).read_text())["files"]


@pytest.fixture
def repo(tmp_path) -> Path:
    (tmp_path / "repo").mkdir()
    return tmp_path / "repo"


def test_a_folder_is_written_listed_and_what_bp_no_longer_writes_is_removed(repo):
    out = repo / "deploy"
    assert outputs.write_folder(out, {"b.yaml": "b\n", "sub/deep/a.yaml": "a\n", "gone.yaml": "g\n"}, repo) == (3, 0)
    assert (out / MANIFEST).read_text() == ('{\n  "written_by": "bp",\n  "files": [\n    "b.yaml",\n    "gone.yaml",\n'
                                            '    "sub/deep/a.yaml"\n  ]\n}\n')
    (out / "mine.yaml").write_text("a user's own\n")
    assert outputs.write_folder(out, {"b.yaml": "b2\n", "c.yaml": "c\n"}, repo) == (2, 2)
    assert _manifest(out) == ["b.yaml", "c.yaml"]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        MANIFEST, "b.yaml", "c.yaml", "mine.yaml"]
    assert (out / "b.yaml").read_text() == "b2\n" and (out / "mine.yaml").read_text() == "a user's own\n"


def test_a_listed_file_already_gone_is_not_counted(repo):
    out = repo / "deploy"
    outputs.write_folder(out, {"a.yaml": "a\n", "b.yaml": "b\n"}, repo)
    (out / "b.yaml").unlink()
    assert outputs.write_folder(out, {"a.yaml": "a\n"}, repo) == (1, 0)
    assert _manifest(out) == ["a.yaml"]


@pytest.mark.parametrize("kind", ["a symbolic link", "a folder", "a FIFO"])
def test_a_listed_file_that_became_something_else_is_not_removed(short, kind):
    out = short / "deploy"
    outputs.write_folder(out, {"a.yaml": "a\n", "b.yaml": "b\n"}, short)
    (out / "b.yaml").unlink()
    NOT_REGULAR[kind](out / "b.yaml")
    before = _state(out / "b.yaml")
    assert outputs.write_folder(out, {"a.yaml": "a\n"}, short) == (1, 0)
    assert _state(out / "b.yaml") == before
    assert [p.read_text() for p in out.glob("elsewhere.txt")] == ["a user's file\n"] * (kind == "a symbolic link")


def test_files_listed_under_a_folder_that_became_a_link_are_neither_written_nor_removed(repo, tmp_path):
    out, elsewhere = repo / "deploy", tmp_path / "elsewhere"
    outputs.write_folder(out, {"a/b/old.yaml": "o\n", "a/b/keep.yaml": "k\n", "top.yaml": "t\n"}, repo)
    elsewhere.mkdir()
    (elsewhere / "old.yaml").write_text("not bp's\n")
    for name in ("old.yaml", "keep.yaml"):
        (out / "a" / "b" / name).unlink()
    (out / "a" / "b").rmdir()
    (out / "a" / "b").symlink_to(elsewhere)
    assert outputs.write_folder(out, {"top.yaml": "t\n"}, repo) == (1, 0)
    assert (elsewhere / "old.yaml").read_text() == "not bp's\n"
    with pytest.raises(BadInput, match=f"^--out: {out}/a/b/keep.yaml is inside a symbolic link; bp replaces only"):
        outputs.write_folder(out, {"a/b/keep.yaml": "k\n"}, repo)
    assert sorted(os.listdir(elsewhere)) == ["old.yaml"]


@pytest.mark.parametrize("kind", ["a symbolic link", "a dangling symbolic link", "a folder", "a FIFO", "a socket"])
def test_a_file_to_write_that_is_not_a_regular_file_refuses_the_whole_folder(short, kind):
    out = short / "d"
    out.mkdir()
    NOT_REGULAR[kind](out / "b.yaml")
    before = _state(out / "b.yaml")
    with pytest.raises(BadInput) as exc:
        outputs.write_folder(out, {"a.yaml": "a\n", "b.yaml": "b\n"}, short, "--dir")
    assert str(exc.value) == f"--dir: {out}/b.yaml is {_said(kind)}; bp replaces only files it wrote"
    assert _state(out / "b.yaml") == before and not (out / "a.yaml").exists() and not (out / MANIFEST).exists()


def test_a_users_file_where_bp_would_write_refuses_the_whole_folder(repo):
    out = repo / "deploy"
    outputs.write_folder(out, {"a.yaml": "a\n"}, repo)
    (out / "b.yaml").write_text("mine\n")
    with pytest.raises(BadInput) as exc:
        outputs.write_folder(out, {"a.yaml": "a2\n", "b.yaml": "b\n"}, repo)
    assert str(exc.value) == (f"--out: {out}/b.yaml exists and bp did not write it (it is not in {out}/{MANIFEST}); "
                              "move it away or choose another folder")
    assert (out / "b.yaml").read_text() == "mine\n" and (out / "a.yaml").read_text() == "a\n"


@pytest.mark.parametrize("where", ["Pulumi.yaml", "Pulumi.cart-dev.yaml", "sub/Pulumi.cart-dev.yaml"])
def test_a_folder_holding_a_pulumi_project_or_stack_files_is_refused_whole(repo, where):
    out = repo / "deploy"
    (out / where).parent.mkdir(parents=True)
    (out / where).write_text("config: {}\n")
    with pytest.raises(BadInput, match=f"^--out: {(out / where).parent} holds a Pulumi project or stack files; "):
        outputs.write_folder(out, {"a.yaml": "a\n", "sub/b.yaml": "b\n"}, repo)
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == [Path(where).name]


def test_a_pulumi_named_folder_is_not_a_project(repo):
    out = repo / "deploy"
    (out / "Pulumi.yaml").mkdir(parents=True)
    assert outputs.write_folder(out, {"a.yaml": "a\n"}, repo) == (1, 0)


@pytest.mark.parametrize("through", [False, True])
def test_the_repository_itself_is_refused_even_through_a_link(repo, tmp_path, through):
    out = repo
    if through:
        out = tmp_path / "to-repo"
        out.symlink_to(repo)
    with pytest.raises(BadInput, match=f"^--out: {out} is the repository itself; "):
        outputs.write_folder(out, {"a.yaml": "a\n"}, repo)
    assert os.listdir(repo) == []


def test_a_link_to_a_folder_is_a_folder_to_write_in(repo, tmp_path):
    (tmp_path / "real").mkdir()
    (repo / "deploy").symlink_to(tmp_path / "real")
    assert outputs.write_folder(repo / "deploy", {"a.yaml": "a\n"}, repo) == (1, 0)
    assert (tmp_path / "real" / "a.yaml").read_text() == "a\n"


@pytest.mark.parametrize("kind", ["a symbolic link", "a FIFO", "a block device"])
def test_an_out_that_is_not_a_folder_is_refused(short, kind):
    NOT_REGULAR[kind](short / "out")
    before = _state(short / "out")
    with pytest.raises(BadInput) as exc:
        outputs.write_folder(short / "out", {"a.yaml": "a\n"}, short / "repo")
    assert str(exc.value) == f"--out: {short}/out is {_said(kind)}, not a folder"
    assert _state(short / "out") == before


@pytest.mark.parametrize("text, error", [
    ("not json", "not a manifest bp wrote"), ("[]", "not a manifest bp wrote"), ('{"other": []}', "not a manifest bp wrote"),
    ('{"files": "ab"}', "'files' must list"), ('{"files": [3]}', "'files' must list"),
    ('{"files": ["/etc/passwd"]}', "'files' must list"), ('{"files": ["../up.yaml"]}', "'files' must list"),
    ('{"files": ["sub/../../up.yaml"]}', "'files' must list"), ('{"files": [""]}', "'files' must list"),
    ('{"files": [".bp-manifest.json"]}', "'files' must list"), ('{"files": ["ok.yaml", ".."]}', "'files' must list"),
])
def test_a_manifest_naming_anything_outside_its_folder_is_refused_and_nothing_removed(repo, tmp_path, text, error):
    out = repo / "deploy"
    out.mkdir()
    (out / MANIFEST).write_text(text)
    (tmp_path / "up.yaml").write_text("keep\n")
    with pytest.raises(BadInput, match=f"^{out}/{MANIFEST}: {error}"):
        outputs.write_folder(out, {"a.yaml": "a\n"}, repo)
    assert (out / MANIFEST).read_text() == text and (tmp_path / "up.yaml").exists() and not (out / "a.yaml").exists()


def test_a_manifest_may_list_any_name_inside_its_folder_however_it_sorts(repo):
    out = repo / "deploy"
    odd = {"-x.yaml": "x\n", ".a.yaml": "a\n", "(1).yaml": "1\n", "sub/.bp-manifest.json": "{}\n"}
    assert outputs.write_folder(out, odd, repo) == (4, 0)
    assert outputs.write_folder(out, {"b.yaml": "b\n"}, repo) == (1, 4)
    assert sorted(os.listdir(out)) == [MANIFEST, "b.yaml", "sub"]


def test_a_manifest_that_is_a_link_is_refused(repo, tmp_path):
    out = repo / "deploy"
    out.mkdir()
    (tmp_path / "files.json").write_text('{"files": ["../../files.json"]}')
    (out / MANIFEST).symlink_to(tmp_path / "files.json")
    with pytest.raises(BadInput, match=f"^--out: {out}/{MANIFEST} is a symbolic link, not bp's manifest$"):
        outputs.write_folder(out, {"a.yaml": "a\n"}, repo)


def test_a_run_cut_short_still_lists_every_file_it_may_have_written(repo, monkeypatch):
    out = repo / "deploy"
    outputs.write_folder(out, {"old.yaml": "o\n"}, repo)
    real, written = yaml_io.write_atomic, []

    def write(path, text):
        if Path(path).name == "b.yaml":
            raise BadInput("cannot write: No space left on device; nothing was changed", path)
        written.append(Path(path).name)
        return real(path, text)

    monkeypatch.setattr(yaml_io, "write_atomic", write)
    with pytest.raises(BadInput, match="No space left"):
        outputs.write_folder(out, {"a.yaml": "a\n", "b.yaml": "b\n"}, repo)
    assert _manifest(out) == ["a.yaml", "b.yaml", "old.yaml"] and (out / "old.yaml").exists()
    monkeypatch.undo()
    assert outputs.write_folder(out, {"b.yaml": "b\n"}, repo) == (1, 2)
    assert sorted(os.listdir(out)) == [MANIFEST, "b.yaml"]
