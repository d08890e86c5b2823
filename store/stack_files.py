"""The stamped `stacks/Pulumi.<team>-<env>.yaml` files: read, list and write them safely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from blueprints import free_text, yaml_io
from blueprints.errors import BadInput
from blueprints.plan import PlanError, decide
from blueprints.resolved import CONFIG_KEY, ResolvedBlueprint
from blueprints.sites import Fleet

# Where the files are lives in stack_paths (no models imported); the many callers that read them too ask here.
from store.stack_paths import list_stack_files, named_stack_file, stack_name, stack_path, stacks_dir, stacks_folder  # noqa: F401

LEGACY_FLEET = "fleet"
"""The key under which stack files stamped before decisions copied the sites map's fleet tables."""

CREDENTIALED_PACKAGES = ("aws", "kubernetes", "vsphere")

HEADER = """\
# Stamped by `bp new` from {ref}: the resolved blueprint for stack {stack}.
# Review it in a pull request; change it with `bp new ... --force`, not by hand.
"""


def read_stack(path: Path) -> ResolvedBlueprint:
    """The resolved blueprint of a stack file; BadInput names the file, line and field."""
    return stack_in(path, yaml_io.load_data(path))


def read_named(repo: Path, names: list[str]) -> list[ResolvedBlueprint]:
    """The stacks named (as `team-env` or a path to a stack file), each once: a stack named twice is refused."""
    chosen = [read_stack(named_stack_file(repo, name)) for name in names]
    free_text.distinct((bp.stack for bp in chosen), "STACKS")
    return chosen


def stack_in(path: Path, data: Any) -> ResolvedBlueprint:
    """The resolved blueprint in the parsed `data` of the stack file at `path` (for callers that read more of it)."""
    body = _body(path, data)
    if isinstance(body, dict) and LEGACY_FLEET in body and "decisions" not in body:
        raise BadInput(f"{LEGACY_FLEET}: the file copies the sites map's fleet tables instead of recording decisions; "
                       "`bp stacks migrate` rewrites it, changing no built value", path)
    return _checked(path, yaml_io.parse(ResolvedBlueprint, body, path, prefix=("config", CONFIG_KEY)))


def legacy_in(path: Path, data: Any) -> ResolvedBlueprint | None:
    """A file stamped before decisions, with the decisions its own recorded fleet tables give; None if not one.

    The decisions come from the tables the file holds, not from today's sites map, so what it builds is unchanged.
    """
    body = _body(path, data)
    if not isinstance(body, dict) or LEGACY_FLEET not in body or "decisions" in body:
        return None
    rest = {key: value for key, value in body.items() if key != LEGACY_FLEET}
    fleet = yaml_io.parse(Fleet, body[LEGACY_FLEET], path, prefix=("config", CONFIG_KEY, LEGACY_FLEET))
    undecided = yaml_io.parse(ResolvedBlueprint, {**rest, "decisions": {}}, path, prefix=("config", CONFIG_KEY))
    try:
        decided = undecided.model_copy(update={"decisions": decide(undecided, fleet)})
    except PlanError as exc:
        raise BadInput(str(exc), path) from None
    return _checked(path, decided)


def _body(path: Path, data: Any) -> Any:
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict) or CONFIG_KEY not in data["config"]:
        raise BadInput(f"no '{CONFIG_KEY}' under 'config'; not a stamped stack file", path)
    return data["config"][CONFIG_KEY]


def _checked(path: Path, resolved: ResolvedBlueprint) -> ResolvedBlueprint:
    if resolved.stack != stack_name(path):
        raise BadInput(f"holds stack {resolved.stack}; the file must be Pulumi.{resolved.stack}.yaml", path)
    return resolved


def read_all(repo: Path) -> list[ResolvedBlueprint]:
    """Every stack of the repository."""
    with yaml_io.collector_paused():
        return [read_stack(p) for p in list_stack_files(repo)]


def read_each(repo: Path) -> tuple[list[ResolvedBlueprint], dict[str, BadInput]]:
    """Every stack that reads cleanly, and the error of each one that does not, by stack name."""
    good, broken = [], {}
    with yaml_io.collector_paused():
        for path in list_stack_files(repo):
            try:
                good.append(read_stack(path))
            except BadInput as exc:
                broken[stack_name(path)] = exc
    return good, broken


def config_of(resolved: ResolvedBlueprint) -> dict:
    """The stack's Pulumi config, as the CLI would pass it to the program."""
    return {CONFIG_KEY: resolved.model_dump(mode="json", exclude_none=True)}


def render(resolved: ResolvedBlueprint) -> str:
    """The stack file's text."""
    config = {
        # Resources that reach an account, a vCenter or a cluster must use the providers the
        # program builds for its placement; random holds no credentials and keeps its default.
        "pulumi:disable-default-providers": list(CREDENTIALED_PACKAGES),
        **json.loads(json.dumps(config_of(resolved))),
    }
    return HEADER.format(ref=resolved.blueprint_ref, stack=resolved.stack) + yaml_io.dump_data({"config": config})


def _block_end(data, config, lines: list[str], start: int) -> int:
    """The line after the blueprint key's value: the next key of `config`, else the next top-level key."""
    for keys, mapping in ((list(config), config), (list(data), data)):
        anchor = CONFIG_KEY if mapping is config else "config"
        after = keys[keys.index(anchor) + 1:]
        if after:
            end = mapping.lc.key(after[0])[0]
            break
    else:
        end = len(lines)
    # Comments and blank lines just before the next key belong to it.
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def render_update(path: Path, old_text: str, resolved: ResolvedBlueprint) -> str:
    """The stack file with only its blueprint key replaced: every other key and comment kept byte for byte."""
    data = yaml_io.load_text(old_text, path)
    config = data["config"]
    start, col = config.lc.key(CONFIG_KEY)
    lines = old_text.splitlines(keepends=True)
    # A rewrite replaces whole lines: in a flow mapping (`config: {...}`) or after an explicit `? ` the key's lines
    # also hold brackets, other keys or the mark, which it would drop.
    if config.fa.flow_style() or lines[start][:col].strip():
        raise BadInput(f"'{CONFIG_KEY}' is not a block key on a line of its own ('config' in flow style or a '? ' "
                       "key); cannot rewrite it in place", path, start + 1)
    end = _block_end(data, config, lines, start)
    block = yaml_io.dump_data({CONFIG_KEY: config_of(resolved)[CONFIG_KEY]})
    block = "".join(" " * col + line if line.strip() else line for line in block.splitlines(keepends=True))
    head = lines[:start]
    stamped_by = HEADER.splitlines(keepends=True)[0].split("{")[0]
    if head and head[0].startswith(stamped_by):
        head[0] = HEADER.format(ref=resolved.blueprint_ref, stack=resolved.stack).splitlines(keepends=True)[0]
    return "".join(head) + block + "".join(lines[end:])


def write_stack(repo: Path, resolved: ResolvedBlueprint, force: bool = False) -> Path:
    """Write the stack file atomically; an existing one is changed only with `force`, and then only its blueprint key."""
    stacks_folder(repo)
    path = stack_path(repo, resolved.stack)
    if path.exists() and not force:
        raise BadInput(f"{path.name} exists; pass --force to replace it", path)
    text = render_update(path, yaml_io.read_text(path), resolved) if path.exists() else render(resolved)
    yaml_io.write_atomic(path, text)
    return path
