"""ObjectStore's security settings that the data-service tests do not pin: the bucket encrypted with its own key and
S3 bucket keys, TLS 1.2 or later, access logs when a log bucket is given, dev buckets that can be destroyed while prod
buckets are protected and their settings are not, and the shortest version retention allowed."""

from __future__ import annotations

import pytest
from aws_support import TAGS, policy, run

from blueprints.plan import S3Bucket
from components.aws import ObjectStore, ObjectStoreArgs

PROMISE = {"size": "M", "vcpu": 1, "memory_gib": 1, "storage_gib": 1000, "version": None, "replicas": 1}
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def _store(prod: bool, days: int = 30, access_log_bucket: str | None = None):
    def program():
        ObjectStore("payments-objects", ObjectStoreArgs(plan=S3Bucket(**PROMISE, backup_retention_days=days), prod=prod,
                                                        tags=TAGS, access_log_bucket=access_log_bucket))
    return run(program, stack="payments-prod" if prod else "payments-dev")


@pytest.fixture(scope="module")
def logged():
    return _store(True, 90, access_log_bucket="amer-s3-access-logs")


@pytest.fixture(scope="module")
def dev():
    return _store(False)


def test_objects_are_encrypted_with_the_buckets_own_key_and_bucket_keys(logged):
    (rule,) = logged.one(SSE).inputs["rules"]
    key = logged.one("aws:kms/key:Key")
    assert rule["bucketKeyEnabled"] is True and key.outputs["arn"].startswith("arn:aws:kms:")
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs["arn"]}


def test_requests_below_tls_1_2_are_denied_on_the_bucket_and_its_objects(logged):
    statements = policy(logged.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    (old_tls,) = [s for s in statements if s.get("Sid") == "DenyOutdatedTls"]
    assert (old_tls["Effect"], old_tls["Principal"], old_tls["Action"]) == ("Deny", "*", "s3:*")
    assert old_tls["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
    assert len(old_tls["Resource"]) == 2 and old_tls["Resource"][1] == old_tls["Resource"][0] + "/*"


def test_access_logs_go_to_the_log_bucket_only_when_one_is_given(logged, dev):
    (logging,) = logged.by_type("aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["targetBucket"] == "amer-s3-access-logs"
    assert logging.inputs["targetPrefix"] == "s3/payments-objects/"
    assert dev.by_type("aws:s3/bucketLogging:BucketLogging") == []


def test_a_dev_bucket_can_be_destroyed_and_a_prod_buckets_settings_are_not_protected(logged, dev):
    bucket = dev.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["forceDestroy"] is True and not bucket.protect
    assert logged.one("aws:s3/bucket:Bucket").protect
    settings = [r for r in logged.resources if r.type.startswith("aws:s3/") and r.type != "aws:s3/bucket:Bucket"]
    assert len(settings) == 7 and not any(r.protect for r in settings), [r.type for r in settings if r.protect]


def test_abandoned_uploads_are_removed_after_a_week(dev):
    (rule,) = dev.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rule["status"] == "Enabled" and rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_noncurrent_versions_are_kept_at_least_a_day():
    ObjectStoreArgs(plan=S3Bucket(**PROMISE, backup_retention_days=1), prod=False, tags=TAGS)
    for days in (0, None):
        with pytest.raises(ValueError, match=r"noncurrent versions must be kept at least 1 day"):
            ObjectStoreArgs(plan=S3Bucket(**PROMISE, backup_retention_days=days), prod=False, tags=TAGS)


@pytest.mark.parametrize("name", ["Payments-Prod-Customer-Statements-Archive-2026", "p" * 36, "p" * 37])
def test_a_long_name_keeps_the_longest_bucket_prefix_s3_accepts(name):
    """The bucket name is the prefix and a 26-character suffix: at most 37 characters of prefix fit in S3's 63."""
    def program():
        ObjectStore(name, ObjectStoreArgs(plan=S3Bucket(**PROMISE, backup_retention_days=30), prod=False, tags=TAGS))

    cap = run(program)
    bucket = cap.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["bucketPrefix"] == name.lower()[:36] + "-", bucket.urn
    assert len(bucket.outputs["bucket"]) <= 63 and not cap.violations, cap.violations
