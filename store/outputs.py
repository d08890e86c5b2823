"""Where a command writes at the user's word (`--output FILE`, `--out DIR`): only over what bp wrote itself.

A report replaces its file atomically, so the path must be a regular file or nothing yet: renamed over a device,
a FIFO, a socket or a symbolic link, it would replace that (as root, `--output /dev/null` would replace /dev/null).
A generated folder lists what bp wrote in it (MANIFEST), and a later run replaces or removes those files only,
never anything found by a glob: a user's own file there is kept, and a folder of stack files is refused whole.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TextIO

from blueprints import yaml_io
from blueprints.errors import BadInput

STDOUT = "-"
MANIFEST = ".bp-manifest.json"

_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))


def _not_regular(path: Path) -> str | None:
    """What `path` is when it exists and is not a regular file (a link is not followed); None otherwise."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"not reachable ({exc.strerror})"
    return next((kind for test, kind in _KINDS if test(mode)), None)


def output_file(path: Path | None, option: str = "--output") -> Path | None:
    """The report file named by `option`, checked before any work; None for stdout (no option, or `-`).

    BadInput when the path is anything but a regular file or nothing yet, or its folder is missing.
    """
    if path is None or str(path) == STDOUT:
        return None
    kind = _not_regular(path)
    if kind:
        raise BadInput(f"{option}: {path} is {kind}; bp writes reports to a regular file only (or - for stdout)")
    if not Path(path).parent.is_dir():
        raise BadInput(f"{option}: {path}: no folder {Path(path).parent}")
    return Path(path)


def write_file(path: Path, text: str, option: str = "--output") -> None:
    """Write a report to `path` atomically, checked again just before."""
    yaml_io.write_atomic(output_file(path, option), text)


@contextmanager
def open_file(path: Path, option: str = "--output") -> Iterator[TextIO]:
    """A report file written bit by bit that appears at `path` whole; the path is checked again before it does."""
    output_file(path, option)
    with yaml_io.open_atomic(path, before_replace=lambda: output_file(path, option)) as fh:
        yield fh


def write_folder(out: Path, files: dict[str, str], repo: Path, option: str = "--out") -> tuple[int, int]:
    """Write `files` (relative path -> text) into `out` and remove what bp wrote there before and no longer writes.

    Refused before anything is written: `out` is the repository, a Pulumi project or holds stack files; a file to
    write exists and is not in the folder's manifest; a path is a link, a folder or a device. Returns (written,
    removed).
    """
    out = Path(out)
    _check_folder(out, files, repo, option)
    before = _manifest(out, option)
    _check_files(out, files, before, option)
    for folder in sorted({(out / name).parent for name in files}):
        folder.mkdir(parents=True, exist_ok=True)
    # Listed first as well, so a run cut short still owns every file it may have left behind.
    _write_manifest(out, sorted(before | set(files)))
    for name, text in files.items():
        yaml_io.write_atomic(out / name, text)
    removed = 0
    for name in sorted(before - set(files)):
        if not _through_link(out, name) and _not_regular(out / name) is None and (out / name).exists():
            (out / name).unlink()
            removed += 1
    _write_manifest(out, sorted(files))
    return len(files), removed


def _check_files(out: Path, files: dict[str, str], before: set[str], option: str) -> None:
    """Refuse to write a file through a link, over anything but a regular file, or over a file bp did not write."""
    for name in files:
        kind = "inside a symbolic link" if _through_link(out, name) else _not_regular(out / name)
        if kind:
            raise BadInput(f"{option}: {out / name} is {kind}; bp replaces only files it wrote")
        if name not in before and os.path.lexists(out / name):
            raise BadInput(f"{option}: {out / name} exists and bp did not write it (it is not in {out / MANIFEST}); "
                           "move it away or choose another folder")


def _check_folder(out: Path, files: dict[str, str], repo: Path, option: str) -> None:
    """Refuse a folder that is not one, is the repository, or holds a Pulumi project or stack files."""
    kind = _not_regular(out)
    if kind and not out.is_dir():  # a folder, or a link to one (is_dir follows links)
        raise BadInput(f"{option}: {out} is {kind}, not a folder")
    if out.exists() and out.resolve() == Path(repo).resolve():
        raise BadInput(f"{option}: {out} is the repository itself; choose a folder of its own (e.g. deploy)")
    for folder in {out, *((out / name).parent for name in files)}:
        if folder.is_dir() and ((folder / "Pulumi.yaml").is_file() or next(folder.glob("Pulumi.*.yaml"), None)):
            raise BadInput(f"{option}: {folder} holds a Pulumi project or stack files; choose a folder of its own")


def _manifest(out: Path, option: str) -> set[str]:
    """The files an earlier run wrote in `out`: none without a manifest; only plain relative paths inside `out`."""
    path = out / MANIFEST
    if not os.path.lexists(path):
        return set()
    kind = _not_regular(path)
    if kind:
        raise BadInput(f"{option}: {path} is {kind}, not bp's manifest")
    try:
        names = json.loads(yaml_io.read_text(path))["files"]
    except (ValueError, KeyError, TypeError):
        raise BadInput("not a manifest bp wrote (a JSON object with a list 'files'); remove it", path) from None
    if not isinstance(names, list) or not all(isinstance(n, str) and _inside(n) for n in names):
        raise BadInput("'files' must list relative paths inside the folder; remove it", path)
    return set(names)


def _through_link(out: Path, name: str) -> bool:
    """Whether a folder between `out` and its file `name` is a symbolic link (it may lead anywhere)."""
    folder = out
    for part in PurePosixPath(name).parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            return True
    return False


def _inside(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts and name != MANIFEST


def _write_manifest(out: Path, names: list[str]) -> None:
    text = json.dumps({"written_by": "bp", "files": names}, indent=2) + "\n"
    yaml_io.write_atomic(out / MANIFEST, text)
