"""Which policy modules make up each pack, and how a pack folder's `__main__.py` serves them."""

from __future__ import annotations

from pathlib import Path

from policy_packs import exemptions
from policy_packs.policies import (
    aws_compute, aws_databases, aws_logging, aws_network, aws_storage, baseline,
    kubernetes_operators, kubernetes_tenancy, kubernetes_workloads, vsphere,
)
from policy_packs.spec import Rule

ROOT = Path(__file__).resolve().parent

PACKS: dict[str, tuple[str, tuple]] = {
    "baseline": ("Ownership, secrets, providers and exemptions, for every target.", (baseline,)),
    "aws": ("AWS storage, databases, compute, networking, keys and logs.",
            (aws_storage, aws_databases, aws_compute, aws_network, aws_logging)),
    "kubernetes": ("Kubernetes workloads, tenancy and operator-run services.",
                   (kubernetes_workloads, kubernetes_tenancy, kubernetes_operators)),
    "vsphere": ("vSphere inventory, networking and guests.", (vsphere,)),
}
"""Pack name -> (description, policy modules)."""


def rules(pack: str) -> list[Rule]:
    """Every rule of one pack, in module order."""
    return [rule for module in PACKS[pack][1] for rule in module.RULES]


def all_rules() -> dict[str, Rule]:
    """Every rule of every pack, by name."""
    return {r.name: r for pack in PACKS for r in rules(pack)}


def pack_of(policy: str) -> str | None:
    """The pack that holds a policy."""
    return next((p for p in PACKS if any(r.name == policy for r in rules(p))), None)


def pack_dir(pack: str) -> Path:
    """The folder `pulumi preview --policy-pack` is pointed at."""
    return ROOT / pack


def serve(pack: str) -> None:
    """Build the pack with the exemptions in force and serve it over the Analyzer protocol (blocks)."""
    from pulumi_policy import EnforcementLevel, PolicyPack

    exempt = exemptions.load()
    PolicyPack(
        name=f"cloud-blueprints-{pack}",
        description=PACKS[pack][0],
        enforcement_level=EnforcementLevel.ADVISORY,
        policies=[rule.to_policy(exempt) for rule in rules(pack)],
    )
