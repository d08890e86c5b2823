"""YAML in and out: parse with line numbers for errors, write atomically."""

from __future__ import annotations

import functools
import gc
import io
import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

import ryml
import yaml as pyyaml
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml import resolver as ruamel_resolver
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from yaml.constructor import ConstructorError as PyYamlConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from blueprints.errors import BadInput, field_path, first_error


# Long scalars (image digests, URLs, reasons) stay on one line: whole when grepped, and ruamel and libyaml
# then write the same text, as they fold long lines differently.
LINE_WIDTH = 2**31 - 1


def _not_a_date(node: Any, exc: ValueError) -> str:
    return f"{node.value} is not a date ({exc}); write it as YYYY-MM-DD"


class _NotADate(ConstructorError):
    """A plain scalar shaped like a date that no calendar has; its message needs no "malformed YAML" before it."""


class _CheckedConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor, with an impossible date (2026-02-30, 2026-13-01) a marked error, not a
    ValueError from deep inside it."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError as exc:
            raise _NotADate(None, None, _not_a_date(node, exc), node.start_mark) from None


_CheckedConstructor.add_constructor("tag:yaml.org,2002:timestamp", _CheckedConstructor.construct_yaml_timestamp)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _CheckedConstructor
    yaml.default_flow_style = False
    yaml.width = LINE_WIDTH
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
        problem = exc.problem or exc.context
        raise BadInput(problem if isinstance(exc, _NotADate) else f"malformed YAML: {problem}", path, line) from None
    except YAMLError as exc:
        raise BadInput(f"malformed YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", path) from None


def load(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes BadInput with the file and line."""
    return load_text(read_text(path), path)


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_SCALARS = {f"tag:yaml.org,2002:{kind}" for kind in ("null", "bool", "int", "float", "timestamp")}


def _without_yaml11_scalars(resolvers: dict) -> dict:
    """Implicit resolvers by first character, less YAML 1.1's booleans and numbers (characters left with none dropped)."""
    yaml11 = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
    kept = {first: [(tag, rx) for tag, rx in found if tag not in yaml11] for first, found in resolvers.items()}
    return {first: found for first, found in kept.items() if found}


class _Cycle(Exception):
    """A collection that contains itself through an alias."""


class _CoreLoader(pyyaml.CSafeLoader):
    """libyaml's C parser with YAML 1.2 core-schema scalars, so it reads what ruamel reads.

    YAML 1.1 would turn `on`/`no` into booleans and `0755` or `1:30` into numbers.
    """

    yaml_implicit_resolvers = _without_yaml11_scalars(pyyaml.CSafeLoader.yaml_implicit_resolvers)

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """A node's tag; a plain scalar starting with a character no implicit type starts with is a string at once."""
        if kind is ScalarNode and implicit[0] and value and value[0] not in self.yaml_implicit_resolvers:
            return _STR
        return super().resolve(kind, value, implicit)

    def construct_mapping(self, node: Node, deep: bool = False) -> dict:
        """PyYAML's mapping, refusing a key written twice (PyYAML keeps the last silently); merged keys may be
        overridden, as YAML's merge key intends."""
        if isinstance(node, MappingNode):
            _refuse_duplicates(node)
        return super().construct_mapping(node, deep=deep)

    def construct_document(self, node: Node) -> Any:
        """Scalars, lists and string-keyed maps (all of a stack file) built directly, a third faster than PyYAML's
        general constructor, which still builds the rest: merge keys, other keys, sets, unknown tags, cycles."""
        try:
            return self._plain(node, {}, set())
        except _Cycle:
            return super().construct_document(node)

    def _plain(self, node: Node, built: dict[int, Any], open_: set[int]) -> Any:
        if isinstance(node, ScalarNode) and node.tag == _STR:
            return node.value
        if isinstance(node, ScalarNode) and node.tag in _SCALARS:
            return self.yaml_constructors[node.tag](self, node)
        if id(node) in built:  # an alias: the same object, as PyYAML makes it
            return built[id(node)]
        if id(node) in open_:
            raise _Cycle
        if node.tag == _SEQ and isinstance(node, SequenceNode):
            open_.add(id(node))
            out: Any = [self._plain(item, built, open_) for item in node.value]
        elif node.tag == _MAP and isinstance(node, MappingNode) and all(k.tag == _STR for k, _ in node.value):
            open_.add(id(node))
            out = {k.value: self._plain(v, built, open_) for k, v in node.value}
            if len(out) != len(node.value):
                _refuse_duplicates(node)
        else:
            return super().construct_document(node)
        open_.discard(id(node))
        built[id(node)] = out
        return out


def _refuse_duplicates(node: MappingNode) -> None:
    """A marked error at the second of two equal plain keys of `node` (merge keys `<<` aside)."""
    seen: dict[Any, Node] = {}
    for key, _ in node.value:
        if not isinstance(key, ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue
        if (key.tag, key.value) in seen:
            first = seen[(key.tag, key.value)]
            raise PyYamlConstructorError("while constructing a mapping", first.start_mark,
                                         f'found duplicate key "{key.value}"', key.start_mark)
        seen[(key.tag, key.value)] = key


def _timestamp(loader: "_CoreLoader", node: Node) -> Any:
    try:
        return pyyaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise PyYamlConstructorError(None, None, _not_a_date(node, exc), node.start_mark) from None


_CoreLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Read many files with the cyclic garbage collector paused, then move what was read out of its sight.

    Parsed files form no reference cycles, yet the collector would re-scan everything read so far again and
    again, and after reading, at every collection: a third of the time `bp validate --all` and `bp fleet check`
    took. What they read lives as long as the command, so it goes to the permanent generation (`gc.freeze`,
    as the engine does after imports); it is still freed when no longer referenced.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()


_CORE = _CoreLoader("")
# Anchors, aliases, tags, directives, complex keys and merge keys: a file with any of them takes the full loader.
_BEYOND_PLAIN = re.compile(rb"[&*!%?]|<<")


class _NotPlain(Exception):
    """A value whose reading depends on whether it was quoted, which the fast reader cannot tell."""


@functools.lru_cache(maxsize=4096)
def _ryml_keeps_plain_as_string(text: str) -> bool:
    """Whether rapidyaml's JSON gives `text`, written plain, as a string (as `007`, `~`, `True`), not as 7, null, true."""
    try:
        with _stderr_silenced():
            tree = ryml.parse_in_arena(b"k: " + text.encode())
        return isinstance(json.loads(ryml.emit_json_malloc(tree, tree.root_id()))["k"], str)
    except Exception:  # noqa: BLE001 (rapidyaml cannot read it plain): call it ambiguous
        return True


def _core_reading(value: Any) -> int:
    """How many nodes `value`, as rapidyaml's JSON gives it, holds, once checked against what the core schema reads.

    rapidyaml gives a quoted scalar as a string, and a plain one as a number, `true`, `false` or `null` where it sees
    one. A string the core schema would read as something else when plain ('17' quoted is a string, 17 plain a
    number) is only certain if rapidyaml would have given the plain text as a number; where it too keeps it a string
    (`007`, `~`, `True`, `0x1F`), whether it was quoted is unknown, and the file takes the full loader.
    """
    if type(value) is str:
        if (value and value[0] in _CoreLoader.yaml_implicit_resolvers
                and _CORE.resolve(ScalarNode, value, (True, False)) != _STR and _ryml_keeps_plain_as_string(value)):
            raise _NotPlain
        return 1
    nodes = 1
    if type(value) is dict:
        for key, item in value.items():
            _core_reading(key)
            nodes += _core_reading(item)
    elif type(value) is list:
        for item in value:
            nodes += _core_reading(item)
    return nodes


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """rapidyaml prints a parse error to the process's stderr itself before raising it; here that text would be a
    second, unasked-for report of what the libyaml loader reports next, with its line, in one line."""
    saved = os.dup(2)
    try:
        os.dup2(_DEVNULL, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_DEVNULL = os.open(os.devnull, os.O_WRONLY)


def _fast(raw: bytes) -> Any:
    """A plain YAML file read by rapidyaml (about fifteen times faster than libyaml with PyYAML's constructor)."""
    if _BEYOND_PLAIN.search(raw):
        raise _NotPlain
    with _stderr_silenced():
        tree = ryml.parse_in_arena(raw)
    if tree.is_stream(tree.root_id()):  # `---` documents: rapidyaml gives a list of them, the loaders the one
        raise _NotPlain
    data = json.loads(ryml.emit_json_malloc(tree, tree.root_id()))
    # A key written twice is one tree node more than the JSON object keeps (it keeps the last): such a file, and
    # one whose tree holds more than its document, takes the full loader, which says where the second key is.
    if _core_reading(data) != tree.size():
        raise _NotPlain
    return data


def load_data(path: Path) -> Any:
    """Parse a YAML file fast, as plain data without line marks: what `load` reads, as plain dicts and lists.

    A plain file (all stack files) goes through rapidyaml, anything else through libyaml with core-schema scalars.
    Both refuse what `load` refuses (a key written twice, an impossible date); an error is re-read by `load`, so the
    message is the same whichever reader met it first, and names the line.
    """
    text = read_text(path)
    try:
        return _fast(text.encode())
    except Exception:  # noqa: BLE001 (not plain, or not YAML): the loaders below read it or say where it breaks
        pass
    try:
        return pyyaml.load(text, Loader=_CoreLoader)
    except pyyaml.YAMLError as exc:
        load(path)
        mark = getattr(exc, "problem_mark", None)
        raise BadInput(f"malformed YAML: {getattr(exc, 'problem', None) or exc}", path,
                       mark.line + 1 if mark else None) from None


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
    """Serialise data as block-style YAML, keeping the comments of a document `load` read."""
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue()


class _CoreDumper(pyyaml.CSafeDumper):
    """libyaml's C emitter, quoting a string wherever ruamel's YAML 1.2 reader (`load`) would read something else,
    as `dump` quotes it; the core-schema loader reads no string in fewer places."""

    yaml_implicit_resolvers: dict = {}

    def represent_data(self, data: Any) -> Node:
        """Strings, dicts, lists and None straight to nodes (a shared one is written twice, not anchored); the rest as
        PyYAML does."""
        if type(data) is str:
            return ScalarNode(_STR, data)
        if type(data) is dict:
            return MappingNode(_MAP, [(self.represent_data(k), self.represent_data(v)) for k, v in data.items()],
                               flow_style=False)
        if type(data) is list:
            return SequenceNode(_SEQ, [self.represent_data(item) for item in data], flow_style=False)
        if data is None:
            return ScalarNode("tag:yaml.org,2002:null", "")  # as ruamel writes it: nothing
        return super().represent_data(data)


for _versions, _tag, _regexp, _firsts in ruamel_resolver.implicit_resolvers:
    if (1, 2) in _versions:
        _CoreDumper.add_implicit_resolver(_tag, _regexp, _firsts)


def dump_data(data: Any) -> str:
    """Serialise plain data (dicts, lists, strings, numbers, booleans, None) as block-style YAML, ten times faster
    than `dump`: stamping a fleet writes thousands of stack files.

    The text `dump` writes for a stack file. Elsewhere the two may differ in style, never in what is read back:
    a string with line breaks or leading quotes quoted another way, `1.0e+20` for `1e+20`, `-` for `- `.
    """
    return pyyaml.dump(data, Dumper=_CoreDumper, default_flow_style=False, sort_keys=False, width=LINE_WIDTH,
                       allow_unicode=True)


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and rename, so a reader never sees half a file."""
    with open_atomic(path) as fh:
        fh.write(text)


@contextmanager
def open_atomic(path: Path, before_replace: Callable[[], object] | None = None) -> Iterator[TextIO]:
    """A file to write bit by bit (a streamed report) that appears at `path`, whole, only when the block succeeds.

    `before_replace` runs just before the rename (a check that may raise, so nothing is replaced)."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise BadInput(f"cannot write in {path.parent}: {exc.strerror}", path) from None
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if before_replace is not None:
            before_replace()
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


def _mode_for(path: Path) -> int:
    """The permission bits the file at `path` should have: its own if it exists, else what the umask leaves of 0666.

    A temporary file is created 0600; renamed over a shared file as it is, teammates could no longer read it.
    """
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (setting it would race other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
