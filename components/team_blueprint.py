"""TeamBlueprint: the whole of one team's resolved blueprint, composed from the target components.

It is the composition root: the resolved blueprint becomes a plan (pure, typed, per target), and
the plan becomes components. Providers are built here and in the target steps, never inside a
component, as DESIGN asks.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from blueprints.plan import plan
from blueprints.resolved import ResolvedBlueprint
from components.compose import compose
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
        the_plan = plan(bp)
        self.exports = {"blueprint": the_plan.blueprint, **compose(name, the_plan, self)}
        self.register_outputs(self.exports)
