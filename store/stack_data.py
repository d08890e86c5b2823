"""The plain data of stack files, kept by the digest of their bytes, so a fleet read again parses only what changed.

Reading the YAML is most of reading a fleet (rapidyaml, then every node checked against the core schema: about two
thirds of `fleet.stamped.load_fleet`), and what a file reads as is a function of its bytes and of the reader. The data
of every stack file read is kept as JSON in the repository's `.bp-cache/stack-data/` (beside the program-run cache),
keyed by the SHA-256 of the file's bytes, under a digest of the reader's code and library versions: a file whose bytes
changed is read again, nothing is trusted by its date. Only data JSON gives back exactly is kept (a file the full
loader read into dates or other types is read each time), and only data read from the bytes that were hashed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from blueprints import yaml_io
from blueprints.errors import BadInput

KEPT = Path(".bp-cache") / "stack-data" / "data.json"
REWRITE = 0.01
"""Writing the kept data again costs about as much as parsing a seventh of the files: while no more than this share of
them had to be parsed (a stack or two edited), they are parsed again next time instead."""
READERS = ("rapidyaml", "PyYAML", "ruamel.yaml")
"""The libraries `yaml_io.load_data` reads with."""


def _reader() -> str:
    """A digest of what turns a file's bytes into data: yaml_io's code, the YAML libraries, Python."""
    versions = []
    for dist in READERS:
        try:
            versions.append(metadata.version(dist))
        except metadata.PackageNotFoundError:
            versions.append("absent")
    text = Path(yaml_io.__file__).read_bytes() + json.dumps([versions, sys.version]).encode()
    return hashlib.sha256(text).hexdigest()


def _bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _plain(value: Any) -> bool:
    """Whether JSON gives `value` back as it is: str, int, float, bool and None, in lists and str-keyed dicts."""
    if type(value) is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if type(value) is list:
        return all(_plain(item) for item in value)
    return type(value) in (str, int, float, bool, type(None))


class StackData:
    """The data of the stack files of one repository: kept where the bytes are the same, read where not."""

    def __init__(self, repo: Path):
        self.path = Path(repo) / KEPT
        self.reader = _reader()
        self.kept = self._load()
        self.used: dict[str, Any] = {}
        self.parsed = 0

    def _load(self) -> dict[str, Any]:
        try:
            kept = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        ok = isinstance(kept, dict) and kept.get("reader") == self.reader and isinstance(kept.get("data"), dict)
        return kept["data"] if ok else {}

    def read(self, path: Path) -> Any:
        """What `yaml_io.load_data(path)` gives (BadInput as it raises it)."""
        raw = _bytes(path)
        key = hashlib.sha256(raw).hexdigest() if raw is not None else None
        if key in self.kept:
            self.used[key] = self.kept[key]
            return self.kept[key]
        data = yaml_io.load_data(path)  # a file that cannot be read: it says why, naming the file
        self.parsed += 1
        if key is not None and _plain(data) and _bytes(path) == raw:
            self.used[key] = data
        return data

    def keep(self) -> None:
        """Store the data of the files read (only theirs), atomically, once more than REWRITE of them were parsed."""
        if self.parsed <= len(self.used) * REWRITE:
            return
        with contextlib.suppress(OSError, BadInput):  # a repository that cannot be written to is read in full each time
            self.path.parent.mkdir(parents=True, exist_ok=True)
            yaml_io.write_atomic(self.path, json.dumps({"reader": self.reader, "data": self.used}))
