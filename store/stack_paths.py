"""Where stack files are: the stacks folder, a stack's file and name, the files there are.

Kept apart from `stack_files` (which reads them into models) so that a command that only needs to know where the
files are, such as `bp validate STACK` answered from the fleet check's cache (fleet/checked.py), does not import the
models.
"""

from __future__ import annotations

from pathlib import Path

from blueprints.errors import BadInput

LEDGER_NAME = "allocations.txt"
"""The allocation ledger's file in the stacks folder (store/ledger.py)."""


def stacks_dir(repo: Path) -> Path:
    """Where stack files live (Pulumi.yaml's stackConfigDir)."""
    return Path(repo) / "stacks"


def stacks_folder(repo: Path) -> Path:
    """The stacks folder, or BadInput when it is missing or is not a folder."""
    folder = stacks_dir(repo)
    if folder.is_file():
        raise BadInput("is a file; a folder of stack files is expected here", folder)
    if not folder.is_dir():
        raise BadInput("missing: the repository needs a stacks/ folder beside Pulumi.yaml", folder)
    return folder


def stack_path(repo: Path, stack: str) -> Path:
    """The file of one stack."""
    return stacks_dir(repo) / f"Pulumi.{stack}.yaml"


def stack_name(path: Path) -> str:
    """`Pulumi.payments-prod.yaml` -> `payments-prod`."""
    return Path(path).name.removeprefix("Pulumi.").removesuffix(".yaml")


def list_stack_files(repo: Path) -> list[Path]:
    """Every stack file in the repository, sorted."""
    return sorted(stacks_folder(repo).glob("Pulumi.*.yaml"))


def named_stack_file(repo: Path, name: str) -> Path:
    """The file of a stack named as `team-env` or by its path; BadInput lists the stacks there are."""
    path = Path(name) if name.endswith(".yaml") else stack_path(repo, name)
    if not path.exists():
        known = ", ".join(stack_name(p) for p in list_stack_files(repo)) or "none"
        raise BadInput(f"no stack '{name}' (stacks in this repository: {known})")
    return path
