"""Inputs for fleet-wide `pulumi up` on the Pulumi Kubernetes Operator v2: one `pulumi.com/v1` Stack per stack file.

We generate what the operator needs and let it schedule, retry and report; we do not run updates ourselves.
Each Stack clones this repository at the configured branch, selects its stack, and takes the backend and
cloud credentials from Secrets by reference (`envRefs`): no secret value is ever written here. Preview-only
Stacks (`spec.preview: true`) go to their own namespace, for a pull request's branch.
"""

from __future__ import annotations

from dataclasses import dataclass

from blueprints.errors import BadInput
from blueprints.fleet_operator_settings import OperatorSettings, SecretEnv
from blueprints.plan import rotates_in_program
from blueprints.resolved import ResolvedBlueprint

LABEL = "cloud-blueprints.io"
MANAGED = {"app.kubernetes.io/managed-by": "cloud-blueprints"}


@dataclass(frozen=True)
class Manifests:
    """The platform objects (namespace, identity, access) and one Stack per stack file."""

    platform: list[dict]
    """Namespace, ServiceAccount, its system:auth-delegator binding, and the operator-to-workspace NetworkPolicy."""
    stacks: list[dict]
    """`pulumi.com/v1` Stacks, in stack-name order."""


def _env_refs(*sources: SecretEnv) -> dict:
    return {env: {"type": "Secret", "secret": {"name": src.secret, "key": key}}
            for src in sources for env, key in sorted(src.keys.items())}


def _label_value(text: str) -> str:
    """A label value: `web-service@2.0.0` -> `web-service_2.0.0`."""
    return text.replace("@", "_")[:63]


def _identity(settings: OperatorSettings, preview: bool) -> tuple[str, SecretEnv, dict]:
    """(service account, backend Secret, cloud Secrets per target): the deploy set, or the preview's read-only one."""
    if not preview:
        return settings.service_account, settings.backend, settings.credentials
    if settings.preview is None:
        raise BadInput("operator.preview: preview-only Stacks run a pull request's code and must not hold the deploy "
                       "secrets; name their service account and read-only Secrets in the sites map's operator section")
    return settings.preview.service_account, settings.preview.backend, settings.preview.credentials


def stack_resource(bp: ResolvedBlueprint, settings: OperatorSettings, preview: bool = False,
                   branch: str | None = None) -> dict:
    """The operator's Stack for one stamped stack (with `preview`, under the preview identity)."""
    name, ref = bp.request.blueprint.split("@", 1)
    account, backend, by_target = _identity(settings, preview)
    credentials = [by_target[t] for t in sorted({p.target for p in bp.placements}) if t in by_target]
    spec = {
        "stack": f"{settings.organization}/{bp.stack}" if settings.organization else bp.stack,
        "projectRepo": settings.project_repo,
        "branch": branch or settings.branch,
        "repoDir": settings.repo_dir,
        "serviceAccountName": account,
        "envRefs": _env_refs(backend, *credentials),
        "resyncFrequencySeconds": settings.resync_seconds,
        # The stack file in the repository is the configuration; never create a stack that has none.
        "useLocalStackOnly": True,
        "refresh": True,
        # Deleting the Stack object must never destroy a team's infrastructure; retiring does that, deliberately.
        "destroyOnFinalize": False,
        "workspaceTemplate": {"spec": {
            "securityProfile": "restricted",
            "resources": {
                "requests": {"cpu": settings.workspace.cpu, "memory": settings.workspace.memory},
                "limits": {"cpu": settings.workspace.cpu_limit, "memory": settings.workspace.memory},
            },
        }},
    }
    if preview:
        spec["preview"] = True
    elif rotates_in_program(bp):
        # The operator re-runs a Stack only for a new commit unless told otherwise; a password the program rotates
        # on a schedule needs the run after its rotation time (each resync then runs `pulumi up`).
        spec["continueResyncOnCommitMatch"] = True
    labels = {
        **MANAGED,
        f"{LABEL}/team": bp.request.team,
        f"{LABEL}/env": bp.request.env,
        f"{LABEL}/blueprint": name,
        f"{LABEL}/blueprint-version": ref,
        f"{LABEL}/target": bp.primary.target,
        f"{LABEL}/region": bp.primary.region,
    }
    if bp.retired:
        labels[f"{LABEL}/retired"] = "true"
    return {
        "apiVersion": "pulumi.com/v1",
        "kind": "Stack",
        "metadata": {"name": bp.stack, "namespace": settings.preview_namespace if preview else settings.namespace,
                     "labels": labels, "annotations": {f"{LABEL}/owner": bp.request.owner}},
        "spec": spec,
    }


def platform_resources(settings: OperatorSettings, namespace: str, preview: bool = False) -> list[dict]:
    """What the Stacks of one namespace need: the namespace, the workspace identity and its access.

    Preview-only Stacks live in their own namespace under their own account: Secrets are namespaced and a
    Stack's envRefs name Secrets of its own namespace, so nothing there reaches the deploy Secrets."""
    sa = _identity(settings, preview)[0]
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": dict(MANAGED)}},
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": sa, "namespace": namespace, "labels": dict(MANAGED)}},
        # Operator v2 workspaces authenticate the operator's calls with TokenReviews: the SA must be an auth delegator.
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": f"{namespace}:{sa}:system:auth-delegator", "labels": dict(MANAGED)},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
         "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": namespace}]},
        # Only the operator may reach a workspace's gRPC port.
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "allow-workspace-rpc", "namespace": namespace, "labels": dict(MANAGED)},
         "spec": {
             "podSelector": {"matchLabels": {"auto.pulumi.com/component": "workspace"}},
             "policyTypes": ["Ingress"],
             "ingress": [{
                 "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": settings.operator_namespace}},
                           "podSelector": {"matchLabels": {"app.kubernetes.io/name": "pulumi-kubernetes-operator"}}}],
                 "ports": [{"port": "grpc", "protocol": "TCP"}],
             }],
         }},
    ]


def manifests(stacks: list[ResolvedBlueprint], settings: OperatorSettings, preview: bool = False,
              branch: str | None = None) -> Manifests:
    """Everything to apply for the fleet (or, with `preview`, for a pull request's preview-only run)."""
    namespace = settings.preview_namespace if preview else settings.namespace
    return Manifests(
        platform=platform_resources(settings, namespace, preview),
        stacks=[stack_resource(bp, settings, preview, branch) for bp in sorted(stacks, key=lambda b: b.stack)],
    )


WAVE_WINDOW = "24h"
"""How recently the previous wave must have succeeded for the next to start: a wave is a day's repaves."""


def chained(stacks: list[dict], waves: list[tuple[str, ...]], within: str = WAVE_WINDOW) -> list[dict]:
    """The Stacks with each wave after the first waiting on every Stack of the wave before (`spec.prerequisites`).

    The operator then rolls a patch out in the planned order: a Stack of wave N runs only once each Stack of wave
    N-1 has succeeded within `within`. A Stack in no wave is left as it is.
    """
    before: dict[str, tuple[str, ...]] = {}
    for previous, wave in zip(waves, waves[1:]):
        for name in wave:
            before[name] = previous
    return [_with_prerequisites(s, before[s["metadata"]["name"]], within) if s["metadata"]["name"] in before else s
            for s in stacks]


def _with_prerequisites(stack: dict, names: tuple[str, ...], within: str) -> dict:
    prerequisites = [{"name": n, "requirement": {"succeededWithinDuration": within}} for n in sorted(names)]
    return {**stack, "spec": {**stack["spec"], "prerequisites": prerequisites}}
