"""The request a team makes: what `bp new` validates before anything is placed or written."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Env = Literal["dev", "test", "stage", "prod"]
Target = Literal["aws", "vsphere"]
Size = Literal["S", "M", "L", "XL"]
DataServiceKind = Literal["postgres", "redis", "kafka", "object-storage"]
ComplianceZone = Literal["general", "pci", "sox", "hipaa"]
ParameterValue = str | int | bool

TEAM_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
REF_WORDS = "a blueprint name (lower-case letters, digits, '-'), optionally with @major.minor.patch (e.g. web-service@2.0.0)"
BLUEPRINT_REF = re.compile(
    r"^(?P<name>[a-z0-9]([a-z0-9-]*[a-z0-9])?)(@(?P<version>(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)))?$"
)


class Frozen(BaseModel):
    """Base for every model: unknown fields are errors and parsed values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def is_prod(env: str) -> bool:
    """Prod is the only production tier; dev, test and stage share nonprod pools."""
    return env == "prod"


class DataServiceRequest(Frozen):
    """One data service a team asks for."""

    kind: DataServiceKind = Field(description="Engine: postgres, redis, kafka or object-storage. Required.")
    size: Size = Field("S", description="Size class of the service (S, M, L, XL). Default: S.")


class BlueprintRequest(Frozen):
    """A team's request for one blueprint in one environment."""

    # The checks done in validators are also stated in the schema, so that editors and portal forms refuse what
    # `bp new` refuses (the validators keep their messages in words).
    team: str = Field(
        description="Team name: a DNS-1123 label of 2-30 characters (lower case, digits, '-'). Required.",
        json_schema_extra={"pattern": TEAM_PATTERN, "minLength": 2, "maxLength": 30},
    )
    env: Env = Field(description="Environment: dev, test, stage or prod. Required.")
    blueprint: str = Field(
        description="Catalog entry as name[@version] (semver); no version means the newest non-deprecated. Required.",
        json_schema_extra={"pattern": BLUEPRINT_REF.pattern},
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
    owner: str = Field(description="Owner's e-mail address, accountable for the stack (at most 254 characters). Required.",
                       max_length=254, json_schema_extra={"pattern": EMAIL_PATTERN})
    cost_center: str = Field(
        description="Cost center the spend is charged to (letters, digits, '-', 2-32 characters). Required.",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{1,31}$",
    )
    contact: str | None = Field(
        None, description="On-call contact (rota, channel or e-mail; at most 128 characters). Default: the owner.",
        max_length=128,
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
        if not (2 <= len(value) <= 30 and re.fullmatch(TEAM_PATTERN, value)):
            raise ValueError(
                f"'{value}' is not a DNS-1123 label of 2-30 characters "
                "(lower-case letters, digits and '-', starting and ending with a letter or digit)"
            )
        return value

    @field_validator("blueprint")
    @classmethod
    def _ref(cls, value: str) -> str:
        if not BLUEPRINT_REF.match(value):
            raise ValueError(f"'{value}' is not {REF_WORDS}")
        return value

    @field_validator("owner")
    @classmethod
    def _email(cls, value: str) -> str:
        if not re.fullmatch(EMAIL_PATTERN, value):
            raise ValueError(f"'{value}' is not an e-mail address")
        return value.lower()

    @property
    def stack(self) -> str:
        """The Pulumi stack name: `<team>-<env>`."""
        return f"{self.team}-{self.env}"

    @property
    def on_call(self) -> str:
        """Who is paged: the contact, else the owner."""
        return self.contact or self.owner
