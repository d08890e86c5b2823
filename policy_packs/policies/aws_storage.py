"""AWS S3: every bucket private, encrypted with KMS, versioned and reachable over TLS only (stack policies, because
each setting is its own resource that names the bucket)."""

from __future__ import annotations

import json

from policy_packs.spec import HIGH, MEDIUM, Rule, customer_key, of_type, stack_rule

RULES: list[Rule] = []

BUCKET = "aws:s3/bucket:Bucket"


def _settings(resources, bucket, type_token: str) -> list:
    """The setting resources of one type that name `bucket` (by dependency of their `bucket` input)."""
    return [r for r in of_type(resources, type_token) if bucket in r.property_dependencies.get("bucket", ())]


def _each_bucket(args, type_token: str, ok, missing: str, wrong: str, report) -> None:
    for bucket in of_type(args.resources, BUCKET):
        found = _settings(args.resources, bucket, type_token)
        if not found:
            report(f"bucket {bucket.name}: {missing}", bucket.urn)
        elif not any(ok(s.props) for s in found):
            report(f"bucket {bucket.name}: {wrong}", bucket.urn)


@stack_rule(
    RULES, "aws-s3-bucket-public-access-block",
    "Block every public path to each S3 bucket with all four public access block settings.",
    HIGH,
    remediation="Add an aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, block_public_policy, "
                "ignore_public_acls and restrict_public_buckets all true (components.aws.ObjectStore does).",
    themes=("public-access",),
)
def public_access_block(args, report, config) -> None:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    _each_bucket(args, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                 lambda p: all(p.get(f) is True for f in flags),
                 "no public access block", f"public access block lacks one of {', '.join(flags)}", report)


@stack_rule(
    RULES, "aws-s3-bucket-sse-kms",
    "Encrypt each S3 bucket by default with a customer-managed KMS key.",
    HIGH,
    remediation="Add an aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm 'aws:kms' and kms_master_key_id "
                "set to the bucket's key.",
    themes=("encryption-at-rest", "key-management"),
)
def sse_kms(args, report, config) -> None:
    def ok(props) -> bool:
        rules = props.get("rules") or []
        for rule in rules:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            if default.get("sseAlgorithm") in ("aws:kms", "aws:kms:dsse") and customer_key(default.get("kmsMasterKeyId")):
                return True
        return False

    _each_bucket(args, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", ok,
                 "no default encryption configuration", "default encryption is not SSE-KMS with a customer key", report)


@stack_rule(
    RULES, "aws-s3-bucket-versioning",
    "Keep object versions in each S3 bucket so overwritten or deleted data can be recovered.",
    MEDIUM,
    remediation="Add an aws.s3.BucketVersioning with status 'Enabled' and a lifecycle rule that expires noncurrent versions.",
    themes=("backup-recovery", "data-protection"),
)
def versioning(args, report, config) -> None:
    _each_bucket(args, "aws:s3/bucketVersioning:BucketVersioning",
                 lambda p: (p.get("versioningConfiguration") or {}).get("status") == "Enabled",
                 "no versioning configuration", "versioning is not Enabled", report)


def denies_plain_http(policy_text) -> bool:
    """Whether a bucket policy denies every request made without TLS."""
    doc = json.loads(policy_text) if isinstance(policy_text, str) else policy_text
    statements = doc.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return any(
        s.get("Effect") == "Deny" and str((s.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport")).lower() == "false"
        for s in statements
    )


@stack_rule(
    RULES, "aws-s3-bucket-tls-only",
    "Deny every request to each S3 bucket that is not made over TLS.",
    HIGH,
    remediation="Attach an aws.s3.BucketPolicy with a Deny statement on s3:* conditioned on aws:SecureTransport = false "
                "(and s3:TlsVersion < 1.2).",
    themes=("encryption-in-transit",),
)
def tls_only(args, report, config) -> None:
    _each_bucket(args, "aws:s3/bucketPolicy:BucketPolicy", lambda p: denies_plain_http(p.get("policy") or "{}"),
                 "no bucket policy", "the bucket policy does not deny requests without TLS (aws:SecureTransport)", report)
