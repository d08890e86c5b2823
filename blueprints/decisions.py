"""The decisions a stack file records: the resolved values its components build, next to the request.

`bp new` decides them from the request and the sites map (blueprints/plan/decide.py) and writes them down; the
stack program builds exactly what they say and never looks at the sites map's tables. A sites-map change
reaches a stack only as a reviewed rewrite of these values (`bp fleet check` shows them stale, `bp fleet patch`
moves them); a plan change never reaches one silently, since the plan reads its machines, images and networks here.
"""

from __future__ import annotations

from pydantic import Field

from blueprints.models import DataServiceKind, Frozen
from blueprints.sites import ClusterNetworks, PlatformNetwork, Quotas, ZoneControls


class EngineDecision(Frozen):
    """The release of one promised engine version a stack's target runs."""

    kind: DataServiceKind = Field(description="Data service. Required.")
    version: str = Field(description="The promised version it delivers. Required.")
    aws_version: str | None = Field(None, description="AWS: the engine version asked of RDS, ElastiCache or MSK. "
                                    "Default: none (not on AWS).")
    image: str | None = Field(None, description="Kubernetes: the image, pinned by digest. Default: none.",
                              pattern=r"^\S+@sha256:[0-9a-f]{64}$")
    operator_version: str | None = Field(None, description="Kubernetes: the version asked of the operator. "
                                         "Default: none.")


class SystemPoolDecision(Frozen):
    """The system node pool of a dedicated EKS cluster."""

    instance_types: tuple[str, ...] = Field(description="Instance types. Required.", min_length=1)
    min: int = Field(description="Fewest nodes. Required.", ge=0)
    desired: int = Field(description="Nodes wanted. Required.", ge=0)
    max: int = Field(description="Most nodes. Required.", ge=1)


class Decisions(Frozen):
    """Every fleet value a stack's components use, decided when stamped and changed only by a reviewed rewrite."""

    node_machine: str | None = Field(None, description="The sized node pools' EC2 instance type (EKS) or VM class "
                                     "(VKS). Default: none (no dedicated cluster).")
    control_plane_class: str | None = Field(None, description="VKS: the control plane's VM class. Default: none.")
    system_pool: SystemPoolDecision | None = Field(None, description="EKS: the system pool. Default: none.")
    cluster_networks: ClusterNetworks | None = Field(None, description="A dedicated cluster's internal networks. "
                                                     "Default: none (no dedicated cluster).")
    mhz_per_vcpu: int | None = Field(None, description="vSphere: MHz a vCPU is worth in reservations and limits. "
                                     "Default: none (nothing placed on vSphere).", gt=0)
    quotas: Quotas | None = Field(None, description="The team namespace's quota constants. Default: none "
                                  "(no namespace).")
    engines: tuple[EngineDecision, ...] = Field((), description="The release of each versioned data service. "
                                                "Default: none.")
    vm_template: str | None = Field(None, description="vSphere VM pools: the template the VMs are cloned from "
                                    "(a versioned name is a new template). Default: none (no VM pool).")
    vm_template_held: dict[str, str] | None = Field(None, description="vSphere VM pools of an HA stack: data "
                                                    "centers that keep their earlier template while a new one rolls "
                                                    "out a data center at a time. Default: none (every data center "
                                                    "runs vm_template).")
    kubernetes_version: str | None = Field(None, description="A dedicated cluster's Kubernetes minor as built; it "
                                           "moves one minor at a time toward the blueprint's. Default: none (no "
                                           "dedicated cluster, or stamped before it was recorded: the spec's).",
                                           pattern=r"^1\.\d+$")
    eks_addons: dict[str, str] | None = Field(None, description="EKS: the managed add-on versions of the cluster's "
                                              "minor. Default: none (the versions EKS picked at creation).")
    node_image: str | None = Field(None, description="EKS: the node groups' AMI release version (1.34.3-20260209); "
                                   "a new one rolls the nodes. Default: none (the AMI EKS picked at creation).")

    network: PlatformNetwork = Field(PlatformNetwork(), description="The platform controllers and ports the team "
                                     "namespace's network flows meet. Default: the stock ones.")
    zone: ZoneControls | None = Field(None, description="What the stack's compliance zone adds. Default: none "
                                      "(stamped before zones were recorded: the zone's stock controls).")
    certificate_issuer: str = Field("platform-ca", description="cert-manager ClusterIssuer of data-service server "
                                    "certificates. Default: platform-ca.")

    def engine(self, kind: str, version: str) -> EngineDecision | None:
        """The recorded release of a promised engine version."""
        return next((e for e in self.engines if e.kind == kind and e.version == version), None)
