"""Edit one config key of a stack file, keeping every other key and comment (ruamel round trip)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from blueprints import yaml_io
from blueprints.errors import BadInput


def set_config(path: Path, key: str, value: Any | None) -> str:
    """The file's new text with `config.<key>` set (or removed for None); nothing is written."""
    doc = yaml_io.load(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise BadInput("no 'config' mapping; not a stamped stack file", path)
    if value is None:
        doc["config"].pop(key, None)
    else:
        # Plain JSON types, so the YAML carries no Python tags.
        doc["config"][key] = json.loads(json.dumps(value, default=str))
    return yaml_io.dump(doc)
