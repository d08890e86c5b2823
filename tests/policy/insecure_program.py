"""A deliberately insecure Pulumi program: each resource breaks known policies, so the audit's findings are exact."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

TAGS = {"team": "shop", "owner": "lead@example.com", "cost-center": "CC-1", "env": "dev",
        "blueprint": "web-service@2.0.0", "managed-by": "cloud-blueprints"}
LABELS = {**TAGS, "owner": "lead_at_example.com", "blueprint": "web-service_at_2.0.0"}


def program() -> None:
    provider = aws.Provider("aws", region="us-east-1")
    opts = pulumi.ResourceOptions(provider=provider)
    aws.s3.Bucket("open-bucket", tags=TAGS, opts=opts)
    aws.rds.Instance(
        "public-db", engine="postgres", instance_class="db.t4g.medium", allocated_storage=20, username="admin",
        password="Sup3rSecretLiteral", publicly_accessible=True, storage_encrypted=False, backup_retention_period=1,
        manage_master_user_password=False, iam_database_authentication_enabled=True,
        enabled_cloudwatch_logs_exports=["postgresql"], tags=TAGS, opts=opts,
    )
    aws.ec2.SecurityGroup(
        "ssh-open", ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=22, to_port=22, cidr_blocks=["0.0.0.0/0"])],
        tags=TAGS, opts=opts,
    )
    aws.cloudwatch.LogGroup("default-provider-logs", retention_in_days=365, kms_key_id="arn:aws:kms:us-east-1:1:key/k", tags=TAGS)
    cluster = k8s.Provider("cluster", context="dev")
    k8s.apps.v1.Deployment(
        "root-app",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="root-app", namespace="shop-dev", labels=LABELS),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": "root-app"}),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels={"app": "root-app"}),
                spec=k8s.core.v1.PodSpecArgs(containers=[k8s.core.v1.ContainerArgs(
                    name="app", image="nginx:latest",
                    security_context=k8s.core.v1.SecurityContextArgs(
                        privileged=False, allow_privilege_escalation=False, run_as_non_root=True,
                        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"])),
                    resources=k8s.core.v1.ResourceRequirementsArgs(limits={"cpu": "1", "memory": "1Gi"}),
                )]),
            ),
        ),
        opts=pulumi.ResourceOptions(provider=cluster),
    )


EXPECTED = {
    ("aws-s3-bucket-public-access-block", "open-bucket"),
    ("aws-s3-bucket-sse-kms", "open-bucket"),
    ("aws-s3-bucket-versioning", "open-bucket"),
    ("aws-s3-bucket-tls-only", "open-bucket"),
    ("aws-rds-instance-storage-encrypted", "public-db"),
    ("aws-rds-instance-backup-retention", "public-db"),
    ("aws-rds-instance-not-public", "public-db"),
    ("aws-rds-instance-managed-password", "public-db"),
    ("cloudblueprints-secrets-input-plaintext", "public-db"),
    ("aws-ec2-securitygroup-open-admin-ports", "ssh-open"),
    ("pulumi-providers-resource-explicit", "default-provider-logs"),
    ("kubernetes-pod-container-image-pinned", "root-app"),
}
"""(policy, resource name) of every violation the audit must report, and no other."""
