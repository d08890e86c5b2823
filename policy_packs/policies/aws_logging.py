"""AWS keys and logs: KMS keys rotate; CloudWatch log groups keep logs long enough and encrypt them."""

from __future__ import annotations

from policy_packs.spec import MEDIUM, Rule, customer_key, on, resource_rule

RULES: list[Rule] = []

LOG_GROUP = ("aws:cloudwatch/logGroup:LogGroup",)


@resource_rule(
    RULES, "aws-kms-key-rotation",
    "Rotate each customer-managed KMS key automatically.",
    MEDIUM,
    remediation="Set enable_key_rotation=True (rotation_period_in_days 365 or less).",
    themes=("key-management",), types=("aws:kms/key:Key",),
)
def kms_rotation(args, report, config) -> None:
    if args.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or \
            args.props.get("keySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        args.not_applicable("AWS rotates only symmetric keys")
    if not on(args.props.get("enableKeyRotation")):
        report("enableKeyRotation is not true")


@resource_rule(
    RULES, "aws-cloudwatch-loggroup-retention",
    "Keep each CloudWatch log group's events for at least the configured number of days.",
    MEDIUM,
    remediation="Set retention_in_days to minimumDays or more (the components keep 90 days, 365 in prod).",
    themes=("log-retention",), types=LOG_GROUP,
    config={"minimumDays": {"type": "integer", "minimum": 1, "default": 90, "description": "Fewest days a log group keeps events."}},
)
def log_retention(args, report, config) -> None:
    days = int(args.props.get("retentionInDays") or 0)
    if days == 0:
        report("no retention set: events are kept forever at growing cost, or removed by hand")
    elif days < config["minimumDays"]:
        report(f"retentionInDays is {days}, below {int(config['minimumDays'])}")


@resource_rule(
    RULES, "aws-cloudwatch-loggroup-kms",
    "Encrypt each CloudWatch log group with a customer-managed KMS key.",
    MEDIUM,
    remediation="Set kms_key_id to a key whose policy admits logs.<region>.amazonaws.com.",
    themes=("encryption-at-rest", "log-retention"), types=LOG_GROUP,
)
def log_kms(args, report, config) -> None:
    if not customer_key(args.props.get("kmsKeyId")):
        report("not encrypted with a customer-managed key")
