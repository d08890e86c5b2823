"""One request from what a person gives `bp new`: a `--from` file, flags over it, `--param NAME=VALUE`, and answers.

The order is fixed: the file, then flags (a flag overrides the file), then answers for required fields still
missing, then parameters (they are checked against the blueprint chosen). Every error names the flag or the file
and line it came from. Asking is not done here: the caller passes `ask`, called for each missing field; without it
(no terminal), a missing field is an error naming its flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from blueprints import free_text, yaml_io
from blueprints.catalog import Catalog
from blueprints.errors import BadInput, field_path, first_error
from blueprints.models import BlueprintRequest
from blueprints.sites import SitesMap

# Required fields, in the order they are asked for; `region` is also satisfied by `site`.
REQUIRED = ("blueprint", "env", "owner", "cost_center", "region")

# Valid values for every required field, so one field's value can be judged on its own.
_SAMPLE = {"team": "placeholder", "env": "dev", "blueprint": "x", "owner": "a@b.cd", "cost_center": "CC-0"}

# `ask(field)`: the fields an answer sets (`region` may be answered with a site instead).
Ask = Callable[[str], dict[str, Any]]


@dataclass
class RequestInput:
    """What a person gave, before merging: flags hold None when not given."""

    team: str
    flags: dict[str, Any] = field(default_factory=dict)
    """Request fields by name (`cost_center`, not `--cost-center`)."""
    data_services: list[str] = field(default_factory=list)
    """`KIND[:SIZE]` items of `--data-service`."""
    params: list[str] = field(default_factory=list)
    """`NAME=VALUE` items of `--param`."""
    from_file: Path | None = None
    """The `--from` request file."""


def flag(field_name: str) -> str:
    """The flag (or argument) a request field comes from: `cost_center` -> `--cost-center`, `team` -> TEAM."""
    name = field_name.split(".")[0].split("[")[0]
    return "TEAM" if name == "team" else "--" + name.replace("_", "-")


def build(given: RequestInput, catalog: Catalog, ask: Ask | None = None) -> BlueprintRequest:
    """The request: file, flags, answers and parameters merged; BadInput naming the flag or file:line otherwise."""
    fields = request_file(given.from_file) if given.from_file else {}
    fields.update({k: v for k, v in {"team": given.team, **given.flags}.items() if v is not None})
    if given.data_services:
        fields["data_services"] = data_services(given.data_services)
    for name in missing(fields):
        if ask is None:
            what = "--region or --site" if name == "region" else flag(name)
            raise BadInput(f"{what} is required (no terminal to prompt on)")
        fields.update(ask(name))
    if given.params:
        fields["parameters"] = parameters(given.params, catalog, str(fields["blueprint"]), fields.get("parameters"))
    try:
        return BlueprintRequest.model_validate(fields)
    except ValidationError as exc:
        loc, msg = first_error(exc)
        raise BadInput(f"{flag(field_path(loc))} ({field_path(loc)}): {msg}") from None


def missing(fields: dict[str, Any]) -> list[str]:
    """Required fields not given, in the order they are asked for."""
    return [name for name in REQUIRED if not fields.get(name) and not (name == "region" and fields.get("site"))]


def request_file(path: Path) -> dict[str, Any]:
    """The fields of a `--from` file, each checked on its own so an error points at its line."""
    data = yaml_io.load(path)
    if not isinstance(data, dict):
        raise BadInput("expected a mapping of request fields (see `bp schema`)", path, 1)
    try:
        BlueprintRequest.model_validate({**_SAMPLE, **data})
    except ValidationError as exc:
        loc, msg = first_error(exc)
        raise BadInput(f"{field_path(loc)}: {msg}", path, yaml_io.line_of(data, loc)) from exc
    return dict(data)


def data_services(specs: list[str]) -> list[dict[str, str]]:
    """`--data-service KIND[:SIZE]` items as request entries."""
    out = []
    for spec in specs:
        kind, _, size = spec.partition(":")
        out.append({"kind": kind, **({"size": size} if size else {})})
    return out


def parameters(items: list[str], catalog: Catalog, blueprint: str, given: dict | None = None) -> dict[str, Any]:
    """`--param NAME=VALUE` items over the file's parameters, each a declared parameter of `blueprint`, typed."""
    entry = catalog.get(blueprint)
    params = dict(given or {})
    free_text.distinct((item.partition("=")[0] for item in items), "--param")
    for item in items:
        name, sep, text = item.partition("=")
        if not sep:
            raise BadInput(f"--param: '{item}' is not NAME=VALUE")
        if name not in entry.parameters:
            known = ", ".join(entry.parameters) or "none"
            raise BadInput(f"--param {name}: not a parameter of {entry.ref} (declared: {known})")
        declared = entry.parameters[name]
        try:
            params[name] = declared.check(name, declared.from_text(name, text))
        except BadInput as exc:
            raise BadInput(str(exc).replace(f"parameters.{name}:", f"--param {name}:", 1)) from None
    return params


def answer_problem(field_name: str, value: str, catalog: Catalog, sites: SitesMap) -> str | None:
    """What is wrong with one answer to a prompt on its own, or None: a wrong answer is asked again."""
    try:
        if field_name == "blueprint":
            catalog.get(value)
        elif field_name == "region" and value and value not in {r.name for r in sites.regions}:
            raise BadInput(f"unknown region '{value}' (known: {', '.join(r.name for r in sites.regions)})")
        elif field_name == "site" and value not in {dc.name for _, dc in sites.data_centers()}:
            raise BadInput(f"unknown site '{value}' (see `bp sites list`)")
    except BadInput as exc:
        return str(exc).removeprefix("blueprint: ")
    if field_name in ("region", "site"):
        return None
    try:
        BlueprintRequest.model_validate({**_SAMPLE, field_name: value})
    except ValidationError as exc:
        loc, msg = first_error(exc)
        return msg if loc and loc[0] == field_name else None
    return None
