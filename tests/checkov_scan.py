"""Checkov over every blueprint's prod AWS resources, as the real stack program renders them offline.

Checkov reads Terraform plans, and pulumi-aws is bridged from the Terraform AWS provider: each captured resource is
written as a planned resource of its Terraform type (TF_TYPES), its inputs under their Terraform names (camelCase to
snake_case; an object is a nested block, a list of one). Findings judged not real are listed with the reason in
tests/checkov_judged.yaml and skipped; everything else is printed.

    python -m tests.checkov_scan [--checkov PATH]   # exit 1 when a finding is left

Checkov pins boto3 and botocore older than this project's, so it runs from its own virtualenv (`--checkov`, default
`checkov` on PATH), never from the project's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

JUDGED = Path(__file__).parent / "checkov_judged.yaml"

TF_TYPES = {
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:directconnect/gatewayAssociation:GatewayAssociation": "aws_dx_gateway_association",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "aws_default_network_acl",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:ec2transitgateway/peeringAttachment:PeeringAttachment": "aws_ec2_transit_gateway_peering_attachment",
    "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter":
        "aws_ec2_transit_gateway_peering_attachment_accepter",
    "aws:ec2transitgateway/route:Route": "aws_ec2_transit_gateway_route",
    "aws:ec2transitgateway/routeTable:RouteTable": "aws_ec2_transit_gateway_route_table",
    "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation":
        "aws_ec2_transit_gateway_route_table_association",
    "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation":
        "aws_ec2_transit_gateway_route_table_propagation",
    "aws:ec2transitgateway/transitGateway:TransitGateway": "aws_ec2_transit_gateway",
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": "aws_ec2_transit_gateway_vpc_attachment",
    "aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter":
        "aws_ec2_transit_gateway_vpc_attachment_accepter",
    "aws:eks/accessEntry:AccessEntry": "aws_eks_access_entry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "aws_eks_access_policy_association",
    "aws:eks/addon:Addon": "aws_eks_addon",
    "aws:eks/cluster:Cluster": "aws_eks_cluster",
    "aws:eks/nodeGroup:NodeGroup": "aws_eks_node_group",
    "aws:elasticache/replicationGroup:ReplicationGroup": "aws_elasticache_replication_group",
    "aws:elasticache/subnetGroup:SubnetGroup": "aws_elasticache_subnet_group",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:msk/cluster:Cluster": "aws_msk_cluster",
    "aws:msk/configuration:Configuration": "aws_msk_configuration",
    "aws:ram/principalAssociation:PrincipalAssociation": "aws_ram_principal_association",
    "aws:ram/resourceAssociation:ResourceAssociation": "aws_ram_resource_association",
    "aws:ram/resourceShare:ResourceShare": "aws_ram_resource_share",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "aws_s3_bucket_server_side_encryption_configuration",
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:secretsmanager/secret:Secret": "aws_secretsmanager_secret",
    "aws:secretsmanager/secretRotation:SecretRotation": "aws_secretsmanager_secret_rotation",
    "aws:secretsmanager/secretVersion:SecretVersion": "aws_secretsmanager_secret_version",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
}
"""pulumi-aws type token -> the Terraform resource type it bridges."""

MAPS = {"tags", "tags_all", "parameters_map", "variables"}
"""Attributes that are maps in Terraform, not nested blocks."""
PLURAL_BLOCKS = {"block_device_mappings", "tag_specifications", "ingress", "egress"}
"""Repeated blocks Terraform itself names in the plural; pulumi-aws pluralizes the others (rule -> rules)."""


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def block_name(key: str, value) -> str:
    """Terraform's name of an input: a repeated block in the singular, as Terraform spells it."""
    name = snake(key)
    repeated = isinstance(value, list) and value and isinstance(value[0], dict)
    return name[:-1] if repeated and name.endswith("s") and name not in PLURAL_BLOCKS else name


def terraform(value, key: str = ""):
    """Pulumi inputs as Terraform values: Terraform names, objects as one-block lists."""
    if isinstance(value, dict):
        inner = {k if key in MAPS else block_name(k, v): terraform(v, snake(k)) for k, v in value.items()}
        return inner if key in MAPS or not key else [inner]
    if isinstance(value, list):
        return [item for v in value for item in (terraform(v, key) if isinstance(v, dict) else [terraform(v, key)])]
    return value


def plan_json(capture) -> dict:
    """A Terraform plan (format 1.2) holding the capture's AWS resources; an input computed from another resource
    is a reference to it in the plan's configuration, which Checkov's graph checks follow (bucket -> its versioning)."""
    aws = [r for r in capture.resources if r.type.startswith("aws:") and not r.type.startswith("aws:index/")]
    unknown = {r.type for r in aws} - set(TF_TYPES)
    if unknown:
        raise SystemExit(f"no Terraform type for {sorted(unknown)}: add it to TF_TYPES")
    address = {r.urn: f"{TF_TYPES[r.type]}.{re.sub(r'[^a-zA-Z0-9_-]', '_', r.name)}" for r in aws}
    resources, configured = [], []
    for r in aws:
        kind, name = address[r.urn].split(".", 1)
        values = {block_name(k, v): terraform(v, snake(k)) for k, v in r.inputs.items()}
        resources.append({"address": address[r.urn], "mode": "managed", "type": kind, "name": name,
                          "provider_name": "registry.terraform.io/hashicorp/aws", "values": values})
        expressions = {snake(k): {"references": [ref for urn in urns if urn in address
                                                 for ref in (f"{address[urn]}.id", address[urn])]}
                       for k, urns in r.property_dependencies.items() if any(u in address for u in urns)}
        configured.append({"address": address[r.urn], "mode": "managed", "type": kind, "name": name,
                           "provider_config_key": "aws", "expressions": expressions})
    return {"format_version": "1.2", "terraform_version": "1.9.0",
            "planned_values": {"root_module": {"resources": resources}},
            "configuration": {"root_module": {"resources": configured}},
            "resource_changes": [{"address": r["address"], "mode": "managed", "type": r["type"], "name": r["name"],
                                  "change": {"actions": ["create"], "before": None, "after": r["values"]}}
                                 for r in resources]}


def judged() -> dict[str, str]:
    """Check id -> why its findings are not real here."""
    return {c["id"]: c["reason"] for c in yaml.safe_load(JUDGED.read_text())["checks"]}


def scan(checkov: str) -> list[dict]:
    """Every failed check of every prod AWS render, less the judged ones."""
    from tests.fleet_renders import renders

    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for stack, (bp, capture) in renders().items():
            if bp.request.target == "aws" and bp.prod:
                (Path(tmp) / f"{stack}.json").write_text(json.dumps(plan_json(capture)))
        # Checkov exits 1 when a check fails; its JSON report says which.
        out = subprocess.run([checkov, "-d", tmp, "--framework", "terraform_plan", "-o", "json", "--compact",
                              "--quiet", "--skip-check", ",".join(judged())], capture_output=True, text=True,
                             check=False).stdout
    reports = json.loads(out or "[]")
    for report in reports if isinstance(reports, list) else [reports]:
        failed += report.get("results", {}).get("failed_checks", [])
    return failed


def main() -> int:
    checkov = sys.argv[sys.argv.index("--checkov") + 1] if "--checkov" in sys.argv else "checkov"
    if shutil.which(checkov) is None:
        print(f"--checkov: {checkov} is not an executable; install Checkov in a virtualenv of its own and name it")
        return 2
    failed = scan(checkov)
    for f in sorted(failed, key=lambda f: (f["check_id"], f["resource"])):
        print(f"{f['check_id']} {f['resource']} ({Path(f['file_path']).stem}): {f['check_name']}")
    print(f"{len(failed)} finding(s) left; judged not real: {len(judged())} check(s) in {JUDGED.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
