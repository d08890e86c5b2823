"""TeamBlueprint: the whole of one team's resolved blueprint, composed from the target components.

It is the composition root: the only component that builds providers (one per placement),
which it hands to the target components through `opts`, as DESIGN asks.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from blueprints.resolved import ResolvedBlueprint
from components.moves import alias_moves


@dataclass(frozen=True)
class TeamBlueprintArgs:
    """Inputs of TeamBlueprint."""

    blueprint: ResolvedBlueprint
    """The resolved blueprint from the stack file."""


class TeamBlueprint(pulumi.ComponentResource):
    """Everything one stack provisions; `exports` holds what the team needs to know."""

    exports: dict[str, pulumi.Input]

    def __init__(self, name: str, args: TeamBlueprintArgs, opts: pulumi.ResourceOptions | None = None):
        bp = args.blueprint
        # Registered before the children, so every moved child carries its alias.
        moved = pulumi.ResourceOptions(transformations=[alias_moves(bp.moves, bp.stack)])
        super().__init__("cloud-blueprints:index:TeamBlueprint", name, None, pulumi.ResourceOptions.merge(opts, moved))
        # Imported here so a stack pays only for its own target's SDK.
        if bp.primary.target == "aws":
            from components.compose_aws import compose
        else:
            from components.compose_vsphere import compose
        self.exports = {"blueprint": bp.blueprint_ref, **compose(name, bp, self)}
        self.register_outputs(self.exports)
