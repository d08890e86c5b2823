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


@dataclass(frozen=True)
class TeamBlueprintArgs:
    """Inputs of TeamBlueprint."""

    blueprint: ResolvedBlueprint
    """The resolved blueprint from the stack file."""


class TeamBlueprint(pulumi.ComponentResource):
    """Everything one stack provisions; `exports` holds what the team needs to know."""

    exports: dict[str, pulumi.Input]

    def __init__(self, name: str, args: TeamBlueprintArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:index:TeamBlueprint", name, None, opts)
        the_plan = plan(args.blueprint)
        self.exports = {"blueprint": the_plan.blueprint, **compose(name, the_plan, self)}
        self.register_outputs(self.exports)
