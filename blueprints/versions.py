"""What a catalog version promises about change: its changelog, its sunset, and the resources it moves."""

from __future__ import annotations

import re
from pydantic import Field, field_validator

from blueprints.models import Frozen

TYPE_TOKEN = re.compile(r"^[a-zA-Z0-9-]+:[a-zA-Z0-9./-]*:[A-Za-z0-9]+$")


class Changelog(Frozen):
    """What changed in a version, against the one before it."""

    summary: str = Field(description="One line: what this version changes. Required.")
    breaking: bool = Field(
        description="Whether a stack moving to this version needs more than merging the upgrade diff. Required."
    )
    changes: tuple[str, ...] = Field((), description="Each change, one line each. Default: none.")


class Move(Frozen):
    """A resource this version names differently from earlier versions, kept in place by a Pulumi alias.

    Names are logical Pulumi names with `{stack}` standing for the stack name. The component that
    owns the resource gives it `to`, with an alias to `from`, so the real engine updates it in place.
    """

    type: str = Field(description="Pulumi type token of the moved resource, e.g. kubernetes:core/v1:Namespace. Required.")
    from_name: str = Field(alias="from", description="Logical name in earlier versions, with {stack}. Required.")
    to_name: str = Field(alias="to", description="Logical name from this version on, with {stack}. Required.")
    reason: str = Field(description="Why it moved, for the changelog and the upgrade diff. Required.")

    model_config = Frozen.model_config | {"populate_by_name": True}

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if not TYPE_TOKEN.match(value):
            raise ValueError(f"'{value}' is not a Pulumi type token (package:module:Type)")
        return value

    @field_validator("from_name", "to_name")
    @classmethod
    def _templated(cls, value: str) -> str:
        if "{stack}" not in value or value.replace("{stack}", "").count("{"):
            raise ValueError(f"'{value}' must contain {{stack}} and no other placeholder")
        return value

    def names(self, stack: str) -> tuple[str, str]:
        """The old and new logical names for one stack."""
        return self.from_name.format(stack=stack), self.to_name.format(stack=stack)

