"""A content-hash cache of per-stack fleet results, so an unchanged stack is not run again.

A stack's key covers everything its run reads: the stack file, its catalog entry, the sites map,
the library's code (blueprints, components, engine, policy packs and the stack program), the
versions of Pulumi and its provider SDKs and of Python, and the evaluator's name. Change any
of them and the key changes; nothing is ever invalidated by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from blueprints.catalog import CATALOG_DIR
from engine.fingerprint import code_fingerprint

# The pinned `blueprint: NAME@VERSION` line of a stamped file's request, found without parsing the file:
# the parent computes a key for every stack of the fleet before any runs, so this must cost next to nothing.
_PINNED = re.compile(rb"^ +blueprint: *['\"]?([a-z0-9][a-z0-9-]*)@([0-9][0-9A-Za-z.+-]*)['\"]? *$", re.MULTILINE)


def _catalog_entry(text: bytes) -> bytes:
    """The catalog entry file the stack pins, or nothing when the stack names none (its run will say why)."""
    found = _PINNED.search(text)
    try:
        return (CATALOG_DIR / found[1].decode() / f"{found[2].decode()}.yaml").read_bytes() if found else b""
    except OSError:
        return b""


class ResultCache:
    """Results by content key, one small JSON file each under `folder` (safe for concurrent runs)."""

    def __init__(self, folder: Path, fingerprint: str):
        self.folder = Path(folder)
        self.fingerprint = fingerprint

    def key(self, stack_file: Path) -> str:
        """The content key of one stack's run."""
        text = Path(stack_file).read_bytes()
        entry = _catalog_entry(text)
        return hashlib.sha256(b"\0".join([self.fingerprint.encode(), text, entry])).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored result, or None."""
        try:
            return json.loads(self._path(key).read_text())
        except (OSError, ValueError):
            return None

    def put(self, key: str, result: dict[str, Any]) -> None:
        """Store a result atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(result, sort_keys=True))
        os.replace(tmp, path)


def fleet_cache(repo: Path, sites, name: str, tag: str = "") -> ResultCache:
    """The cache of one fleet evaluation (`preview`, `validate`, `audit`) under the repository's `.bp-cache/name`.

    The sites map in force is part of every key, so `--sites` or an edit to the map runs every stack again; `tag`
    names what else the results depend on (an audit's packs, config and exemptions).
    """
    return ResultCache(Path(repo) / ".bp-cache" / name, code_fingerprint(repo, sites.model_dump_json(), name + tag))
