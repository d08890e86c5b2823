"""The Pulumi program: one stack file's resolved blueprint -> one TeamBlueprint.

The real engine (`pulumi up -s <team>-<env>`) and the offline engine (`bp preview`) both run
this file unchanged.
"""

import sys
from pathlib import Path

# The real CLI runs this folder as the program; the library packages sit one level up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi  # noqa: E402

from blueprints.resolved import ResolvedBlueprint  # noqa: E402
from components.team_blueprint import TeamBlueprint, TeamBlueprintArgs  # noqa: E402

blueprint = ResolvedBlueprint.model_validate(pulumi.Config("cloud-blueprints").require_object("blueprint"))
if blueprint.stack != pulumi.get_stack():
    raise ValueError(f"stack file holds {blueprint.stack}, but the selected stack is {pulumi.get_stack()}")
team = TeamBlueprint(blueprint.stack, TeamBlueprintArgs(blueprint))
for key, value in team.exports.items():
    pulumi.export(key, value)
