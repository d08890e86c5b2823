"""The request a team makes: what `bp new` validates before anything is placed or written."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, field_validator

from blueprints import free_text
from blueprints.team_names import team_budget, team_problem

Env = Literal["dev", "test", "stage", "prod"]
Target = Literal["aws", "vsphere"]
Size = Literal["S", "M", "L", "XL"]
DataServiceKind = Literal["postgres", "redis", "kafka", "object-storage"]
ComplianceZone = Literal["general", "pci", "sox", "hipaa"]
ParameterValue = str | int | bool

# Text people type, checked by the one set of rules in blueprints/free_text.py; lengths also go into `bp schema`.
Email = Annotated[str, StringConstraints(max_length=free_text.MAX_EMAIL), AfterValidator(free_text.email)]
Contact = Annotated[str, StringConstraints(max_length=free_text.MAX_CONTACT), AfterValidator(free_text.contact)]
Reason = Annotated[str, StringConstraints(max_length=free_text.MAX_REASON), AfterValidator(free_text.reason)]
Line = Annotated[str, StringConstraints(max_length=free_text.MAX_LINE), AfterValidator(free_text.line)]
CostCenter = Annotated[str, AfterValidator(free_text.cost_center),
                       WithJsonSchema({"type": "string", "pattern": free_text.COST_CENTER.pattern})]

TEAM_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"


def team_name_problem(team: str) -> str | None:
    """Why a team name is refused (a DNS-1123 label some provider would refuse part of), or None: the one team rule
    that `bp new`, `bp schema` and the ownership policy share."""
    if not (2 <= len(team) and re.fullmatch(TEAM_PATTERN, team)):
        return (f"'{team}' is not a DNS-1123 label of at least 2 characters "
                "(lower-case letters, digits and '-', starting and ending with a letter or digit)")
    return team_problem(team)


def team_schema() -> dict:
    """The team rule of team_name_problem as JSON Schema, for `bp schema` and the portal's forms to refuse what
    `bp new` refuses: a DNS-1123 label starting with a letter, without '--' or the refused prefixes, within the budget."""
    return {"pattern": r"^(?!sg-|sthree-|amzn-s3-demo-)(?!.*--)[a-z]([a-z0-9-]*[a-z0-9])?$",
            "minLength": 2, "maxLength": team_budget().max_len}


REF_WORDS = "a blueprint name (lower-case letters, digits, '-'), optionally with @major.minor.patch (e.g. web-service@2.0.0)"
BLUEPRINT_REF = re.compile(
    r"^(?P<name>[a-z0-9]([a-z0-9-]*[a-z0-9])?)(@(?P<version>(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)))?$"
)


class Frozen(BaseModel):
    """Base for every model: unknown fields are errors and parsed values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def is_prod(env: str) -> bool:
    """Prod is the only production tier; dev, test and stage share nonprod pools."""
    return env == "prod"


class DataServiceRequest(Frozen):
    """One data service a team asks for."""

    kind: DataServiceKind = Field(description="Engine: postgres, redis, kafka or object-storage. Required.")
    size: Size = Field("S", description="Size class of the service (S, M, L, XL). Default: S.")


class BlueprintRequest(Frozen):
    """A team's request for one blueprint in one environment."""

    team: str = Field(
        description=f"Team name: a DNS-1123 label of 2-{team_budget().max_len} characters (lower case, digits, '-') "
                    "starting with a letter, without '--' or the prefixes 'sg-', 'sthree-', 'amzn-s3-demo-' "
                    "(what every provider accepts in the names built from it). Required.",
        json_schema_extra=team_schema(),
    )
    env: Env = Field(description="Environment: dev, test, stage or prod. Required.")
    blueprint: str = Field(
        description="Catalog entry as name[@version] (semver); no version means the newest non-deprecated. Required."
    )
    target: Target | None = Field(
        None, description="Where it runs: aws or vsphere. Default: the site's target, else the entry's first target."
    )
    region: str | None = Field(
        None, description="Region of the sites map (e.g. amer); placement picks a data center in it. Default: none.",
        max_length=63,
    )
    site: str | None = Field(None, description="Data center of the sites map (e.g. ny1). Default: none.", max_length=63)
    size: Size = Field("M", description="Size class: S, M, L or XL, mapped to vCPU, memory and nodes by the catalog. Default: M.")
    data_services: tuple[DataServiceRequest, ...] | None = Field(
        None, description="Data services to provision. Default: the catalog entry's defaults."
    )
    owner: Email = Field(description="Owner's e-mail address, accountable for the stack (at most 254 characters). Required.")
    cost_center: CostCenter = Field(
        description="Cost center the spend is charged to: CC- and 1 to 6 digits (e.g. CC-4711). Required."
    )
    contact: Contact | None = Field(
        None, description="On-call contact (rota, channel or e-mail; printable text, at most 128 characters). "
                          "Default: the owner.",
    )
    compliance_zone: ComplianceZone = Field(
        "general", description="Compliance zone the workload belongs to: general, pci, sox or hipaa. Default: general."
    )
    parameters: dict[str, ParameterValue] = Field(
        default_factory=dict,
        description="Overrides of the parameters the catalog entry declares; nothing else. Default: none.",
    )

    @field_validator("team")
    @classmethod
    def _team(cls, value: str) -> str:
        problem = team_name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("blueprint")
    @classmethod
    def _ref(cls, value: str) -> str:
        if not BLUEPRINT_REF.match(value):
            raise ValueError(f"'{value}' is not {REF_WORDS}")
        return value

    @field_validator("owner")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        return value.lower()

    @property
    def stack(self) -> str:
        """The Pulumi stack name: `<team>-<env>`."""
        return f"{self.team}-{self.env}"

    @property
    def on_call(self) -> str:
        """Who is paged: the contact, else the owner."""
        return self.contact or self.owner
