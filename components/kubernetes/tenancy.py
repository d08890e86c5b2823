"""A team's namespace on a cluster: the fence every team workload runs inside."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from blueprints.plan.flows import POD_GROUPS, Flow
from components.kubernetes.labels import label_value


@dataclass(frozen=True)
class TeamNamespaceArgs:
    """Inputs of TeamNamespace; quotas come from the plan (the size class, the fleet's quotas, the data services)."""

    namespace: str
    """Namespace name, usually `<team>-<env>`."""
    team_group: str
    """Identity-provider group bound to the namespace's `team-developer` Role (TEAM_RULES)."""
    platform_group: str
    """Group of platform admins bound to the `admin` role."""
    cpu: int
    """vCPU the namespace may request and use (quota)."""
    memory_gib: int
    """Memory the namespace may request and use, GiB (quota)."""
    labels: Mapping[str, str]
    """Ownership labels (team, owner, cost-center, env, ...); values are sanitised."""
    flows: tuple[Flow, ...]
    """The network intent (blueprints.plan.flows): one NetworkPolicy each on top of default-deny."""
    storage_gib: int
    """Persistent storage the namespace may claim, GiB."""
    max_pods: int
    """Pods the namespace may run."""
    max_container_cpu: int
    """Largest CPU limit of one container (LimitRange), capped by the quota."""
    max_container_memory_gib: int
    """Largest memory limit of one container, GiB (LimitRange), capped by the quota."""
    max_claim_gib: int
    """Largest persistent volume claim, GiB (LimitRange), capped by the quota."""
    renames: Mapping[str, str] = field(default_factory=dict)
    """Logical names the blueprint version gives children instead of the defaults (its moves). Default: none."""
    pod_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """AWS shared cluster: the security groups the application pods wear (the team's own and the cluster's node
    group), through the VPC CNI's SecurityGroupPolicy. Default: none (the pods wear their node's)."""


TEAM_ROLE = "team-developer"

_WRITE = ("create", "delete", "deletecollection", "patch", "update")
_READ = ("get", "list", "watch")
TEAM_RULES: tuple[dict, ...] = (
    {"apiGroups": [""], "resources": ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"],
     "verbs": [*_READ, *_WRITE]},
    {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["configmaps", "persistentvolumeclaims", "secrets", "serviceaccounts", "services",
                                      "services/proxy", "replicationcontrollers", "replicationcontrollers/scale"],
     "verbs": [*_READ, *_WRITE]},
    {"apiGroups": [""], "resources": ["endpoints", "events", "limitranges", "resourcequotas", "pods/log",
                                      "pods/status", "persistentvolumeclaims/status", "services/status"],
     "verbs": list(_READ)},
    {"apiGroups": ["apps"], "resources": ["deployments", "deployments/scale", "replicasets", "replicasets/scale",
                                          "statefulsets", "statefulsets/scale", "daemonsets"],
     "verbs": [*_READ, *_WRITE]},
    {"apiGroups": ["apps"], "resources": ["controllerrevisions"], "verbs": list(_READ)},
    {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": [*_READ, *_WRITE]},
    {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": [*_READ, *_WRITE]},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": [*_READ, *_WRITE]},
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": [*_READ, *_WRITE]},
    {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": list(_READ)},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": list(_READ)},
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": [*_READ, *_WRITE]},
)
"""What a team needs in its namespace: Kubernetes' `edit` less the guardrails. NetworkPolicies, the quota
and the limit range are read-only; no RBAC; no impersonating or minting tokens for service accounts,
which the operators' service accounts in the namespace would turn into their rights."""


class TeamNamespace(pulumi.ComponentResource):
    """Namespace with Pod Security 'restricted', quota, limits, RBAC and default-deny network policies."""

    namespace: pulumi.Output[str]

    def __init__(self, name: str, args: TeamNamespaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:k8s:TeamNamespace", name, None, opts)
        labels = {k: label_value(v) for k, v in args.labels.items()}
        ns = self._pod_security_restricted_namespace(name, args, labels)
        self.namespace = ns.metadata.name
        # Everything else lives in the namespace and must wait for it.
        inside = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        self._quota_without_node_ports_or_load_balancers(name, args, labels, inside)
        self._limits_on_every_container_and_claim(name, args, labels, inside)
        self._role_bindings(name, args, labels, inside)
        self._default_deny_network_policies(name, args, labels, inside)
        if args.pod_security_group_ids:
            self._pod_security_groups(name, args, labels, inside)
        self.register_outputs({"namespace": self.namespace})

    @staticmethod
    def _meta(suffix: str, args: TeamNamespaceArgs, labels: dict[str, str]) -> dict:
        return {"name": suffix, "namespace": args.namespace, "labels": labels}

    def _pod_security_restricted_namespace(self, name: str, args: TeamNamespaceArgs,
                                           labels: dict[str, str]) -> k8s.core.v1.Namespace:
        """The namespace, with Pod Security Admission `restricted` enforced, audited and warned."""
        return k8s.core.v1.Namespace(
            args.renames.get(f"{name}-ns", f"{name}-ns"),
            metadata={
                "name": args.namespace,
                "labels": {
                    **labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
                "annotations": {f"cloud-blueprints.io/{k}": v for k, v in args.labels.items()},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _quota_without_node_ports_or_load_balancers(self, name: str, args: TeamNamespaceArgs, labels: dict[str, str],
                                                    inside: pulumi.ResourceOptions) -> None:
        """The plan's quota; exposure goes through the shared ingress, never a node port or a cloud load balancer."""
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=self._meta("team-quota", args, labels),
            spec={
                "hard": {
                    "requests.cpu": str(args.cpu),
                    "limits.cpu": str(args.cpu * 2),
                    "requests.memory": f"{args.memory_gib}Gi",
                    "limits.memory": f"{args.memory_gib}Gi",
                    "requests.storage": f"{args.storage_gib}Gi",
                    "persistentvolumeclaims": "50",
                    "pods": str(args.max_pods),
                    "services.nodeports": "0",
                    "services.loadbalancers": "0",
                }
            },
            opts=inside,
        )

    def _limits_on_every_container_and_claim(self, name: str, args: TeamNamespaceArgs, labels: dict[str, str],
                                             inside: pulumi.ResourceOptions) -> None:
        """Containers that state nothing still get requests and limits, so the quota applies; none exceeds the quota."""
        max_cpu = min(args.cpu, args.max_container_cpu)
        max_memory = min(args.memory_gib, args.max_container_memory_gib)
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=self._meta("team-limits", args, labels),
            spec={
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "500m", "memory": "512Mi"},
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                        "max": {"cpu": str(max_cpu), "memory": f"{max_memory}Gi"},
                    },
                    {"type": "PersistentVolumeClaim", "max": {"storage": f"{min(args.storage_gib, args.max_claim_gib)}Gi"}},
                ]
            },
            opts=inside,
        )

    def _role_bindings(self, name: str, args: TeamNamespaceArgs, labels: dict[str, str],
                       inside: pulumi.ResourceOptions) -> None:
        """The team runs its workloads but cannot edit its guardrails; platform admins administer the namespace.

        Not `edit`: it aggregates create/delete of NetworkPolicies, so a team could delete its default-deny."""
        role = k8s.rbac.v1.Role(f"{name}-team-role", metadata=self._meta(TEAM_ROLE, args, labels),
                                rules=[dict(r) for r in TEAM_RULES], opts=inside)
        for suffix, kind, role_name, group in (("team-edit", "Role", TEAM_ROLE, args.team_group),
                                               ("platform-admin", "ClusterRole", "admin", args.platform_group)):
            k8s.rbac.v1.RoleBinding(
                f"{name}-{suffix}",
                metadata=self._meta(suffix, args, labels),
                role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name},
                subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
                opts=pulumi.ResourceOptions.merge(inside, pulumi.ResourceOptions(depends_on=[role])),
            )

    def _default_deny_network_policies(self, name: str, args: TeamNamespaceArgs, labels: dict[str, str],
                                       inside: pulumi.ResourceOptions) -> None:
        """Deny everything, let the applications reach each other, then exactly the plan's flows (DNS, ingress,
        operators, each data service's clients and replication...)."""
        def policy(suffix: str, spec: dict) -> None:
            k8s.networking.v1.NetworkPolicy(f"{name}-{suffix}", metadata=self._meta(suffix, args, labels), spec=spec,
                                            opts=inside)

        # Rendered policies are only worth what the cluster's CNI enforces. EKS: the vpc-cni add-on's
        # network policy agent, switched on by KubernetesCluster. VKS: Antrea, the CNI a VKS cluster
        # gets when its Cluster names none (VksCluster names none), enforces NetworkPolicy natively, as
        # would Calico, the other CNI VKS offers. Shared clusters are the platform's, built the same way.
        same_namespace = [{"podSelector": {}}]
        policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
        # The applications among themselves; a data service's pods admit only their clients and each other (flows).
        policy("allow-same-namespace", {
            "podSelector": POD_GROUPS["app"],
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": same_namespace}],
            "egress": [{"to": same_namespace}],
        })
        # A flow whose addresses the sites map lacks is not rendered: `bp validate` names the field to fill.
        for flow in args.flows:
            if flow.missing is None:
                policy(f"allow-{flow.name}", flow_policy(flow))


    def _pod_security_groups(self, name: str, args: TeamNamespaceArgs, labels: dict[str, str],
                             inside: pulumi.ResourceOptions) -> None:
        """The application pods wear the team's security group (a branch network interface each), the identity
        its managed data services admit. Matching stays with the platform: teams cannot write these policies."""
        k8s.apiextensions.CustomResource(
            f"{name}-pod-security-groups",
            api_version="vpcresources.k8s.aws/v1beta1",
            kind="SecurityGroupPolicy",
            metadata=self._meta("team-pods", args, labels),
            spec={"podSelector": POD_GROUPS["app"], "securityGroups": {"groupIds": list(args.pod_security_group_ids)}},
            opts=inside,
        )


def flow_policy(flow: Flow) -> dict:
    """The NetworkPolicy spec that allows one flow and nothing else."""
    peer = flow.peer
    if peer.namespace is not None:
        selector: dict = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": peer.namespace}}}
        if peer.labels:
            selector["podSelector"] = {"matchLabels": dict(peer.labels)}
        peers = [selector]
    else:
        peers = [{"ipBlock": {"cidr": cidr, **({"except": list(peer.excluded)} if peer.excluded else {})}}
                 for cidr in peer.cidrs]
    ports = [{"protocol": protocol, "port": port} for port in flow.ports for protocol in flow.protocols]
    key, side = ("ingress", "from") if flow.direction == "ingress" else ("egress", "to")
    return {"podSelector": POD_GROUPS[flow.pods], "policyTypes": [key.capitalize()], key: [{side: peers, "ports": ports}]}
