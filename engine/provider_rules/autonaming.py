"""Pulumi's auto-naming as the AWS provider applies it, for the offline engine's answers and the rules that judge them.

pulumi-terraform-bridge (pkg/tfbridge/info/autonaming.go, `ComputeAutoNameDefault`) names a resource the program left
unnamed `<logical name><separator><7 random hex>`, after an optional transform, through the engine's
`resource.NewUniqueName`, which REFUSES a name longer than the maximum ("name '<prefix>' plus 7 random chars is longer
than maximum length N"): it never truncates. pulumi-aws sets the maximum per property.
"""

from __future__ import annotations

from dataclasses import dataclass

RANDOM_CHARS = 7
"""`info.AutoName`'s Randlen."""

SOURCE = "pulumi-terraform-bridge pkg/tfbridge/info/autonaming.go ComputeAutoNameDefault (NewUniqueName refuses, never truncates)"


@dataclass(frozen=True)
class AutoName:
    """One auto-named property: its maximum length, whether the name is lower-cased first, and where that is set."""

    prop: str
    max_len: int
    lower: bool
    source: str


_DEFAULT = "pulumi-aws provider/resources.go providerHooks: prov.SetAutonaming(255, \"-\") for every input named `name`"

# The resources our components leave for Pulumi to name; a type not listed gets `<name>-<7 hex>` and no maximum here.
AUTONAMED: dict[str, AutoName] = {
    "aws:iam/role:Role": AutoName("name", 64, False, "pulumi-aws provider/resources.go aws_iam_role: tfbridge.AutoName(\"name\", 64, \"-\")"),
    "aws:elasticache/replicationGroup:ReplicationGroup": AutoName(
        "replicationGroupId", 40, True,
        "pulumi-aws provider/resources.go aws_elasticache_replication_group: AutoNameTransform(\"replicationGroupId\", 40, strings.ToLower)"),
    "aws:iam/rolePolicy:RolePolicy": AutoName("name", 255, False, _DEFAULT),
    "aws:ec2/securityGroup:SecurityGroup": AutoName("name", 255, False, _DEFAULT),
    "aws:ec2/launchTemplate:LaunchTemplate": AutoName("name", 255, False, _DEFAULT),
    # RDS and ElastiCache keep these names in lower case; the offline answer does the same.
    "aws:rds/subnetGroup:SubnetGroup": AutoName("name", 255, True, _DEFAULT),
    "aws:rds/parameterGroup:ParameterGroup": AutoName("name", 255, True, _DEFAULT),
    "aws:elasticache/subnetGroup:SubnetGroup": AutoName("name", 255, True, _DEFAULT),
    "aws:secretsmanager/secret:Secret": AutoName("name", 255, False, _DEFAULT),
    "aws:msk/configuration:Configuration": AutoName("name", 255, False, _DEFAULT),
}


def generated(type_: str, logical_name: str, suffix: str) -> str:
    """The name the bridge gives an unnamed resource: `<logical name>-<suffix>`, transformed as the provider says.

    Over the maximum it is still returned whole: the rules `pulumi-autoname-<property>-<maximum>` refuse it, as the bridge does.
    """
    auto = AUTONAMED.get(type_)
    base = logical_name.lower() if auto and auto.lower else logical_name
    return f"{base}-{suffix[:RANDOM_CHARS]}"


def refused(type_: str, value: str, inputs) -> str | None:
    """The bridge's refusal of a name it generated (the program set none), or None when the name fits."""
    auto = AUTONAMED.get(type_)
    if auto is None or auto.prop in inputs or not isinstance(value, str) or len(value) <= auto.max_len:
        return None
    prefix = value[: -RANDOM_CHARS]
    return f"name '{prefix}' plus {RANDOM_CHARS} random chars is longer than maximum length {auto.max_len}"
