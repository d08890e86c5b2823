"""What every command needs: the repository, the sites map, and uniform exits and output."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from blueprints.errors import BadInput
from blueprints.free_text import printable


class _Console(Console):
    """Rich exits 1 on a closed pipe by itself; here it is an error like any other, reported by the entry point.

    Every string it prints (a message, a table cell) shows control, bidirectional and invisible characters as escapes:
    text from a stack file or an option must never act on the terminal (rich strips only a few control codes).
    """

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Rich's Text of `text`, with what free text may not hold made visible first."""
        return super().render_str(printable(text), **kwargs)


def _console(stream) -> Console:
    """A console that never turns `:name:` into an emoji and, writing to a pipe or file, never cuts at 80 columns.

    Commands print user text through `escape()` (or rich `Text`), so brackets in it are never markup.
    """
    return _Console(stderr=stream is sys.stderr, emoji=False, highlight=False,
                    width=None if stream.isatty() else 100_000)


console = _console(sys.stdout)
errors = _console(sys.stderr)

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2


def find_repo(start: Path) -> Path | None:
    """The nearest folder upward from `start` that holds Pulumi.yaml."""
    for folder in (start, *start.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    return None


@dataclass
class State:
    """Global options, resolved lazily so `bp --help` does no work."""

    repo_option: Path | None = None
    sites_option: Path | None = None

    @property
    def repo(self) -> Path:
        """The repository the command works on."""
        if self.repo_option is not None:
            if not (self.repo_option / "Pulumi.yaml").is_file():
                raise BadInput("--repo: no Pulumi.yaml in this folder", self.repo_option)
            return self.repo_option.resolve()
        found = find_repo(Path.cwd())
        if found is None:
            raise BadInput("no Pulumi.yaml here or in any parent folder; pass --repo DIR")
        return found

    def found_repo(self) -> Path | None:
        """The repository if there is one; commands that also work outside one use this."""
        try:
            return self.repo
        except BadInput:
            return None

    def sites(self):
        """The sites map in force."""
        from blueprints.sites import load_sites

        return load_sites(self.sites_option)

    def catalog(self):
        """The catalog shipped with the library."""
        from blueprints.catalog import Catalog

        return Catalog()


def state(ctx: typer.Context) -> State:
    """The State the root callback stored."""
    return ctx.find_root().obj or State()


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn BadInput into one line on stderr and exit code 2."""
    try:
        yield
    except BadInput as exc:
        fail(str(exc))
        raise typer.Exit(EXIT_BAD_INPUT) from None


def warn(message: str) -> None:
    """One warning line on stderr; `message` is printed as it is, never as markup."""
    errors.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)


def fail(message: str) -> None:
    """One error line on stderr; `message` is printed as it is, never as markup."""
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)


@contextmanager
def reporting() -> Iterator[None]:
    """What the block prints goes out at its end in one write, then is flushed, so it either fails there or is out.

    A command prints its report inside a change's `confirm` step, before any file of the change is replaced: a full
    or closed output then refuses the change, and a reader that stops early (`| head -1`) still gets all of it.
    """
    with console:  # rich holds every print of the block and writes them at once on the way out
        yield
    sys.stdout.flush()


def print_json(data: Any, sort_keys: bool = False) -> None:
    """Machine output on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=sort_keys, default=str) + "\n")
