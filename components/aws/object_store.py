"""ObjectStore: an S3 bucket that is private, KMS-encrypted, versioned and TLS-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_aws as aws

from blueprints.plan import S3Bucket
from components.aws._common import Account, kms_key, policy_json
from components.aws.tagging import named
from components.ownership import require_ownership


@dataclass(frozen=True)
class ObjectStoreArgs:
    """Inputs of a bucket: the plan's S3 values, the tier and the owner."""

    plan: S3Bucket
    """`backup_retention_days`: days a replaced or deleted object version is kept (the catalog's backup retention)."""
    prod: bool
    """Prod: the bucket is `protect`ed and never force-destroyed."""
    tags: Mapping[str, str]
    access_log_bucket: str | None = None
    """A bucket for server access logs (CIS 3.x, S3.9), usually the account's log archive."""

    def __post_init__(self) -> None:
        require_ownership(self.tags, "ObjectStoreArgs")
        if (self.plan.backup_retention_days or 0) < 1:
            raise ValueError("ObjectStoreArgs: noncurrent versions must be kept at least 1 day (plan.backup_retention_days)")


class ObjectStore(pulumi.ComponentResource):
    """An S3 bucket with every public path blocked, ACLs disabled, SSE-KMS, versioning and a TLS-only policy."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:aws:ObjectStore", name, None, opts)
        tags = args.tags
        account = Account.of(self)

        key = kms_key(
            f"{name}-s3",
            description=f"Encrypts the objects of {name}",
            account=account,
            prod=args.prod,
            tags=tags,
            parent=self,
        )
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=f"{name.lower()[:36]}-",
            force_destroy=not args.prod,
            tags=named(tags, name),
            opts=pulumi.ResourceOptions(parent=self, protect=args.prod),
        )
        # Settings are the component's children, not the bucket's: they must not inherit `protect`.
        on_bucket = pulumi.ResourceOptions(parent=self, depends_on=[bucket])
        block = self._no_public_access(name, bucket, on_bucket)
        self._encrypted_with_key(name, bucket, key, on_bucket)
        self._versioned_with_expiry(name, args, bucket, on_bucket)
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(tls_only_policy),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        if args.access_log_bucket:
            aws.s3.BucketLogging(
                f"{name}-access-logs",
                bucket=bucket.id,
                target_bucket=args.access_log_bucket,
                target_prefix=f"s3/{name}/",
                opts=on_bucket,
            )

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.kms_key_arn = key.arn
        self.register_outputs(
            {"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn, "kms_key_arn": self.kms_key_arn}
        )


    def _no_public_access(self, name: str, bucket: aws.s3.Bucket,
                          on_bucket: pulumi.ResourceOptions) -> aws.s3.BucketPublicAccessBlock:
        """Every public path blocked (CIS 2.1.4 / S3.8) and ACLs disabled: the bucket owner owns every object."""
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=on_bucket,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=on_bucket,
        )
        return block

    def _encrypted_with_key(self, name: str, bucket: aws.s3.Bucket, key: aws.kms.Key,
                            on_bucket: pulumi.ResourceOptions) -> None:
        """SSE-KMS with the bucket's own key, and S3 bucket keys to keep KMS calls down."""
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=on_bucket,
        )

    def _versioned_with_expiry(self, name: str, args: ObjectStoreArgs, bucket: aws.s3.Bucket,
                               on_bucket: pulumi.ResourceOptions) -> None:
        """Versioning on; noncurrent versions kept the catalog's days, abandoned uploads a week."""
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=on_bucket,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-noncurrent-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.plan.backup_retention_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )


def tls_only_policy(bucket_arn: str) -> str:
    """Deny any request not over TLS 1.2 or later (CIS 2.1.1 / S3.5)."""
    resources = [bucket_arn, f"{bucket_arn}/*"]
    return policy_json(
        [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyOutdatedTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
            },
        ]
    )
