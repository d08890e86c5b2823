"""A synthetic fleet stamped with `bp new`'s own code: a realistic mix of blueprints, targets, regions and envs."""

from __future__ import annotations

from itertools import cycle
from pathlib import Path

from blueprints.models import BlueprintRequest
from blueprints.placement.allocation_index import AllocationIndex
from blueprints.placement.resolve import resolve
from blueprints.resolved import ResolvedBlueprint
from store import stack_files

MIX = (
    ("web-service", "aws", "M"), ("web-service", "vsphere", "S"), ("vm-app", "vsphere", "M"),
    ("data-platform", "aws", "L"), ("web-service", "aws", "S"), ("k8s-cluster", "vsphere", "L"),
    ("data-platform", "vsphere", "M"), ("web-service", "vsphere", "XL"),
)
# The same with a few teams still on a deprecated version, as a real fleet has.
MIX_WITH_OLD = MIX[:-1] + (("web-service@1.0.0", "vsphere", "M"),)  # eight kinds still cycle over the regions
ENVS = ("dev", "test", "stage", "prod", "prod")


def stamp_fleet(catalog, sites, count: int, mix: tuple = MIX) -> list[ResolvedBlueprint]:
    """`count` stacks placed one after another, as `bp new` would place them."""
    regions = cycle(r.name for r in sites.regions)
    envs = cycle(ENVS)
    stamped = AllocationIndex()
    for i, (blueprint, target, size) in zip(range(count), cycle(mix)):
        team = f"team{i:04d}"
        request = BlueprintRequest(team=team, env=next(envs), blueprint=blueprint, target=target, region=next(regions),
                                   size=size, owner=f"{team}-lead@example.com", cost_center=f"CC-{1000 + i % 40}")
        stamped.add(resolve(request, catalog, sites, stamped))
    return list(stamped)


def write_fleet(repo: Path, stacks: list[ResolvedBlueprint]) -> None:
    """Write every stack file into the repository's stacks/ folder, and the allocation ledger as `bp new` keeps it."""
    from store import ledger

    (repo / "stacks").mkdir(exist_ok=True)
    for bp in stacks:
        stack_files.write_stack(repo, bp, force=True)
    ledger.write(stack_files.stacks_dir(repo), stack_files.read_each(repo)[0])


def scaled_sites(path: Path, divisor: int) -> Path:
    """A copy of the demo sites map with every pool's capacity divided, so a few hundred stacks fill it visibly."""
    from blueprints import yaml_io
    from blueprints.sites import DEMO_SITES

    data = yaml_io.load(DEMO_SITES)
    for region in data["regions"]:
        for dc in region["data_centers"]:
            for pool in dc["pools"]:
                pool["capacity"] = {k: v // divisor for k, v in pool["capacity"].items()}
    path.write_text(yaml_io.dump(data))
    return path
