"""KubernetesCluster: an EKS control plane with envelope encryption, audit logs, IRSA and core add-ons."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from blueprints.plan import EksCluster
from components.aws._common import (
    Account,
    kms_key,
    log_group,
    policy_json,
    require_private_cidrs,
)
from components.aws.node_pool import NodePool, NodePoolArgs
from components.aws.tagging import named
from components.ownership import require_ownership

CONTROL_PLANE_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")
EARLY_ADDONS = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
"""Add-ons that must run before nodes can join."""
COMPUTE_ADDONS = ("coredns", "aws-ebs-csi-driver")
"""Add-ons whose pods need nodes: installed after the system pool, or their creation never turns ACTIVE."""

ADDON_CONFIGURATION = {
    # The VPC CNI's network policy agent (eBPF, on every node) is off unless asked for; without it
    # every NetworkPolicy, the tenancy's default-deny included, is accepted and never enforced. EKS
    # runs the policy controller in the control plane. Standard enforcing mode: a new pod is open
    # only until the agent has applied the policies that select it (every tenancy pod is selected).
    "vpc-cni": {"enableNetworkPolicy": "true"},
}
"""`configuration_values` per add-on (the add-on's own JSON schema: `aws eks describe-addon-configuration`)."""

ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/"
EBS_CSI_SERVICE_ACCOUNT = "system:serviceaccount:kube-system:ebs-csi-controller-sa"


@dataclass(frozen=True)
class EksAccess:
    """Where an EKS cluster sits and who may use its API: the private subnets, the tier, the roles."""

    subnet_ids: Sequence[pulumi.Input[str]] | pulumi.Input[Sequence[str]]
    """Private subnets (control-plane ENIs and the system pool)."""
    prod: bool
    """Prod: private endpoint only, deletion protection."""
    tags: Mapping[str, str]
    """Ownership tags (components.ownership.OWNERSHIP_KEYS)."""
    public_access_cidrs: Sequence[str] = ()
    """Nonprod only: the sites map's allowed CIDRs for the public endpoint; empty keeps it private."""
    admin_role_arns: Sequence[pulumi.Input[str]] = ()
    """Platform roles given cluster admin through EKS access entries."""
    team_role_arns: Sequence[pulumi.Input[str]] = ()
    """The team's roles: edit in `team_namespaces`, or view of the whole cluster when none is given."""
    team_namespaces: Sequence[str] = ()
    zone_retention_days: int = 0
    """The compliance zone's least log retention, days; the tier's applies when longer. Default: 0."""

    def __post_init__(self) -> None:
        require_ownership(self.tags, "EksAccess")
        require_private_cidrs(self.public_access_cidrs, "EksAccess.public_access_cidrs")
        if self.prod and self.public_access_cidrs:
            raise ValueError("EksAccess: a prod cluster's endpoint is private only; drop public_access_cidrs")

    @property
    def public_endpoint(self) -> bool:
        return not self.prod and bool(self.public_access_cidrs)


@dataclass(frozen=True)
class KubernetesClusterArgs:
    """Inputs of an EKS cluster: the plan's EKS values and where the cluster sits."""

    plan: EksCluster
    """Kubernetes minor version from the catalog (e.g. "1.31"), the sites map's system pool (instance types,
    min/desired/max by tier, IMDSv2 hop limit from the catalog: 1 keeps pods off the node role) and service network."""
    access: EksAccess
    """Private subnets, tier, tags, the public allow-list and the roles given access."""


class KubernetesCluster(pulumi.ComponentResource):
    """An EKS cluster secure by default.

    Secrets are envelope-encrypted with a rotating KMS key; all control-plane log types go to a
    KMS-encrypted log group; the API endpoint is private in prod and public only to named CIDRs
    otherwise; access is by EKS access entries (API mode, no creator admin, no aws-auth ConfigMap).
    A small system node pool (a child `NodePool`) runs CoreDNS and the EBS CSI controller; team pools
    are further `NodePool`s parented to the cluster by the caller.
    """

    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority_data: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    """A kubeconfig (JSON) that authenticates with `aws eks get-token`; a secret."""
    system_pool: NodePool

    def __init__(self, name: str, args: KubernetesClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:aws:KubernetesCluster", name, None, opts)
        account = Account.of(self)
        key = kms_key(
            f"{name}-eks",
            description=f"Envelope encryption of Kubernetes secrets and control-plane logs of {name}",
            account=account,
            prod=args.access.prod,
            tags=args.access.tags,
            parent=self,
            log_service=True,
        )
        # The log group exists before the cluster so that EKS writes into our encrypted, retained one.
        logs = log_group(
            f"{name}-control-plane",
            log_group_name=f"/aws/eks/{name}/cluster",
            key=key,
            prod=args.access.prod,
            zone_retention_days=args.access.zone_retention_days,
            tags=args.access.tags,
            parent=self,
        )
        role, role_grants = self._cluster_role(name, args, account, key)
        cluster = self._control_plane(name, args, role, key, depends_on=[logs, *role_grants])
        issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            tags=named(args.access.tags, f"{name}-oidc"),
            opts=pulumi.ResourceOptions(parent=cluster),
        )
        self._access_entries(name, args, cluster)
        versions = dict(args.plan.addon_versions)
        early = [self._addon(name, addon, cluster, args.access.tags, versions.get(addon)) for addon in EARLY_ADDONS]
        self.system_pool = self._system_pool(name, args, cluster, depends_on=early)
        self._compute_addons(name, args, cluster, account, oidc, issuer)
        self._export(cluster, issuer, oidc, key, account)

    def _cluster_role(self, name: str, args: KubernetesClusterArgs, account: Account,
                      key: aws.kms.Key) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The control plane's role: the EKS cluster policy and use of this cluster's key only."""
        role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=policy_json(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "eks.amazonaws.com"},
                        "Action": ["sts:AssumeRole", "sts:TagSession"],
                    }
                ]
            ),
            tags=named(args.access.tags, f"{name}-cluster-role"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_role = pulumi.ResourceOptions(parent=role)
        role_grants = [
            aws.iam.RolePolicyAttachment(
                f"{name}-AmazonEKSClusterPolicy",
                role=role.name,
                policy_arn=account.managed_policy("AmazonEKSClusterPolicy"),
                opts=in_role,
            ),
            aws.iam.RolePolicy(
                f"{name}-cluster-kms",
                role=role.id,
                policy=key.arn.apply(
                    lambda arn: policy_json(
                        [
                            {
                                "Effect": "Allow",
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                                "Resource": arn,
                            }
                        ]
                    )
                ),
                opts=in_role,
            ),
        ]
        return role, role_grants

    def _control_plane(self, name: str, args: KubernetesClusterArgs, role: aws.iam.Role, key: aws.kms.Key,
                       depends_on: list[pulumi.Resource]) -> aws.eks.Cluster:
        """Secrets envelope-encrypted, every log type, a private endpoint (public only to named CIDRs outside
        prod), access entries only (no creator admin), deletion protection in prod."""
        return aws.eks.Cluster(
            f"{name}-eks",
            name=name,
            version=args.plan.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.access.subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=args.access.public_endpoint,
                public_access_cidrs=list(args.access.public_access_cidrs) if args.access.public_endpoint else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOGS),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            bootstrap_self_managed_addons=False,
            deletion_protection=args.access.prod,
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(service_ipv4_cidr=args.plan.service_cidr),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            tags=named(args.access.tags, name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _access_entries(self, name: str, args: KubernetesClusterArgs, cluster: aws.eks.Cluster) -> None:
        """Platform admins are cluster admins; the team edits its namespaces (or views the cluster when none)."""
        tags = args.access.tags
        for i, arn in enumerate(args.access.admin_role_arns):
            self._grant(name, f"admin-{i}", cluster, arn, "AmazonEKSClusterAdminPolicy", None, tags)
        for i, arn in enumerate(args.access.team_role_arns):
            if args.access.team_namespaces:
                self._grant(name, f"team-{i}", cluster, arn, "AmazonEKSEditPolicy", list(args.access.team_namespaces), tags)
            else:
                self._grant(name, f"team-{i}", cluster, arn, "AmazonEKSViewPolicy", None, tags)

    def _system_pool(self, name: str, args: KubernetesClusterArgs, cluster: aws.eks.Cluster,
                     depends_on: list[pulumi.Resource]) -> NodePool:
        """The pool that runs CoreDNS and the CSI controller, once the networking add-ons are in."""
        system = args.plan.system_pool
        return NodePool(
            f"{name}-system",
            NodePoolArgs(
                cluster_name=cluster.name,
                subnet_ids=args.access.subnet_ids,
                instance_types=list(system.machines),
                min_size=system.min_nodes,
                desired_size=system.nodes,
                max_size=system.max_nodes,
                disk_size_gib=system.disk_gib,
                prod=args.access.prod,
                tags=args.access.tags,
                labels={"cloud-blueprints.io/pool": "system"},
                metadata_hop_limit=system.imds_hop_limit,
                kubernetes_version=cluster.version if args.plan.node_image else None,
                release_version=args.plan.node_image,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _compute_addons(self, name: str, args: KubernetesClusterArgs, cluster: aws.eks.Cluster, account: Account,
                        oidc: aws.iam.OpenIdConnectProvider, issuer: pulumi.Output[str]) -> None:
        """CoreDNS and the EBS CSI driver on the system pool; the driver's role trusts only its service account."""
        csi_role = aws.iam.Role(
            f"{name}-ebs-csi-role",
            assume_role_policy=pulumi.Output.all(oidc.arn, issuer).apply(
                lambda a: irsa_trust_policy(a[0], a[1], EBS_CSI_SERVICE_ACCOUNT)
            ),
            tags=named(args.access.tags, f"{name}-ebs-csi-role"),
            opts=pulumi.ResourceOptions(parent=cluster),
        )
        csi_policy = aws.iam.RolePolicyAttachment(
            f"{name}-AmazonEBSCSIDriverPolicy",
            role=csi_role.name,
            policy_arn=account.managed_policy("service-role/AmazonEBSCSIDriverPolicy"),
            opts=pulumi.ResourceOptions(parent=csi_role),
        )
        for addon in COMPUTE_ADDONS:
            self._addon(
                name,
                addon,
                cluster,
                args.access.tags,
                dict(args.plan.addon_versions).get(addon),
                role_arn=csi_role.arn if addon == "aws-ebs-csi-driver" else None,
                depends_on=[self.system_pool, csi_policy],
            )

    def _export(self, cluster: aws.eks.Cluster, issuer: pulumi.Output[str], oidc: aws.iam.OpenIdConnectProvider,
                key: aws.kms.Key, account: Account) -> None:
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.endpoint = cluster.endpoint
        self.certificate_authority_data = cluster.certificate_authority.apply(lambda ca: ca.data)
        self.cluster_security_group_id = cluster.vpc_config.apply(lambda v: v.cluster_security_group_id)
        self.oidc_issuer_url = issuer
        self.oidc_provider_arn = oidc.arn
        self.kms_key_arn = key.arn
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, self.certificate_authority_data, account.region).apply(
                lambda a: kubeconfig(a[0], a[1], a[2], a[3])
            )
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "endpoint": self.endpoint,
                "certificate_authority_data": self.certificate_authority_data,
                "cluster_security_group_id": self.cluster_security_group_id,
                "oidc_issuer_url": self.oidc_issuer_url,
                "oidc_provider_arn": self.oidc_provider_arn,
                "kms_key_arn": self.kms_key_arn,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _grant(
        self,
        name: str,
        label: str,
        cluster: aws.eks.Cluster,
        principal: pulumi.Input[str],
        policy: str,
        namespaces: list[str] | None,
        tags: Mapping[str, str],
    ) -> None:
        entry = aws.eks.AccessEntry(
            f"{name}-{label}",
            cluster_name=cluster.name,
            principal_arn=principal,
            type="STANDARD",
            tags=named(tags, f"{name}-{label}"),
            opts=pulumi.ResourceOptions(parent=cluster),
        )
        aws.eks.AccessPolicyAssociation(
            f"{name}-{label}-{policy}",
            cluster_name=cluster.name,
            principal_arn=entry.principal_arn,
            policy_arn=ACCESS_POLICY + policy,
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(
                type="namespace" if namespaces else "cluster", namespaces=namespaces
            ),
            opts=pulumi.ResourceOptions(parent=entry),
        )

    def _addon(
        self,
        name: str,
        addon: str,
        cluster: aws.eks.Cluster,
        tags: Mapping[str, str],
        version: str | None,
        role_arn: pulumi.Input[str] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=cluster.name,
            addon_name=addon,
            addon_version=version,
            configuration_values=json.dumps(ADDON_CONFIGURATION[addon]) if addon in ADDON_CONFIGURATION else None,
            service_account_role_arn=role_arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            tags=named(tags, f"{name}-{addon}"),
            opts=pulumi.ResourceOptions(parent=cluster, depends_on=list(depends_on)),
        )


def irsa_trust_policy(provider_arn: str, issuer_url: str, service_account: str) -> str:
    """Trust for one Kubernetes service account through the cluster's OIDC provider (IRSA)."""
    host = issuer_url.removeprefix("https://")
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{host}:sub": service_account, f"{host}:aud": "sts.amazonaws.com"}},
            }
        ]
    )


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that gets short-lived tokens from `aws eks get-token` (no static credential in it)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        indent=2,
    )


def kubernetes_provider(name: str, cluster: KubernetesCluster, opts: pulumi.ResourceOptions | None = None):
    """A Kubernetes provider for the cluster, built by the caller (components take providers via opts)."""
    import pulumi_kubernetes as k8s

    return k8s.Provider(
        name,
        kubeconfig=cluster.kubeconfig,
        enable_server_side_apply=True,
        opts=pulumi.ResourceOptions.merge(pulumi.ResourceOptions(depends_on=[cluster]), opts),
    )
