"""Kubernetes workloads: every container of every pod template is unprivileged, non-root, capability-free, bounded
and runs a pinned image."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from policy_packs.spec import CRITICAL, HIGH, MEDIUM, Rule, resource_rule

RULES: list[Rule] = []

WORKLOADS = (
    "kubernetes:core/v1:Pod", "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet", "kubernetes:apps/v1:ReplicaSet", "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
)


def pod_spec(args) -> Mapping[str, Any]:
    """The pod spec inside any workload kind (Pod, a template, or a CronJob's job template)."""
    spec = args.props.get("spec") or {}
    if args.resource_type.endswith(":Pod"):
        return spec
    if args.resource_type.endswith(":CronJob"):
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Init, ephemeral and app containers."""
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(key) or []


def _effective(container, pod, field: str) -> Any:
    """A security setting from the container, else the pod's securityContext."""
    own = (container.get("securityContext") or {}).get(field)
    return own if own is not None else (pod.get("securityContext") or {}).get(field)


@resource_rule(
    RULES, "kubernetes-pod-container-privileged",
    "Forbid privileged containers, which hold every capability of the node.",
    CRITICAL,
    remediation="Remove securityContext.privileged (or set it false); the restricted Pod Security level rejects it.",
    themes=("workload-isolation",), types=WORKLOADS,
)
def privileged(args, report, config) -> None:
    for c in containers(pod_spec(args)):
        if (c.get("securityContext") or {}).get("privileged") is True:
            report(f"container {c.get('name')} is privileged")


@resource_rule(
    RULES, "kubernetes-pod-spec-host-namespaces",
    "Forbid pods that share the node's network, process or IPC namespace.",
    CRITICAL,
    remediation="Remove hostNetwork, hostPID and hostIPC from the pod spec.",
    themes=("workload-isolation",), types=WORKLOADS,
)
def host_namespaces(args, report, config) -> None:
    spec = pod_spec(args)
    shared = [f for f in ("hostNetwork", "hostPID", "hostIPC") if spec.get(f) is True]
    if shared:
        report(f"shares the node's namespaces: {', '.join(shared)}")


@resource_rule(
    RULES, "kubernetes-pod-spec-host-path",
    "Forbid hostPath volumes, which expose the node's file system to the pod.",
    HIGH,
    remediation="Use a PersistentVolumeClaim, emptyDir, configMap or secret volume instead.",
    themes=("workload-isolation",), types=WORKLOADS,
)
def host_path(args, report, config) -> None:
    for v in pod_spec(args).get("volumes") or []:
        if v.get("hostPath"):
            report(f"volume {v.get('name')} mounts host path {v['hostPath'].get('path')}")


@resource_rule(
    RULES, "kubernetes-pod-container-privilege-escalation",
    "Require allowPrivilegeEscalation false on every container.",
    HIGH,
    remediation="Set securityContext.allowPrivilegeEscalation: false on each container.",
    themes=("pod-hardening",), types=WORKLOADS,
)
def privilege_escalation(args, report, config) -> None:
    for c in containers(pod_spec(args)):
        if (c.get("securityContext") or {}).get("allowPrivilegeEscalation") is not False:
            report(f"container {c.get('name')} may escalate privileges")


@resource_rule(
    RULES, "kubernetes-pod-container-run-as-non-root",
    "Require every container to run as a non-root user.",
    HIGH,
    remediation="Set runAsNonRoot: true (and a runAsUser above 0) in the pod or container securityContext.",
    themes=("pod-hardening",), types=WORKLOADS,
)
def run_as_non_root(args, report, config) -> None:
    spec = pod_spec(args)
    for c in containers(spec):
        if _effective(c, spec, "runAsNonRoot") is not True or _effective(c, spec, "runAsUser") == 0:
            report(f"container {c.get('name')} may run as root")


@resource_rule(
    RULES, "kubernetes-pod-container-drop-capabilities",
    "Drop ALL Linux capabilities from every container.",
    MEDIUM,
    remediation="Set securityContext.capabilities.drop: [ALL]; add back only NET_BIND_SERVICE if a port below 1024 is needed.",
    themes=("pod-hardening", "least-privilege"), types=WORKLOADS,
)
def drop_capabilities(args, report, config) -> None:
    for c in containers(pod_spec(args)):
        caps = (c.get("securityContext") or {}).get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            report(f"container {c.get('name')} does not drop ALL capabilities")
        added = [a for a in caps.get("add") or [] if a != "NET_BIND_SERVICE"]
        if added:
            report(f"container {c.get('name')} adds capabilities {', '.join(added)}")


@resource_rule(
    RULES, "kubernetes-pod-container-resource-limits",
    "Set CPU and memory limits on every container, so one workload cannot starve its neighbours.",
    MEDIUM,
    remediation="Set resources.limits.cpu and resources.limits.memory (the namespace's LimitRange gives defaults).",
    themes=("capacity-limits",), types=WORKLOADS,
)
def resource_limits(args, report, config) -> None:
    for c in containers(pod_spec(args)):
        limits = (c.get("resources") or {}).get("limits") or {}
        missing = [r for r in ("cpu", "memory") if not limits.get(r)]
        if missing:
            report(f"container {c.get('name')} has no {' or '.join(missing)} limit")


def unpinned(image: str) -> str | None:
    """Why an image reference is not pinned, or None when it names a digest or a fixed tag."""
    if "@sha256:" in image:
        return None
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return "has no tag"
    if name.rsplit(":", 1)[1] == "latest":
        return "uses the mutable tag 'latest'"
    return None


@resource_rule(
    RULES, "kubernetes-pod-container-image-pinned",
    "Pin every container image to a digest or a fixed tag, never latest or no tag.",
    MEDIUM,
    remediation="Reference images as registry/name:version or registry/name@sha256:digest.",
    themes=("supply-chain",), types=(*WORKLOADS, "kubernetes:postgresql.cnpg.io/v1:Cluster"),
)
def image_pinned(args, report, config) -> None:
    if args.resource_type.endswith("cnpg.io/v1:Cluster"):
        images = [("postgres", (args.props.get("spec") or {}).get("imageName"))]
        images = [(n, i) for n, i in images if i]
    else:
        images = [(c.get("name"), c.get("image") or "") for c in containers(pod_spec(args))]
    for name, image in images:
        why = unpinned(image)
        if why:
            report(f"container {name} image {image!r} {why}")
