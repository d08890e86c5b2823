"""Where the Pulumi Kubernetes Operator finds the fleet: the sites map's `operator` section, overridable by CLI options."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from blueprints.models import Frozen, Target

K8S_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
PREVIEW_SINCE = (2, 3, 0)
PASSPHRASE_ENV = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
"""How Pulumi's passphrase secrets provider takes its passphrase, which encrypts as well as decrypts."""
"""The first operator release whose Stack has `spec.preview`; an older one drops it and runs `pulumi up`."""


class SecretEnv(Frozen):
    """Environment variables a workspace takes from one Kubernetes Secret (never the values themselves)."""

    secret: str = Field(description="Secret in the stacks' namespace. Required.", pattern=K8S_NAME)
    keys: dict[str, str] = Field(description="Environment variable -> key in the Secret. Required.", min_length=1)


class WorkspaceResources(Frozen):
    """Requests and limits of each stack's workspace pod (where `pulumi up` runs)."""

    cpu: str = Field("1", description="CPU request. Default: 1.")
    memory: str = Field("2Gi", description="Memory request and limit. Default: 2Gi.")
    cpu_limit: str = Field("2", description="CPU limit. Default: 2.")


class PreviewIdentity(Frozen):
    """Who preview-only Stacks run as: a pull request's code, so never with the power to deploy."""

    service_account: str = Field(
        "pulumi-preview", description="Workspace service account of preview-only Stacks. Default: pulumi-preview.",
        pattern=K8S_NAME,
    )
    backend: SecretEnv = Field(
        description="Read-only state access: the backend URL and credentials that may only read it, a different "
        "Secret from the deploy backend's, and no passphrase: stacks keep their secrets under the awskms:// secrets "
        "provider (`bp backend bootstrap`), which the preview role may only decrypt with. Required."
    )

    @field_validator("backend")
    @classmethod
    def _no_passphrase(cls, value: SecretEnv) -> SecretEnv:
        found = sorted(set(value.keys) & set(PASSPHRASE_ENV))
        if found:
            raise ValueError(f"{', '.join(found)}: a preview Stack runs a pull request's code, and the deploy passphrase "
                             "decrypts every stack's secrets anywhere, unlogged and for good, and encrypts new ones; "
                             "previews decrypt through the awskms:// secrets provider with a role allowed only "
                             "kms:Decrypt (each call logged, revocable)")
        return value
    credentials: dict[Target, SecretEnv] = Field(
        default_factory=dict, description="Read-only cloud credentials per target (an AWS role with ReadOnlyAccess, a "
        "vSphere Read-only user), different Secrets from the deploy ones. Default: none."
    )


class OperatorSettings(Frozen):
    """How generated `pulumi.com/v1` Stacks reach the repository, the state backend and the clouds."""

    release: str = Field(
        "v2.9.0", description="Pulumi Kubernetes Operator release the manifests target (its Stack CRD is vendored in "
        "tests/crds); at least v2.3.0, whose Stack has spec.preview. Default: v2.9.0.", pattern=r"^v\d+\.\d+\.\d+$",
    )
    project_repo: str = Field(description="Git URL of this repository, cloned by each workspace. Required.")
    branch: str = Field("main", description="Branch deployed. Default: main.")
    repo_dir: str = Field(".", description="Folder of Pulumi.yaml in the repository. Default: the root.")
    namespace: str = Field("pulumi-stacks", description="Namespace of the Stacks. Default: pulumi-stacks.", pattern=K8S_NAME)
    preview_namespace: str = Field(
        "pulumi-previews", description="Namespace of preview-only Stacks for pull requests. Default: pulumi-previews.",
        pattern=K8S_NAME,
    )
    operator_namespace: str = Field(
        "pulumi-kubernetes-operator", description="Namespace the operator runs in. Default: pulumi-kubernetes-operator.",
        pattern=K8S_NAME,
    )
    service_account: str = Field("pulumi", description="Workspace service account. Default: pulumi.", pattern=K8S_NAME)
    organization: str | None = Field(
        None, description="Pulumi Cloud organization; stacks are then `<org>/<stack>`. Default: none (self-managed backend)."
    )
    backend: SecretEnv = Field(description="Backend URL and state secrets, e.g. PULUMI_BACKEND_URL. Required.")
    credentials: dict[Target, SecretEnv] = Field(
        default_factory=dict, description="Cloud credentials per target (e.g. VSPHERE_USER/VSPHERE_PASSWORD). Default: none."
    )
    preview: PreviewIdentity | None = Field(
        None, description="Identity and read-only secrets of preview-only Stacks. Default: none (no preview manifests)."
    )
    resync_seconds: int = Field(600, description="How often each Stack re-checks its branch. Default: 600.", ge=60)
    workspace: WorkspaceResources = Field(default_factory=WorkspaceResources, description="Workspace pod size. Default: 1 CPU, 2Gi.")

    @field_validator("release")
    @classmethod
    def _has_preview(cls, value: str) -> str:
        if tuple(int(p) for p in value[1:].split(".")) < PREVIEW_SINCE:
            raise ValueError(f"{value} has no spec.preview on its Stack (from v2.3.0 on): preview-only Stacks would run `pulumi up`")
        return value

    @model_validator(mode="after")
    def _previews_hold_no_deploy_secret(self) -> "OperatorSettings":
        if self.preview is None:
            return self
        deploy = {self.backend.secret, *(c.secret for c in self.credentials.values())}
        shared = deploy & {self.preview.backend.secret, *(c.secret for c in self.preview.credentials.values())}
        if shared:
            raise ValueError(f"preview: reuses the deploy Secret(s) {sorted(shared)}; previews get read-only ones")
        if self.preview.service_account == self.service_account:
            raise ValueError("preview.service_account: must differ from the deploy service_account")
        return self

    @field_validator("project_repo")
    @classmethod
    def _url(cls, value: str) -> str:
        if not (value.startswith(("https://", "ssh://", "git@")) and len(value) > 10):
            raise ValueError(f"'{value}' is not a git URL (https://, ssh:// or git@)")
        return value
