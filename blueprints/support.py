"""The support calendar: until when each product version the fleet runs is supported, with its source.

Dates are sites-map data (`support:`), never code. A stack uses a product version through its catalog
promises: a dedicated cluster's Kubernetes minor (EKS on AWS, a VKS release on vSphere), each data
service's engine (RDS for PostgreSQL, ElastiCache Redis OSS, MSK) on AWS, and on vSphere the operators the
fleet runs (Cluster API, CloudNativePG, Strimzi). The Pulumi Kubernetes Operator runs every stack's
fleet-wide `pulumi up`. A version past its end is refused at `bp new` and fails `bp validate`;
`bp fleet check` warns `warn_days` ahead and names the stacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from blueprints.errors import BadInput
from blueprints.models import Frozen

if TYPE_CHECKING:
    from blueprints.resolved import ResolvedBlueprint

Product = Literal["eks", "vks", "rds-postgresql", "elasticache-redis", "msk-kafka",
                  "cluster-api", "cloudnative-pg", "strimzi", "pulumi-kubernetes-operator"]
Operator = Literal["cluster-api", "cloudnative-pg", "strimzi"]

PRODUCT_NAMES: dict[str, str] = {
    "eks": "Amazon EKS Kubernetes", "vks": "VKS Kubernetes", "rds-postgresql": "RDS for PostgreSQL",
    "elasticache-redis": "ElastiCache Redis OSS", "msk-kafka": "MSK Apache Kafka", "cluster-api": "Cluster API",
    "cloudnative-pg": "CloudNativePG", "strimzi": "Strimzi", "pulumi-kubernetes-operator": "Pulumi Kubernetes Operator",
}
AWS_ENGINES = {"postgres": "rds-postgresql", "redis": "elasticache-redis", "kafka": "msk-kafka"}
"""The managed service that keeps each data service's promised version on AWS."""
OPERATORS = {"postgres": "cloudnative-pg", "kafka": "strimzi"}
"""The operator that runs each data service on vSphere (Redis runs as a plain StatefulSet)."""


class SupportWindow(Frozen):
    """One version of one product: when it came out and when its support ends, as its vendor publishes them."""

    released: date | None = Field(None, description="General availability. Default: unknown.")
    end_of_standard_support: date | None = Field(
        None, description="Last day of standard support, where the vendor sells extended support after it. Default: none."
    )
    end_of_support: date | None = Field(
        None, description="Last supported day (EKS and RDS: end of extended support); after it the provider refuses "
        "new ones or upgrades them, and `bp new` refuses it. Default: none announced."
    )
    source: str = Field(description="The vendor's page that publishes these dates. Required.", pattern=r"^https://\S+$")
    note: str | None = Field(None, description="How the end is decided when no date is published. Default: none.")

    @model_validator(mode="after")
    def _ordered(self) -> "SupportWindow":
        dates = [d for d in (self.released, self.end_of_standard_support, self.end_of_support) if d is not None]
        if dates != sorted(dates):
            raise ValueError("released, end_of_standard_support and end_of_support must come in that order")
        return self


class Support(Frozen):
    """The support calendar and the operator releases the fleet runs."""

    warn_days: int = Field(90, description="`bp fleet check` warns this many days before a support end. Default: 90.", ge=0)
    operators: dict[Operator, str] = Field(
        default_factory=dict, description="Release (major.minor) of each operator the fleet runs. Default: none."
    )
    calendar: dict[Product, dict[str, SupportWindow]] = Field(
        description="Per product, per version (Kubernetes or engine minor, operator major.minor): its dates. Required."
    )

    @model_validator(mode="after")
    def _operators_listed(self) -> "Support":
        for operator, version in self.operators.items():
            if version not in self.calendar.get(operator, {}):
                raise ValueError(f"operators.{operator}: {version} is not in calendar.{operator}")
        return self

    def window(self, product: str, version: str) -> SupportWindow | None:
        """The dates of one product version, or None when the calendar does not list it."""
        return self.calendar.get(product, {}).get(version)


@dataclass(frozen=True)
class Use:
    """A product version a stack depends on, and the promise that brings it in."""

    product: str
    version: str
    why: str


@dataclass(frozen=True)
class Deadline:
    """A used product version whose support ends on a known day."""

    use: Use
    window: SupportWindow

    @property
    def end(self) -> date:
        """The last supported day."""
        assert self.window.end_of_support is not None
        return self.window.end_of_support

    def describe(self, today: date) -> str:
        """`<product> <version>: support ended|ends <date> ...` with the source, on one line."""
        what = f"{PRODUCT_NAMES[self.use.product]} {self.use.version}"
        when = (f"support ended on {self.end}" if today > self.end
                else f"support ends on {self.end}, in {(self.end - today).days} days")
        return f"{what} ({self.use.why}): {when} (source: {self.window.source})"


def uses(bp: ResolvedBlueprint, support: Support) -> list[Use]:
    """Every product version the stack's promises depend on (operators: the release the fleet runs)."""
    aws = bp.primary.target == "aws"
    found = []
    built = bp.decisions.kubernetes_version  # what the cluster runs: behind the spec while it moves hop by hop
    if bp.spec.cluster == "dedicated" and (built or bp.spec.kubernetes_version):
        behind = built and built != bp.spec.kubernetes_version
        where = "decisions.kubernetes_version" if behind else "spec.kubernetes_version"
        found.append(Use("eks" if aws else "vks", built or bp.spec.kubernetes_version, where))
        if not aws and "cluster-api" in support.operators:
            found.append(Use("cluster-api", support.operators["cluster-api"], "its VKS cluster"))
    for ds in bp.data_services:
        if aws and ds.kind in AWS_ENGINES and ds.version:
            found.append(Use(AWS_ENGINES[ds.kind], ds.version, f"data_services.{ds.kind}"))
        elif not aws and OPERATORS.get(ds.kind) in support.operators:
            operator = OPERATORS[ds.kind]
            found.append(Use(operator, support.operators[operator], f"data_services.{ds.kind}"))
    return found


def operator_use(release: str) -> Use:
    """The Pulumi Kubernetes Operator release (`vX.Y.Z`) that runs every stack's fleet-wide `pulumi up`."""
    return Use("pulumi-kubernetes-operator", ".".join(release.removeprefix("v").split(".")[:2]), "operator.release")


def deadlines_of(found: list[Use], support: Support) -> list[Deadline]:
    """The uses whose support ends on a published day."""
    windows = [(use, support.window(use.product, use.version)) for use in found]
    return [Deadline(use, w) for use, w in windows if w is not None and w.end_of_support is not None]


def deadlines(bp: ResolvedBlueprint, support: Support) -> list[Deadline]:
    """The stack's used versions whose support ends on a published day."""
    return deadlines_of(uses(bp, support), support)


def by_version(stacks: list[ResolvedBlueprint], support: Support, operator_release: str | None) -> list[tuple[Deadline, list[str]]]:
    """Each dated product version the stacks use, with the stacks using it; the operator release runs them all."""
    found: dict[tuple[str, str], tuple[Deadline, list[str]]] = {}
    for bp in stacks:
        for d in deadlines(bp, support):
            found.setdefault((d.use.product, d.use.version), (d, []))[1].append(bp.stack)
    if operator_release is not None:
        for d in deadlines_of([operator_use(operator_release)], support):
            found[(d.use.product, d.use.version)] = (d, [bp.stack for bp in stacks])
    return [found[key] for key in sorted(found)]


def past_end(bp: ResolvedBlueprint, support: Support | None, today: date) -> list[str]:
    """One line per product version the stack uses after its last supported day."""
    if support is None:
        return []
    return [d.describe(today) for d in deadlines(bp, support) if today > d.end]


def refuse_past_end(bp: ResolvedBlueprint, support: Support | None, today: date, instead: str | None = None) -> None:
    """BadInput on one line when the stack would use a version past its end: a provider would refuse or replace it."""
    ended = past_end(bp, support, today)
    if ended:
        hint = f"; ask for {instead}" if instead and instead != bp.blueprint_ref else ""
        raise BadInput(f"{bp.blueprint_ref} promises {ended[0]}{hint}")
