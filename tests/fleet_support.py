"""A synthetic fleet stamped with `bp new`'s own code: a realistic mix of blueprints, targets, regions and envs."""

from __future__ import annotations

from itertools import cycle
from pathlib import Path

from blueprints import stack_files
from blueprints.models import BlueprintRequest
from blueprints.resolved import ResolvedBlueprint
from blueprints.stamp import resolve

MIX = (
    ("web-service", "aws", "M"), ("web-service", "vsphere", "S"), ("vm-app", "vsphere", "M"),
    ("data-platform", "aws", "L"), ("web-service", "aws", "S"), ("k8s-cluster", "vsphere", "L"),
    ("data-platform", "vsphere", "M"), ("web-service", "vsphere", "XL"),
)
ENVS = ("dev", "test", "stage", "prod", "prod")


def stamp_fleet(catalog, sites, count: int) -> list[ResolvedBlueprint]:
    """`count` stacks placed one after another, as `bp new` would place them."""
    regions = cycle(r.name for r in sites.regions)
    envs = cycle(ENVS)
    stamped: list[ResolvedBlueprint] = []
    for i, (blueprint, target, size) in zip(range(count), cycle(MIX)):
        team = f"team{i:04d}"
        request = BlueprintRequest(team=team, env=next(envs), blueprint=blueprint, target=target, region=next(regions),
                                   size=size, owner=f"{team}-lead@example.com", cost_center=f"CC-{1000 + i % 40}")
        stamped.append(resolve(request, catalog, sites, stamped))
    return stamped


def write_fleet(repo: Path, stacks: list[ResolvedBlueprint]) -> None:
    """Write every stack file into the repository."""
    for bp in stacks:
        stack_files.write_stack(repo, bp, force=True)
