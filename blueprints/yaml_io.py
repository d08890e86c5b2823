"""YAML in and out: parse with line numbers for errors, write atomically."""

from __future__ import annotations

import io
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, TextIO

import yaml as pyyaml
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from blueprints.errors import BadInput, field_path, first_error


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 120
    return yaml


def read_text(path: Path) -> str:
    """A UTF-8 text file's content; unreadable or undecodable files become BadInput naming the file."""
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise BadInput("is a folder, not a file", path) from None
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror}", path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadInput(f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8", path, line) from None
    if "\0" in text:
        raise BadInput("is a binary file, not text", path, text.count("\n", 0, text.index("\0")) + 1)
    return text


def load_text(text: str, path: Path) -> Any:
    """Parse YAML text read from `path`; a syntax error becomes BadInput with the file and line."""
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise BadInput(f"malformed YAML: {exc.problem or exc.context}", path, line) from None
    except YAMLError as exc:
        raise BadInput(f"malformed YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", path) from None


def load(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes BadInput with the file and line."""
    return load_text(read_text(path), path)


class _CoreLoader(pyyaml.CSafeLoader):
    """libyaml's C parser with YAML 1.2 core-schema scalars, so it reads what ruamel reads.

    YAML 1.1 would turn `on`/`no` into booleans and `0755` or `1:30` into numbers.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in {
            "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}]
        for first, resolvers in pyyaml.CSafeLoader.yaml_implicit_resolvers.items()
    }


_CoreLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_CoreLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
_CoreLoader.add_constructor(
    "tag:yaml.org,2002:int", lambda loader, node: int(loader.construct_scalar(node).replace("+", ""), 0 if "x" in node.value else 10)
)
_CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


def load_data(path: Path) -> Any:
    """Parse a YAML file fast, as plain data without line marks (the C loader reads a stack file ~20x faster).

    A syntax error is re-read by `load`, so the message still names the line.
    """
    text = read_text(path)
    try:
        return pyyaml.load(text, Loader=_CoreLoader)
    except pyyaml.YAMLError:
        return load(path)


def line_of(data: Any, loc: tuple) -> int | None:
    """The 1-based line of the deepest node of `loc` that the parsed document still holds."""
    line = None
    node = data
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if lc is not None:
                pos = lc.key(key) if isinstance(key, str) else lc.item(key)
                line = pos[0] + 1
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
    return line


def _loc_in_message(msg: str) -> tuple[tuple, str]:
    """A whole-model check names its field in its message (`spec.items[0]: ...`); make that the location."""
    match = re.match(r"^([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*): (.*)$", msg)
    if not match:
        return (), msg
    parts = re.findall(r"[A-Za-z_][\w-]*|\[\d+\]", match[1])
    return tuple(int(p[1:-1]) if p.startswith("[") else p for p in parts), match[2]


def parse(model: type[BaseModel], data: Any, path: Path, prefix: tuple = ()) -> Any:
    """Validate parsed YAML (the node at `prefix` of the file) into `model`; an error names the file, line and field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        loc, msg = first_error(exc)
        if not loc:
            loc, msg = _loc_in_message(msg)
        full = prefix + loc
        where = f"{field_path(full)}: " if full else ""
        # Data from `load_data` carries no line marks: read the file again with them.
        line = line_of(data, loc) if hasattr(data, "lc") else line_of(load(path), full)
        raise BadInput(f"{where}{msg}", path, line) from exc


def dump(data: Any) -> str:
    """Serialise plain data as block-style YAML."""
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and rename, so a reader never sees half a file."""
    with open_atomic(path) as fh:
        fh.write(text)


@contextmanager
def open_atomic(path: Path) -> Iterator[TextIO]:
    """A file to write bit by bit (a streamed report) that appears at `path`, whole, only when the block succeeds."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise BadInput(f"cannot write in {path.parent}: {exc.strerror}", path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, BrokenPipeError):  # stdout closed while the block wrote there too: not this file's fault
            raise
        raise BadInput(f"cannot write: {exc.strerror}; nothing was changed", path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
