"""Reviewed exemptions (`policy_packs/exemptions.yaml`): which policy may be violated where, why, by whose leave, until when.

Both engines read the same file: the packs apply it by URN (which carries the stack), and the offline audit reports
which exemptions matched nothing.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from blueprints import yaml_io
from blueprints.errors import BadInput
from blueprints.models import Email, Line, Reason

DEFAULT_FILE = Path(__file__).resolve().parent / "exemptions.yaml"
ENV = "BP_EXEMPTIONS"
"""Environment variable naming another exemptions file (the offline audit sets it for the packs it starts)."""

EXEMPT_PREFIX = "exempt "
"""Reason prefix of a not-applicable result that records exempted violations (JSON follows)."""


class Exemption(BaseModel):
    """One reviewed exception to one policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str = Field(min_length=1, description="Name of the policy exempted. Required.")
    stack: str = Field(min_length=1, description="Stack name or glob (`payments-*`). Required.")
    resource: str = Field(min_length=1, description="Resource URN or name, or a glob of either. Required.")
    reason: Reason = Field(min_length=10, description="Why the violation is accepted. Required.")
    approver: Email = Field(description="E-mail of who approved it. Required.")
    ticket: Line = Field(description="Change or risk ticket id. Required.")
    expires: dt.date = Field(description="Last day the exemption holds (YYYY-MM-DD). Required.")
    line: int = Field(default=0, exclude=True, description="Line of the entry in its file (set by `load`).")

    def covers(self, policy: str, urn: str) -> bool:
        """Whether this exemption names `policy` and the resource `urn` (matched by URN or by name)."""
        if policy != self.policy or not urn.startswith("urn:pulumi:"):
            return False
        stack = urn.split("::", 1)[0].removeprefix("urn:pulumi:")
        name = urn.rsplit("::", 1)[-1]
        return fnmatch.fnmatchcase(stack, self.stack) and (
            fnmatch.fnmatchcase(urn, self.resource) or fnmatch.fnmatchcase(name, self.resource)
        )

    def active(self, today: dt.date | None = None) -> bool:
        """Still in force on `today` (UTC by default)."""
        return (today or dt.datetime.now(dt.timezone.utc).date()) <= self.expires

    @property
    def key(self) -> str:
        """Identifies the exemption in results: ticket and policy."""
        return f"{self.ticket}:{self.policy}"


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exemptions: list[Exemption] = Field(default_factory=list, description="The exemptions. Default: none.")


def path_in_force() -> Path:
    """The exemptions file the packs use: $BP_EXEMPTIONS, else the one beside the packs."""
    return Path(os.environ.get(ENV) or DEFAULT_FILE)


def load(path: Path | None = None) -> list[Exemption]:
    """Parse and validate an exemptions file. BadInput names the file and line.

    Only the file beside the packs may be missing (none then): a named one that is not there is a typo, not "no
    exemptions".
    """
    path = Path(path or path_in_force())
    if path == DEFAULT_FILE and not path.exists():
        return []
    if not path.exists():
        raise BadInput("no such exemptions file", path)
    data = yaml_io.load(path)
    if data is None:
        return []
    parsed = yaml_io.parse(_File, data, path)
    out = []
    for i, ex in enumerate(parsed.exemptions):
        line = yaml_io.line_of(data, ("exemptions", i)) or 0
        out.append(ex.model_copy(update={"line": line}))
    return out


def find(exemptions: list[Exemption], policy: str, urn: str) -> Exemption | None:
    """The first exemption covering `policy` on `urn`, active ones first."""
    covering = [e for e in exemptions if e.covers(policy, urn)]
    covering.sort(key=lambda e: not e.active())
    return covering[0] if covering else None


def encode_exempt(hits: list[tuple[str, Exemption, str]]) -> str:
    """The not-applicable reason that records exempted violations: (urn, exemption, message) each."""
    return EXEMPT_PREFIX + json.dumps(
        [{"urn": urn, "exemption": ex.key, "message": msg} for urn, ex, msg in hits], sort_keys=True
    )


def decode_exempt(reason: str) -> list[dict[str, Any]] | None:
    """The exempted violations in a not-applicable reason, or None for an ordinary reason."""
    if not reason.startswith(EXEMPT_PREFIX):
        return None
    return json.loads(reason[len(EXEMPT_PREFIX):])
