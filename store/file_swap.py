"""Replace several files at once, all or nothing: every new text is written aside first, then swapped in.

Writing a text can fail (a full disk, a read-only folder); a rename within one folder, and a hard link beside
the old file, need no data blocks. So every new text is first written to a staged file beside its target (with
`yaml_io.write_atomic`, fsynced), the old file is kept under a hard link, and only then are the staged files
renamed over their targets. A failure while staging changes nothing; a failure while swapping renames the kept
old files back. Either way the error says exactly which files are as they were.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from blueprints.errors import BadInput

STAGED = ".bp-new"
KEPT = ".bp-old"


@dataclass
class _Slot:
    """One file of the swap: where it goes, its staged new text and its kept old file."""

    path: Path
    staged: Path
    kept: Path | None = None
    swapped: bool = False


def _aside(path: Path, suffix: str) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}{suffix}")


def _writer_gone(aside: Path) -> bool:
    """Whether the process that wrote `aside` (its pid is in the name) no longer runs: it was interrupted."""
    pid = aside.name.rsplit(".", 2)[-2]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process runs under that pid
        return False
    return False


def interrupted(folder: Path, suffix: str = KEPT) -> list[Path]:
    """The aside files (`suffix`) in `folder` left by a change whose process was killed before it cleaned up.

    A kept old file (`.bp-old`) means the swap may have stopped half way: it holds the text its target had before.
    """
    return sorted(p for p in folder.glob(f".*{suffix}") if _writer_gone(p))


def _sweep_staged(folders: set[Path]) -> None:
    """Remove new texts an interrupted change staged and never swapped in (they were never the repository's)."""
    for folder in folders:
        for leftover in interrupted(folder, STAGED):
            leftover.unlink(missing_ok=True)


class _WriteFailed(Exception):
    """Writing or swapping in one file failed, for the reason given."""

    def __init__(self, path: Path, reason: str):
        super().__init__(reason)
        self.path, self.reason = path, reason


def _stage(path: Path, text: str) -> _Slot:
    from blueprints import yaml_io  # here: `interrupted` is asked by commands that must not load the YAML libraries

    slot = _Slot(path, _aside(path, STAGED))
    try:
        yaml_io.write_atomic(slot.staged, text)
        if path.exists():  # the new text takes the file's mode, as an edit in place would keep it
            shutil.copymode(path, slot.staged)
    except BadInput as exc:
        cause = exc.__context__
        raise _WriteFailed(path, getattr(cause, "strerror", None) or str(exc)) from None
    except OSError as exc:  # the text may be written (its mode not copied, its file gone meanwhile): not left behind
        slot.staged.unlink(missing_ok=True)
        raise _WriteFailed(path, exc.strerror or str(exc)) from None
    return slot


# Where a filesystem has no hard links, the old file is kept by copying it instead.
NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}


def _swap_in(slot: _Slot) -> None:
    if slot.path.exists():
        slot.kept = _aside(slot.path, KEPT)
        slot.kept.unlink(missing_ok=True)
        try:
            os.link(slot.path, slot.kept)
        except OSError as exc:
            if exc.errno not in NO_LINKS:
                raise
            shutil.copy2(slot.path, slot.kept)
    os.replace(slot.staged, slot.path)
    slot.swapped = True


def _restore(slots: list[_Slot]) -> list[_Slot]:
    """Put back the old file of every swapped slot; the slots that could not be put back."""
    lost = []
    for slot in reversed(slots):
        if not slot.swapped:
            continue
        try:
            if slot.kept is not None:
                os.replace(slot.kept, slot.path)
                slot.kept = None
            else:
                slot.path.unlink()
        except OSError:
            lost.append(slot)
    return lost


def _clean(slots: list[_Slot], keep: list[_Slot] = ()) -> None:
    """Remove staged and kept files; a file that could not be put back keeps its old text beside it."""
    for slot in slots:
        for leftover in (slot.staged, None if slot in keep else slot.kept):
            if leftover is not None:
                leftover.unlink(missing_ok=True)


def _names(paths: list[Path]) -> str:
    return ", ".join(p.name for p in paths)


def replace_files(texts: Mapping[Path, str], confirm: Callable[[], None] | None = None) -> list[Path]:
    """Give every path its new text, or leave every one as it was; `confirm` runs once all are staged.

    `confirm` is the last step that may fail before anything changes (a command prints its report there, so a
    closed or full output refuses the change rather than following it). BadInput says what was changed.
    """
    slots: list[_Slot] = []
    try:
        _stage_confirm_swap(texts, confirm, slots)
    except BaseException as exc:
        _undo(slots, exc)
        raise
    _clean(slots)
    return [s.path for s in slots]


def _stage_confirm_swap(texts: Mapping[Path, str], confirm: Callable[[], None] | None, slots: list[_Slot]) -> None:
    """Stage every text (appending each slot to `slots` as it is made), confirm, then swap each file in."""
    _sweep_staged({Path(path).parent for path in texts})
    for path, text in texts.items():
        slots.append(_stage(Path(path), text))
    if confirm is not None:
        try:
            confirm()
        except BrokenPipeError:
            raise  # the reader went away: the caller reports a closed output as such
        except OSError as exc:
            raise _WriteFailed(Path("output"), f"cannot write the report: {exc.strerror or exc}") from None
    for slot in slots:
        try:
            _swap_in(slot)
        except OSError as exc:
            raise _WriteFailed(slot.path, exc.strerror or str(exc)) from None


def _undo(slots: list[_Slot], exc: BaseException) -> None:
    """Put back every file swapped in; BadInput saying what could not be put back, or what failed (else returns)."""
    swapped = [s.path for s in slots if s.swapped]
    lost = _restore(slots)
    _clean(slots, keep=lost)
    if lost:
        back = [p for p in swapped if p not in {s.path for s in lost}]
        olds = ", ".join(f"{s.path.name} in {s.kept.name}" for s in lost if s.kept is not None)
        raise BadInput(f"{_names([s.path for s in lost])} already rewritten and could not be put back"
                       f"{f' ({_names(back)} put back)' if back else ''}: {exc}; "
                       f"{f'the old text of {olds}; ' if olds else ''}compare with git before going on") from None
    if isinstance(exc, _WriteFailed):
        back = f"{_names(swapped)} put back; " if swapped else ""
        reason = exc.reason if exc.reason.startswith("cannot") else f"cannot write: {exc.reason}"
        raise BadInput(f"{reason}; {back}nothing was changed", exc.path) from None
