"""The limits AWS states in its own API models, read from botocore's service models at run time.

Each shape of a service model may carry `min`, `max`, `pattern` and `enum`; a request that breaks one is refused
by the API (or by the SDK's parameter validation) before anything is created. Reading them here keeps the numbers
where AWS maintains them instead of copying them into a table that goes stale.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
import regex  # botocore's patterns are Java regexes with \p{L}-style classes, which `re` cannot read


@dataclass(frozen=True)
class Limits:
    """The constraints of one botocore shape, and where they were read."""

    source: str
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()

    def refuses(self, value: Any) -> str | None:
        """Why the API refuses `value` (a string, number, list or map), or None when it accepts it."""
        if isinstance(value, (list, dict, str)):
            problem = self._length(len(value), "" if isinstance(value, str) else " items")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            problem = self._bounds(value)
        else:
            problem = None
        return problem or (self._text(value) if isinstance(value, str) else None)

    def _length(self, size: int, items: str) -> str | None:
        """A string's length or a collection's size against min and max (botocore states both the same way)."""
        if self.min is not None and size < self.min:
            return f"fewer than {self.min}{items}" if items else f"shorter than {self.min}"
        if self.max is not None and size > self.max:
            return f"more than {self.max}{items}" if items else f"longer than {self.max}"
        return None

    def _bounds(self, value: float) -> str | None:
        if self.min is not None and value < self.min:
            return f"less than {self.min}"
        if self.max is not None and value > self.max:
            return f"more than {self.max}"
        return None

    def _text(self, value: str) -> str | None:
        if self.pattern and not _compiled(self.pattern).fullmatch(value):
            bad = _first_outside(self.pattern, value)
            return f"does not match {self.pattern}" + (f" (character {bad!r})" if bad else "")
        if self.enum and value not in self.enum:
            return f"not one of {', '.join(self.enum)}"
        return None


# Java's shorthand classes are ASCII while its \p{...} classes are Unicode; one ASCII flag would make \p{L} ASCII too
# (a tag value "Équipe" refused offline that AWS accepts), so each shorthand is spelt out as Java reads it. regex's
# V1 reads a set inside a set, as Java does, so the spelt-out class is right inside brackets and outside them.
_JAVA_SHORTHANDS = {"w": "[a-zA-Z0-9_]", "W": "[^a-zA-Z0-9_]", "d": "[0-9]", "D": "[^0-9]",
                    "s": r"[\t\n\x0b\f\r ]", "S": r"[^\t\n\x0b\f\r ]"}
_ESCAPE = regex.compile(r"\\(.)", regex.DOTALL)  # read left to right: an escaped backslash is one escape, not two


@cache
def _compiled(pattern: str) -> regex.Pattern:
    body = pattern.removeprefix("^").removesuffix("$")
    return regex.compile(_ESCAPE.sub(lambda m: _JAVA_SHORTHANDS.get(m[1], m[0]), body), regex.V1)


def _first_outside(pattern: str, value: str) -> str | None:
    """The first character no match of a one-character-class pattern accepts, to name in a message."""
    body = pattern.removeprefix("^").removesuffix("$").strip("()")
    if not (body.startswith("[") and body.rstrip("+*").endswith("]")):
        return None
    single = _compiled(body.rstrip("+*"))
    return next((c for c in value if not single.fullmatch(c)), None)


class _JsonFiles:
    """botocore's model file reader (`exists` and `load_file` of its JSONFileLoader: `.json`, then `.json.gz`), parsing
    with orjson: the same data, as plain dicts, in under half the time of json with OrderedDicts (most of reading
    EC2's model). Every service model botocore ships reads the same both ways."""

    OPENERS = ((".json", open), (".json.gz", gzip.open))

    def exists(self, file_path: str) -> bool:
        return any(os.path.isfile(file_path + ext) for ext, _ in self.OPENERS)

    def load_file(self, file_path: str) -> Any:
        for ext, opener in self.OPENERS:
            if os.path.isfile(file_path + ext):
                with opener(file_path + ext, "rb") as file:
                    return orjson.loads(file.read())
        return None


@cache
def _loader():
    from botocore.loaders import create_loader

    loader = create_loader(os.environ.get("AWS_DATA_PATH"))
    loader.file_loader = _JsonFiles()
    return loader


@cache
def _service(name: str):
    """A service's model as a botocore session gives it (from the session's data path, AWS_DATA_PATH; no handler of
    the session's changes a model), without importing the session and client machinery a model does not need."""
    from botocore.model import ServiceModel

    return ServiceModel(_loader().load_service_model(name, "service-2"), service_name=name)


def _limits(shape, source: str) -> Limits:
    meta = shape.metadata
    return Limits(source=source, min=meta.get("min"), max=meta.get("max"), pattern=meta.get("pattern"),
                  enum=tuple(getattr(shape, "enum", None) or ()))


@cache
def member(service: str, operation: str, path: str) -> Limits:
    """The limits of an operation's input member, e.g. ('iam', 'CreateRole', 'RoleName')."""
    shape = _service(service).operation_model(operation).input_shape
    for part in path.split("."):
        shape = shape.members[part]
    return _limits(shape, f"botocore {service} {operation}.{path}")


@cache
def shape(service: str, name: str) -> Limits:
    """The limits of a named shape of a service model, e.g. ('ec2', 'LaunchTemplateName')."""
    return _limits(_service(service).shape_for(name), f"botocore {service} shape {name}")


@dataclass(frozen=True)
class TagLimits:
    """How many tags, and which keys and values, one service's API accepts."""

    count: Limits
    key: Limits
    value: Limits


@cache
def tags(service: str, operation: str, path: str) -> TagLimits:
    """The tag limits of an operation's tags member: a map (key -> value) or a list of Key/Value structures."""
    model = _service(service).operation_model(operation).input_shape.members[path]
    where = f"botocore {service} {operation}.{path}"
    if model.type_name == "map":
        key, value = model.key, model.value
    else:
        fields = model.member.members
        key = fields.get("Key") or fields["TagKey"]
        value = fields.get("Value") or fields["TagValue"]
    return TagLimits(_limits(model, where), _limits(key, f"{where} key"), _limits(value, f"{where} value"))
