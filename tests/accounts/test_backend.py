"""`bp backend bootstrap` against moto: a compliant backend, an idempotent second run, and an existing
bucket that falls short reported item by item, then fixed with --fix."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import boto3
import pytest

from accounts.backend import SETTINGS, secrets_alias, state_alias

from moto_support import REGION

pytestmark = pytest.mark.usefixtures("mocked")

BUCKET = "acme-pulumi-state"
BOOT = ["backend", "bootstrap", "--region", REGION, "--bucket", BUCKET]


def bucket_config(bucket: str = BUCKET) -> dict:
    """Everything bootstrap sets on the bucket, read back with boto3."""
    s3 = boto3.client("s3", region_name=REGION)
    return {
        "versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
        "encryption": s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"],
        "public": s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
        "ownership": s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"],
        "policy": json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]),
        "lifecycle": s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"],
    }


def key_of(alias: str) -> dict:
    kms = boto3.client("kms", region_name=REGION)
    meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
    return {**meta, "rotation": kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"]}


def statuses(result) -> dict[tuple[str, str], str]:
    return {(i["resource"], i["name"]): i["status"] for i in json.loads(result.stdout)["items"]}


def test_bootstrap_creates_an_encrypted_versioned_tls_only_bucket_and_two_rotating_keys(cli):
    result = cli(*BOOT)
    assert result.exit_code == 0, result.output
    state_key, secrets_key = key_of(state_alias(BUCKET)), key_of(secrets_alias(BUCKET))
    assert state_key["KeyId"] != secrets_key["KeyId"], "the state and the secrets keys must be separate keys"
    assert state_key["rotation"] and secrets_key["rotation"], "both keys must rotate"

    config = bucket_config()
    assert config["versioning"] == "Enabled"
    (rule,) = config["encryption"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": state_key["Arn"]}
    assert rule["BucketKeyEnabled"] is True
    assert all(config["public"].values()) and len(config["public"]) == 4
    assert config["ownership"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (deny,) = config["policy"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]
    (life,) = config["lifecycle"]
    assert life["Status"] == "Enabled" and life["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    assert life["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}

    assert f"pulumi login 's3://{BUCKET}?region={REGION}&awssdk=v2'" in result.output
    assert f"--secrets-provider 'awskms://alias/{BUCKET}-secrets?region={REGION}'" in result.output


def allowed(policy: dict, action: str, resource: str) -> bool:
    """Whether an Allow-only identity policy grants `action` on `resource` (IAM's wildcard matching)."""
    def listed(value, item):
        return any(fnmatchcase(item, pattern) for pattern in ([value] if isinstance(value, str) else value))
    return any(s["Effect"] == "Allow" and listed(s["Action"], action) and listed(s["Resource"], resource)
               for s in policy["Statement"])


def test_the_preview_role_reads_state_and_decrypts_secrets_but_never_encrypts_or_writes(cli):
    result = cli(*BOOT, "--json")
    policy = json.loads(result.stdout)["preview_policy"]
    state_key, secrets_key = key_of(state_alias(BUCKET))["Arn"], key_of(secrets_alias(BUCKET))["Arn"]
    checkpoint = f"arn:aws:s3:::{BUCKET}/.pulumi/stacks/web/payments-prod.json"
    assert allowed(policy, "s3:GetObject", checkpoint) and allowed(policy, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}")
    assert allowed(policy, "kms:Decrypt", secrets_key) and allowed(policy, "kms:Decrypt", state_key)
    for action, resource in (("s3:PutObject", checkpoint), ("s3:DeleteObject", checkpoint),
                             ("kms:Encrypt", secrets_key), ("kms:GenerateDataKey", secrets_key),
                             ("kms:ReEncryptTo", secrets_key), ("kms:Decrypt", "arn:aws:kms:*:*:key/other")):
        assert not allowed(policy, action, resource), f"a preview could {action} {resource}"
    assert allowed(policy, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/.pulumi/locks/web/payments-prod/1.json")


def test_a_second_run_changes_nothing_and_says_so_per_item(cli):
    assert cli(*BOOT).exit_code == 0
    before = bucket_config(), boto3.client("kms", region_name=REGION).list_keys()["Keys"]
    result = cli(*BOOT, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["changed"] is False and report["falls_short"] is False
    assert set(statuses(result).values()) == {"unchanged"}
    assert len(report["items"]) == 2 * 2 + 1 + len(SETTINGS), "every key, the bucket and each setting is reported"
    assert (bucket_config(), boto3.client("kms", region_name=REGION).list_keys()["Keys"]) == before

    human = cli(*BOOT)
    assert "Nothing to change" in human.output and "created" not in human.output


def test_an_existing_bucket_that_falls_short_is_reported_and_changed_only_with_fix(cli):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    audit = {"Sid": "AuditRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
             "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [audit]}))
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})

    result = cli(*BOOT, "--json")
    assert result.exit_code == 1, result.output
    found = statuses(result)
    assert found[(BUCKET, "bucket")] == "unchanged"
    assert found[(BUCKET, "versioning")] == "unchanged"
    short = {name for (res, name), status in found.items() if status == "falls short"}
    assert short == {"ownership", "public access", "encryption", "tls only", "lifecycle"}
    s3_now = boto3.client("s3", region_name=REGION)
    assert s3_now.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", "without --fix the bucket must not change"
    assert json.loads(s3_now.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"] == [audit]

    human = cli(*BOOT)
    assert human.exit_code == 1 and "--fix" in human.output
    assert "falls short  acme-pulumi-state  encryption" in human.output

    fixed = cli(*BOOT, "--fix", "--json")
    assert fixed.exit_code == 0, fixed.output
    assert {name for (_, name), s in statuses(fixed).items() if s == "fixed"} == short
    config = bucket_config()
    assert config["encryption"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key_of(state_alias(BUCKET))["Arn"]
    assert audit in config["policy"]["Statement"], "fixing the policy keeps the statements already there"
    assert set(statuses(cli(*BOOT, "--json")).values()) == {"unchanged"}


def test_a_key_without_rotation_is_reported_then_fixed(cli):
    assert cli(*BOOT).exit_code == 0
    kms = boto3.client("kms", region_name=REGION)
    kms.disable_key_rotation(KeyId=key_of(secrets_alias(BUCKET))["KeyId"])
    result = cli(*BOOT, "--json")
    assert result.exit_code == 1
    assert statuses(result)[(secrets_alias(BUCKET), "rotation")] == "falls short"
    assert statuses(cli(*BOOT, "--fix", "--json"))[(secrets_alias(BUCKET), "rotation")] == "fixed"
    assert key_of(secrets_alias(BUCKET))["rotation"]


def test_a_bucket_in_another_region_is_one_line_and_exit_2(cli):
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    result = cli(*BOOT)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: bucket {BUCKET} is in eu-west-1, not {REGION}: pass --region eu-west-1"]


@pytest.mark.parametrize("bucket", ["Upper-Case", "ab", "a" * 64, "-dash-first", "192.168.0.1", "two..dots"])
def test_a_bad_bucket_name_is_rejected_before_anything_is_created(cli, bucket):
    result = cli("backend", "bootstrap", "--region", REGION, "--bucket", bucket)
    assert result.exit_code == 2 and "--bucket" in result.output
    assert boto3.client("kms", region_name=REGION).list_keys()["Keys"] == []
