"""Kubernetes tenancy: every namespace enforces Pod Security 'restricted', has a quota, a limit range and a
default-deny network policy; RBAC grants no wildcards and never cluster-admin to team groups."""

from __future__ import annotations

import fnmatch

from policy_packs.spec import CRITICAL, HIGH, MEDIUM, Rule, of_type, resource_rule, stack_rule

RULES: list[Rule] = []

NAMESPACE = "kubernetes:core/v1:Namespace"
PSA = "pod-security.kubernetes.io/"


@resource_rule(
    RULES, "kubernetes-core-namespace-pod-security",
    "Enforce the Pod Security Admission 'restricted' level on every namespace.",
    HIGH,
    remediation="Label the namespace pod-security.kubernetes.io/enforce=restricted (and warn/audit) as TeamNamespace does.",
    themes=("workload-isolation", "namespace-isolation"), types=(NAMESPACE,),
)
def pod_security(args, report, config) -> None:
    labels = (args.props.get("metadata") or {}).get("labels") or {}
    level = labels.get(PSA + "enforce")
    if level != "restricted":
        report(f"{PSA}enforce is {level!r}, not 'restricted'")


def _namespaces(args) -> list:
    return of_type(args.resources, NAMESPACE)


def _ns_name(resource) -> str | None:
    return (resource.props.get("metadata") or {}).get("name")


def _in_namespace(args, type_token: str, namespace: str) -> list:
    return [r for r in of_type(args.resources, type_token) if (r.props.get("metadata") or {}).get("namespace") == namespace]


def _each_namespace_needs(args, report, type_token: str, what: str, ok=lambda r: True) -> None:
    for ns in _namespaces(args):
        name = _ns_name(ns)
        if not any(ok(r) for r in _in_namespace(args, type_token, name)):
            report(f"namespace {name} has no {what}", ns.urn)


@stack_rule(
    RULES, "kubernetes-core-namespace-resource-quota",
    "Give every namespace a ResourceQuota, so a team cannot take more of the cluster than its size class.",
    MEDIUM,
    remediation="Create a ResourceQuota in the namespace from the blueprint's size class (TeamNamespace does).",
    themes=("capacity-limits", "namespace-isolation"),
)
def resource_quota(args, report, config) -> None:
    _each_namespace_needs(args, report, "kubernetes:core/v1:ResourceQuota", "ResourceQuota")


@stack_rule(
    RULES, "kubernetes-core-namespace-limit-range",
    "Give every namespace a LimitRange, so containers without limits get sane defaults.",
    MEDIUM,
    remediation="Create a LimitRange with default and defaultRequest for containers (TeamNamespace does).",
    themes=("capacity-limits",),
)
def limit_range(args, report, config) -> None:
    _each_namespace_needs(args, report, "kubernetes:core/v1:LimitRange", "LimitRange")


def _default_deny(policy) -> bool:
    spec = policy.props.get("spec") or {}
    types = set(spec.get("policyTypes") or [])
    return not (spec.get("podSelector") or {}) and {"Ingress", "Egress"} <= types and not spec.get("ingress") and not spec.get("egress")


@stack_rule(
    RULES, "kubernetes-networking-namespace-default-deny",
    "Deny all ingress and egress by default in every namespace, so only declared traffic flows.",
    HIGH,
    remediation="Create a NetworkPolicy with an empty podSelector, policyTypes [Ingress, Egress] and no rules; allow "
                "needed flows with further policies.",
    themes=("network-segmentation", "namespace-isolation"),
)
def default_deny(args, report, config) -> None:
    _each_namespace_needs(args, report, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny NetworkPolicy", _default_deny)


@resource_rule(
    RULES, "kubernetes-rbac-role-no-wildcards",
    "Forbid wildcards in RBAC rules, which grant every current and future verb or resource.",
    HIGH,
    remediation="List the apiGroups, resources and verbs the role needs.",
    themes=("least-privilege",),
    types=("kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"),
)
def no_wildcards(args, report, config) -> None:
    for i, rule in enumerate(args.props.get("rules") or []):
        wild = [f for f in ("apiGroups", "resources", "verbs") if "*" in (rule.get(f) or [])]
        if wild:
            report(f"rule {i} uses '*' in {', '.join(wild)}")


@resource_rule(
    RULES, "kubernetes-rbac-binding-no-cluster-admin",
    "Forbid binding cluster-admin to team groups.",
    CRITICAL,
    remediation="Bind teams to the namespaced 'edit' or 'view' ClusterRoles through a RoleBinding in their namespace.",
    themes=("least-privilege",),
    types=("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
    config={"teamGroups": {"type": "string", "default": "team-*", "description": "Glob of the groups that belong to teams."}},
)
def no_cluster_admin(args, report, config) -> None:
    if (args.props.get("roleRef") or {}).get("name") != "cluster-admin":
        return
    for s in args.props.get("subjects") or []:
        if s.get("kind") == "Group" and fnmatch.fnmatchcase(s.get("name") or "", config["teamGroups"]):
            report(f"group {s.get('name')} is bound to cluster-admin")


GUARDRAILS = {("networking.k8s.io", "networkpolicies"), ("extensions", "networkpolicies"), ("", "resourcequotas"),
              ("", "limitranges"), ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "rolebindings"),
              ("rbac.authorization.k8s.io", "clusterroles"), ("rbac.authorization.k8s.io", "clusterrolebindings")}
GUARDRAIL_WRITERS = {"edit", "admin", "cluster-admin"}
"""Kubernetes' ClusterRoles that write a guardrail: `edit` aggregates NetworkPolicy writes, `admin` also RBAC."""
_WRITES = {"create", "delete", "deletecollection", "patch", "update", "*"}


def _writes_guardrail(rules: list) -> str | None:
    for rule in rules or []:
        if not _WRITES & set(rule.get("verbs") or []):
            continue
        for group in rule.get("apiGroups") or []:
            for resource in rule.get("resources") or []:
                if (group, resource) in GUARDRAILS or "*" in (group, resource):
                    return f"{group or 'core'}/{resource}"
    return None


@stack_rule(
    RULES, "kubernetes-rbac-team-binding-no-guardrail-writes",
    "Forbid binding team groups to roles that write NetworkPolicies, quotas, limit ranges or RBAC, so no team can remove its fence.",
    CRITICAL,
    remediation="Bind the team group to the namespace's team-developer Role (TeamNamespace renders it), never to edit or admin.",
    themes=("least-privilege", "namespace-isolation"),
    config={"teamGroups": {"type": "string", "default": "team-*", "description": "Glob of the groups that belong to teams."}},
)
def team_binding_no_guardrail_writes(args, report, config) -> None:
    roles = {((r.props.get("metadata") or {}).get("namespace"), (r.props.get("metadata") or {}).get("name")): r
             for r in of_type(args.resources, "kubernetes:rbac.authorization.k8s.io/v1:Role")
             + of_type(args.resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")}
    bindings = (of_type(args.resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
                + of_type(args.resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"))
    for binding in bindings:
        teams = [s.get("name") for s in binding.props.get("subjects") or []
                 if s.get("kind") == "Group" and fnmatch.fnmatchcase(s.get("name") or "", config["teamGroups"])]
        if not teams:
            continue
        ref = binding.props.get("roleRef") or {}
        if ref.get("kind") == "ClusterRole" and ref.get("name") in GUARDRAIL_WRITERS:
            report(f"group {teams[0]} is bound to {ref.get('name')}, which writes NetworkPolicies", binding.urn)
            continue
        namespace = (binding.props.get("metadata") or {}).get("namespace") if ref.get("kind") == "Role" else None
        role = roles.get((namespace, ref.get("name")))
        written = _writes_guardrail(role.props.get("rules")) if role else None
        if written:
            report(f"group {teams[0]} is bound to {ref.get('kind')} {ref.get('name')}, which writes {written}", binding.urn)
