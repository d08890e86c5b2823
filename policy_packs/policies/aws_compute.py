"""AWS compute: EKS control planes encrypted, logged and private; node launch templates with IMDSv2 and encrypted
disks; only the instance families the platform supports."""

from __future__ import annotations

from policy_packs.policies.aws_network import whole_internet
from policy_packs.spec import CRITICAL, HIGH, MEDIUM, Rule, is_prod, on, resource_rule

RULES: list[Rule] = []

EKS = ("aws:eks/cluster:Cluster",)
LAUNCH_TEMPLATE = ("aws:ec2/launchTemplate:LaunchTemplate",)

SIZED = {
    "aws:ec2/launchTemplate:LaunchTemplate": "instanceType",
    "aws:ec2/instance:Instance": "instanceType",
    "aws:eks/nodeGroup:NodeGroup": "instanceTypes",
    "aws:rds/instance:Instance": "instanceClass",
    "aws:elasticache/replicationGroup:ReplicationGroup": "nodeType",
}
"""Where each resource type names its instance type."""

DEFAULT_FAMILIES = ["t3", "t4g", "m6i", "m7i", "m7g", "c6i", "c7g", "r6i", "r7g"]


@resource_rule(
    RULES, "aws-eks-cluster-secrets-encryption",
    "Encrypt Kubernetes secrets in each EKS cluster with a customer-managed KMS key (envelope encryption).",
    HIGH,
    remediation="Set encryption_config with resources=['secrets'] and provider.key_arn (KubernetesCluster does).",
    themes=("encryption-at-rest", "secret-handling"), types=EKS,
)
def eks_secrets(args, report, config) -> None:
    enc = args.props.get("encryptionConfig") or {}
    if "secrets" not in (enc.get("resources") or []) or not (enc.get("provider") or {}).get("keyArn"):
        report("secrets are not envelope-encrypted with a KMS key")


@resource_rule(
    RULES, "aws-eks-cluster-control-plane-logging",
    "Send each EKS cluster's API, audit and authenticator logs to CloudWatch.",
    MEDIUM,
    remediation="Set enabled_cluster_log_types to include every type in requiredLogTypes.",
    themes=("audit-logging",), types=EKS,
    config={"requiredLogTypes": {"type": "array", "items": {"type": "string"}, "default": ["api", "audit", "authenticator"],
                                 "description": "Control-plane log types every cluster must enable."}},
)
def eks_logging(args, report, config) -> None:
    missing = set(config["requiredLogTypes"]) - set(args.props.get("enabledClusterLogTypes") or [])
    if missing:
        report(f"control-plane logs not enabled: {', '.join(sorted(missing))}")


@resource_rule(
    RULES, "aws-eks-cluster-private-endpoint",
    "Serve each prod EKS cluster's API on a private endpoint only.",
    HIGH,
    remediation="For prod, set vpc_config.endpoint_private_access=True and endpoint_public_access=False; reach the API "
                "over the network hub.",
    themes=("public-access", "network-segmentation"), types=EKS,
)
def eks_private(args, report, config) -> None:
    if not is_prod(args.props):
        args.not_applicable("not a prod cluster")
    vpc = args.props.get("vpcConfig") or {}
    if not on(vpc.get("endpointPrivateAccess")) or vpc.get("endpointPublicAccess") is not False:
        report("the API endpoint is not private-only")


@resource_rule(
    RULES, "aws-eks-cluster-public-cidrs",
    "Restrict a public EKS API endpoint to named CIDRs, never the whole internet.",
    CRITICAL,
    remediation="Set vpc_config.public_access_cidrs to the office or VPN ranges (sites map api_allowed_cidrs), or turn the "
                "public endpoint off.",
    themes=("public-access",), types=EKS,
)
def eks_public_cidrs(args, report, config) -> None:
    vpc = args.props.get("vpcConfig") or {}
    if vpc.get("endpointPublicAccess") is False:
        args.not_applicable("no public endpoint")
    cidrs = vpc.get("publicAccessCidrs") or []
    if not cidrs:
        report("public endpoint without publicAccessCidrs defaults to 0.0.0.0/0")
    elif whole_internet(cidrs):
        report(f"publicAccessCidrs include the whole internet: {list(cidrs)}")


@resource_rule(
    RULES, "aws-ec2-launchtemplate-imdsv2",
    "Require IMDSv2 session tokens in each launch template, so instance credentials cannot be stolen through SSRF.",
    HIGH,
    remediation="Set metadata_options.http_tokens='required' and http_put_response_hop_limit=2 for containers.",
    themes=("instance-metadata",), types=LAUNCH_TEMPLATE,
)
def imdsv2(args, report, config) -> None:
    if (args.props.get("metadataOptions") or {}).get("httpTokens") != "required":
        report("metadataOptions.httpTokens is not 'required'")


@resource_rule(
    RULES, "aws-ec2-launchtemplate-ebs-encrypted",
    "Encrypt every EBS volume a launch template declares, root volume included.",
    HIGH,
    remediation="Declare the root volume in block_device_mappings with ebs.encrypted='true' and kms_key_id.",
    themes=("encryption-at-rest",), types=LAUNCH_TEMPLATE,
)
def ebs_encrypted(args, report, config) -> None:
    mappings = args.props.get("blockDeviceMappings") or []
    if not mappings:
        report("no block device mappings: the root volume's encryption is left to the AMI")
    for m in mappings:
        ebs = m.get("ebs") or {}
        if ebs and not on(ebs.get("encrypted")):
            report(f"volume {m.get('deviceName')} is not encrypted")


@resource_rule(
    RULES, "aws-ec2-instance-allowed-families",
    "Allow only the instance families the platform supports and has reserved capacity for.",
    MEDIUM,
    remediation="Pick a size class whose instance type is in allowedFamilies, or ask the platform team to add a family.",
    themes=("configuration-baseline",), types=tuple(SIZED),
    config={"allowedFamilies": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_FAMILIES,
                                "description": "Instance families (m7g, r7g, ...) that may be used."}},
)
def allowed_families(args, report, config) -> None:
    value = args.props.get(SIZED[args.resource_type])
    if value is None:
        args.not_applicable("no instance type set")
    for instance_type in [value] if isinstance(value, str) else list(value):
        parts = instance_type.split(".")
        family = parts[1] if parts[0] in ("db", "cache", "kafka") else parts[0]
        if family not in config["allowedFamilies"]:
            report(f"instance type {instance_type} is outside the allowed families")
