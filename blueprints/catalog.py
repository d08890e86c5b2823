"""The versioned catalog: one YAML file per blueprint version under `blueprints/catalog/`."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationError, model_validator

from blueprints import free_text, value_kinds, yaml_io
from blueprints.errors import BadInput, first_error
from blueprints.models import BLUEPRINT_REF, REF_WORDS, DataServiceKind, DataServiceRequest, Frozen, ParameterValue, Size, Target
from blueprints.value_kinds import ValueKind
from blueprints.versions import Changelog, Move

CATALOG_DIR = Path(__file__).parent / "catalog"


def semver_key(version: str) -> tuple[int, int, int]:
    """Sort key of a `major.minor.patch` version."""
    major, minor, patch = (int(p) for p in version.split("."))
    return major, minor, patch


class Parameter(Frozen):
    """A value a team may override, with its type and default."""

    type: Literal["string", "integer", "boolean"] = Field(description="Value type. Required.")
    default: ParameterValue = Field(description="Value used when the request does not set it. Required.")
    description: str = Field(description="What the parameter changes. Required.")
    allowed: tuple[ParameterValue, ...] | None = Field(None, description="The only values accepted. Default: any.")
    minimum: int | None = Field(None, description="Smallest integer accepted. Default: none.")
    maximum: int | None = Field(None, description="Largest integer accepted. Default: none.")
    kind: ValueKind | None = Field(
        None, description="What a string means, checked at `bp new`: dns-label, cidr, semver or email. Default: any text."
    )

    @model_validator(mode="after")
    def _self_consistent(self) -> "Parameter":
        if self.type != "integer" and (self.minimum is not None or self.maximum is not None):
            raise ValueError(f"minimum and maximum apply to integer parameters, not {self.type}")
        if self.kind is not None and self.type != "string":
            raise ValueError(f"kind applies to string parameters, not {self.type}")
        try:
            self.check("default", self.default)
        except BadInput as exc:
            raise ValueError(f"the default does not fit the parameter: {str(exc).removeprefix('parameters.default: ')}") from None
        return self

    def from_text(self, name: str, text: str) -> ParameterValue:
        """Read a value typed on the command line as this parameter's type."""
        if self.type == "boolean":
            if text.lower() not in ("true", "false"):
                raise BadInput(f"parameters.{name}: expected true or false, got '{text}'")
            return text.lower() == "true"
        if self.type == "integer":
            try:
                return int(text)
            except ValueError:
                raise BadInput(f"parameters.{name}: expected an integer, got '{text}'") from None
        return text

    def check(self, name: str, value: ParameterValue) -> ParameterValue:
        """Return `value` if it fits this parameter, else raise BadInput naming it."""
        expected = {"string": str, "integer": int, "boolean": bool}[self.type]
        if type(value) is not expected:
            raise BadInput(f"parameters.{name}: expected {self.type}, got {value!r}")
        if self.allowed is not None and value not in self.allowed:
            raise BadInput(f"parameters.{name}: {value!r} is not one of {list(self.allowed)}")
        if self.minimum is not None and value < self.minimum:
            raise BadInput(f"parameters.{name}: {value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise BadInput(f"parameters.{name}: {value} is above the maximum {self.maximum}")
        if isinstance(value, str) and (wrong := free_text.secret_problem(value)):
            raise BadInput(f"parameters.{name}: {wrong}")
        if isinstance(value, str) and (wrong := value_kinds.problem(self.kind, value)):
            raise BadInput(f"parameters.{name}: '{value[:60]}' {wrong}")
        return value


class SizeClass(Frozen):
    """What one size letter means for one blueprint."""

    vcpu: int = Field(description="vCPU the team may use in total (quota, reservations). Required.", gt=0)
    memory_gib: int = Field(description="Memory the team may use in total, GiB. Required.", gt=0)
    nodes: int = Field(description="Worker nodes or VMs. Required.", ge=0)
    node_vcpu: int = Field(description="vCPU of one node or VM. Required.", gt=0)
    node_memory_gib: int = Field(description="Memory of one node or VM, GiB. Required.", gt=0)
    disk_gib: int = Field(100, description="Root/data disk of one node or VM, GiB. Default: 100.", gt=0)


class DataServiceSize(Frozen):
    """What one size letter means for a data service."""

    vcpu: int = Field(description="vCPU of one instance or broker. Required.", gt=0)
    memory_gib: int = Field(description="Memory of one instance or broker, GiB. Required.", gt=0)
    storage_gib: int = Field(description="Storage of one instance or broker, GiB. Required.", gt=0)
    aws_class: str | None = Field(
        None, description="AWS class of one instance, node or broker (db.*, cache.*, kafka.*). Default: none (object storage)."
    )


AWS_CLASS_PREFIX = {"postgres": "db.", "redis": "cache.", "kafka": "kafka."}
"""The class family each managed AWS service takes."""


class Replicas(Frozen):
    """Copies of the data a service keeps on one target."""

    single: int = Field(description="Copies outside HA (nonprod without ha_data_services). Required.", ge=1)
    ha: int = Field(description="Copies in HA (prod, or any env with ha_data_services). Required.", ge=1)


class DataServiceTerms(Frozen):
    """What a data service promises on every target: version, copies, backup retention."""

    version: str | None = Field(None, description="Engine version when no parameter chooses it. Default: none.")
    version_parameter: str | None = Field(
        None, description="The entry's parameter that chooses the version. Default: none (the fixed version)."
    )
    replicas: dict[Target, Replicas] = Field(
        default_factory=dict, description="Copies per target (postgres, redis, kafka). Default: none (object storage)."
    )
    backup_retention_days: dict[Literal["prod", "nonprod"], int] | None = Field(
        None, description="Days backups (or object versions) are kept, per tier. Default: no backups (a cache, a log)."
    )


class NodePoolSpec(Frozen):
    """A node pool of a dedicated cluster."""

    name: str = Field(description="Pool name, unique in the cluster. Required.", pattern=r"^[a-z][a-z0-9-]{1,20}$")
    nodes: int | None = Field(None, description="Fixed node count. Default: the size class's nodes.", ge=1)
    labels: dict[str, str] = Field(default_factory=dict, description="Node labels. Default: none.")
    taints: tuple[Annotated[str, StringConstraints(pattern=r"^[^=:\s]+(=[^:\s]*)?:(NoSchedule|NoExecute|PreferNoSchedule)$")], ...] = Field(
        (), description="Taints as key[=value]:NoSchedule|NoExecute|PreferNoSchedule. Default: none."
    )
    spot: bool = Field(False, description="Use spot/preemptible capacity in nonprod. Default: false.")
    imds_hop_limit: Literal[1, 2] | None = Field(
        None, description="IMDSv2 hop limit of this pool's nodes (2 lets pods reach the node role). Default: the cluster's."
    )


class BlueprintSpec(Frozen):
    """The machine-readable part of an entry: what the stack program builds."""

    cluster: Literal["shared", "dedicated", "none"] = Field(
        description="Team namespace on the pool's shared cluster, a dedicated cluster, or no cluster. Required."
    )
    namespace: bool = Field(True, description="Create the team tenancy (namespace, quota, RBAC, policies). Default: true.")
    vm_pool: bool = Field(False, description="Create a pool of VMs on its own network segment. Default: false.")
    network_hub: bool = Field(False, description="Create the regional network hub (platform team only). Default: false.")
    kubernetes_version: str | None = Field(None, description="Kubernetes minor version of a dedicated cluster. Default: none.")
    node_pools: tuple[NodePoolSpec, ...] = Field((), description="Node pools of a dedicated cluster. Default: none.")
    imds_hop_limit: Literal[1, 2] = Field(
        1, description="IMDSv2 hop limit of a dedicated cluster's nodes, system pool included; 1 keeps pods off the "
        "node role's credentials. Default: 1."
    )
    network_prefix: dict[Target, int] = Field(
        default_factory=dict, description="Prefix length of the network allocated per target (e.g. aws: 20). Default: none."
    )
    data_services: tuple[DataServiceKind, ...] = Field((), description="Data service kinds a team may request. Default: none.")
    ha_data_services: bool = Field(
        False, description="Run data services highly available in every env, not only prod. Default: false."
    )
    default_data_services: tuple[dict[str, str], ...] = Field(
        (), description="Data services provisioned when the request names none, as {kind, size}. Default: none."
    )

    def hop_limit(self, pool: NodePoolSpec) -> int:
        """The IMDSv2 hop limit of a pool's nodes: its own, else the cluster's."""
        return pool.imds_hop_limit or self.imds_hop_limit


class Responsibility(Frozen):
    """Who runs what: the platform contract."""

    platform: tuple[str, ...] = Field(description="What the platform team runs and answers for. Required.")
    team: tuple[str, ...] = Field(description="What the application team owns. Required.")
    runbook: str | None = Field(
        None, description="The platform's runbook for stacks of this blueprint. Default: none.", pattern=r"^https://\S+$"
    )


class Slo(Frozen):
    """Service levels the platform commits to for this blueprint."""

    availability: float = Field(description="Monthly availability target, percent. Required.", gt=90, le=100)
    rpo_minutes: int | None = Field(None, description="Recovery point objective of data services, minutes. Default: none.")
    rto_minutes: int | None = Field(None, description="Recovery time objective of data services, minutes. Default: none.")


class CatalogEntry(Frozen):
    """One version of one blueprint."""

    name: str = Field(description="Blueprint name. Required.")
    version: str = Field(description="Semantic version; an entry's content never changes once published. Required.")
    summary: str = Field(description="One line for `bp catalog list`. Required.")
    description: str = Field(description="What it is for and whom. Required.")
    deprecated: str | None = Field(None, description="Why it is deprecated and what to use instead. Default: not deprecated.")
    changelog: Changelog = Field(description="What this version changed against the one before. Required.")
    sunset: date | None = Field(
        None, description="Last day stacks on this version are supported; required when deprecated. Default: none."
    )
    successor: str | None = Field(
        None, description="Version (major.minor.patch) to move to; required when deprecated. Default: none."
    )
    moves: tuple[Move, ...] = Field(
        (), description="Resources renamed since earlier versions, kept in place by aliases. Default: none."
    )
    audience: Literal["application-team", "platform-team"] = Field(
        "application-team", description="Who requests it. Default: application-team."
    )
    targets: tuple[Target, ...] = Field(description="Targets it can be stamped on. Required.", min_length=1)
    provisions: tuple[str, ...] = Field(description="What a stamped stack contains, in words. Required.")
    parameters: dict[str, Parameter] = Field(default_factory=dict, description="Overridable parameters. Default: none.")
    sizes: dict[Size, SizeClass] = Field(description="The four size classes S, M, L, XL. Required.")
    data_service_sizes: dict[DataServiceKind, dict[Size, DataServiceSize]] = Field(
        default_factory=dict, description="Size classes per data service kind. Default: none."
    )
    data_service_terms: dict[DataServiceKind, DataServiceTerms] = Field(
        default_factory=dict, description="Version, copies and backup retention per data service kind. Default: none."
    )
    spec: BlueprintSpec = Field(description="What the stack program builds. Required.")
    budget_usd_month: dict[Size, float] = Field(
        default_factory=dict,
        description="Monthly budget limit per size class, US dollars; `bp new` warns when a request's cost passes it. "
        "Default: none.",
    )
    responsibility: Responsibility = Field(description="The platform contract. Required.")
    slo: Slo = Field(description="Service levels. Required.")

    @model_validator(mode="after")
    def _consistent(self) -> "CatalogEntry":
        if not BLUEPRINT_REF.match(f"{self.name}@{self.version}"):
            raise ValueError(f"'{self.name}@{self.version}' is not name@major.minor.patch")
        missing = {"S", "M", "L", "XL"} - set(self.sizes)
        if missing:
            raise ValueError(f"sizes: missing {sorted(missing)}")
        for kind in self.spec.data_services:
            if kind not in self.data_service_sizes:
                raise ValueError(f"data_service_sizes: missing {kind}")
            self._check_terms(kind)
            if "aws" in self.targets and kind in AWS_CLASS_PREFIX:
                for size, ds in self.data_service_sizes[kind].items():
                    if not (ds.aws_class or "").startswith(AWS_CLASS_PREFIX[kind]):
                        raise ValueError(f"data_service_sizes.{kind}.{size}.aws_class: need a {AWS_CLASS_PREFIX[kind]}* class")
        self._defaults_offered()
        if self.deprecated and (self.sunset is None or self.successor is None):
            raise ValueError("deprecated: a deprecated version needs a sunset date and a successor")
        if not self.deprecated and (self.sunset or self.successor):
            raise ValueError("sunset: only a deprecated version has a sunset and a successor")
        return self

    def _check_terms(self, kind: str) -> None:
        terms = self.data_service_terms.get(kind)
        if terms is None:
            raise ValueError(f"data_service_terms: missing {kind}")
        missing = set(self.targets) - set(terms.replicas)
        if kind in AWS_CLASS_PREFIX and missing:
            raise ValueError(f"data_service_terms.{kind}.replicas: missing {sorted(missing)}")
        if terms.version_parameter is not None and terms.version_parameter not in self.parameters:
            raise ValueError(f"data_service_terms.{kind}.version_parameter: no parameter {terms.version_parameter}")
        if kind in AWS_CLASS_PREFIX and (terms.version is None) == (terms.version_parameter is None):
            raise ValueError(f"data_service_terms.{kind}: set exactly one of version and version_parameter")

    def versions_of(self, kind: str) -> tuple[str, ...]:
        """Every engine version a stack of this entry may get for `kind`."""
        terms = self.data_service_terms[kind]
        if terms.version_parameter is None:
            return (terms.version,) if terms.version else ()
        param = self.parameters[terms.version_parameter]
        return tuple(str(v) for v in (param.allowed or (param.default,)))

    def _defaults_offered(self) -> None:
        """The default data services are requests the entry itself would accept."""
        for i, wanted in enumerate(self.spec.default_data_services):
            try:
                service = DataServiceRequest.model_validate(wanted)
            except ValidationError as exc:
                raise ValueError(f"spec.default_data_services[{i}]: {first_error(exc)[1]}") from None
            if service.kind not in self.spec.data_services:
                raise ValueError(f"spec.default_data_services[{i}]: {service.kind} is not in spec.data_services")

    @property
    def ref(self) -> str:
        """`name@version`."""
        return f"{self.name}@{self.version}"


def _check_successors(entries: tuple[CatalogEntry, ...], folder: Path) -> None:
    """Each successor is a newer, supported version of the same blueprint."""
    supported = {(e.name, e.version) for e in entries if not e.deprecated}
    for e in entries:
        if e.successor is None:
            continue
        path = folder / e.name / f"{e.version}.yaml"
        if not BLUEPRINT_REF.match(f"{e.name}@{e.successor}"):
            raise BadInput(f"successor: '{e.successor}' is not major.minor.patch", path)
        if (e.name, e.successor) not in supported or semver_key(e.successor) <= semver_key(e.version):
            raise BadInput(f"successor: {e.name}@{e.successor} is not a newer, non-deprecated version", path)


class Catalog:
    """All entries of a catalog folder, looked up by `name[@version]`."""

    def __init__(self, folder: Path = CATALOG_DIR):
        self.folder = Path(folder)

    @cached_property
    def entries(self) -> tuple[CatalogEntry, ...]:
        """Every entry, sorted by name then version."""
        found = []
        for path in sorted(self.folder.glob("*/*.yaml")):
            entry = yaml_io.parse(CatalogEntry, yaml_io.load_data(path), path)
            if (entry.name, entry.version) != (path.parent.name, path.stem):
                raise BadInput(f"holds {entry.ref}; the file must be {entry.name}/{entry.version}.yaml", path)
            found.append(entry)
        entries = tuple(sorted(found, key=lambda e: (e.name, semver_key(e.version))))
        _check_successors(entries, self.folder)
        return entries

    def names(self) -> list[str]:
        """Blueprint names, sorted."""
        return sorted({e.name for e in self.entries})

    def versions(self, name: str) -> list[CatalogEntry]:
        """Every version of one blueprint, oldest first."""
        return [e for e in self.entries if e.name == name]

    def warnings(self, entry: CatalogEntry, audience: str = "application-team") -> list[str]:
        """Why stamping `entry` deserves a second look, each naming what to use instead."""
        found = []
        if entry.deprecated:
            instead = f"; use {entry.name}@{entry.successor} instead (sunset {entry.sunset})"
            found.append(f"{entry.ref} is deprecated: {entry.deprecated.rstrip('.')}{instead}")
        if entry.audience != audience:
            meant = sorted({e.name for e in self.entries if e.audience == audience and set(e.targets) & set(entry.targets)})
            instead = f"; {audience.replace('-', ' ')}s ask for {' or '.join(meant)}" if meant else ""
            found.append(f"{entry.ref} is meant for the {entry.audience.replace('-', ' ')}{instead}")
        return found

    def get(self, ref: str) -> CatalogEntry:
        """The entry for `name[@version]`; no version means the newest non-deprecated one."""
        match = BLUEPRINT_REF.match(ref)
        if not match:
            raise BadInput(f"blueprint: '{ref}' is not {REF_WORDS}")
        name, version = match["name"], match["version"]
        versions = self.versions(name)
        if not versions:
            raise BadInput(f"blueprint: unknown blueprint '{name}' (known: {', '.join(self.names())})")
        if version is None:
            current = [e for e in versions if not e.deprecated]
            if not current:
                raise BadInput(f"blueprint: every version of '{name}' is deprecated; name one explicitly")
            return current[-1]
        for entry in versions:
            if entry.version == version:
                return entry
        known = ", ".join(e.version for e in versions)
        raise BadInput(f"blueprint: '{name}' has no version {version} (known: {known})")
