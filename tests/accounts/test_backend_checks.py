"""The state backend's compliance checks, one setting at a time and fast (the predicates directly, bootstrap in-process
against moto, no CLI): each setting passes as bootstrap makes it and fails on the near misses that look compliant
(an AWS-managed key, three public access blocks of four, a TLS rule that allows, a lifecycle rule on a prefix), and
fixing one keeps what else the bucket's policy and lifecycle hold."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto_support import REGION

from accounts import backend
from accounts.backend import (
    PUBLIC_ACCESS_BLOCK,
    SETTINGS,
    SHORT,
    UNCHANGED,
    Bootstrap,
    Item,
    bootstrap,
    check_bucket_name,
    secrets_alias,
    state_alias,
)
from accounts.session import AwsFailure, connect
from blueprints.errors import BadInput

BUCKET = "acme-pulumi-state"
KEY = {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
       "Arn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab"


def complies(name: str, current) -> bool:
    (setting,) = [s for s in SETTINGS if s.name == name]
    return setting.complies(current, KEY)


# --- each setting: compliant as bootstrap makes it, and its near misses ---------------------------------------------


def test_ownership_complies_only_with_acls_off():
    assert complies("ownership", ["BucketOwnerEnforced"])
    for near in (["BucketOwnerPreferred"], ["ObjectWriter"], [], None, ["BucketOwnerEnforced", "ObjectWriter"]):
        assert not complies("ownership", near), near


def test_public_access_complies_only_with_all_four_blocks_on():
    assert complies("public access", dict(PUBLIC_ACCESS_BLOCK))
    for flag in PUBLIC_ACCESS_BLOCK:
        assert not complies("public access", {**PUBLIC_ACCESS_BLOCK, flag: False}), f"{flag} off"
        assert not complies("public access", {k: v for k, v in PUBLIC_ACCESS_BLOCK.items() if k != flag}), f"{flag} unset"
    assert not complies("public access", None)
    assert len(PUBLIC_ACCESS_BLOCK) == 4 and all(v is True for v in PUBLIC_ACCESS_BLOCK.values())


def _sse(algorithm="aws:kms", key=KEY["Arn"], bucket_key=True) -> dict:
    default = {"SSEAlgorithm": algorithm, **({"KMSMasterKeyID": key} if key else {})}
    return {"ApplyServerSideEncryptionByDefault": default, **({"BucketKeyEnabled": bucket_key} if bucket_key is not None else {})}


@pytest.mark.parametrize("rules", [[_sse()], [_sse(key=KEY["KeyId"])], [_sse(algorithm="AES256", key=None), _sse()]])
def test_encryption_complies_under_the_state_key_by_id_or_arn_with_the_bucket_key_on(rules):
    assert complies("encryption", rules)


@pytest.mark.parametrize("rules", [
    [_sse(key=None)],  # SSE-KMS under the AWS-managed key aws/s3
    [_sse(key="alias/aws/s3")],
    [_sse(key=OTHER_KEY)],  # another customer key
    [_sse(bucket_key=False)],
    [_sse(bucket_key=None)],
    [_sse(bucket_key="true")],  # only a real boolean: S3 answers one
    [_sse(bucket_key=1)],
    [_sse(algorithm="AES256", key=None)],
    [_sse(algorithm="aws:kms:dsse")],
    [{"BucketKeyEnabled": True}],
    [],
    None,
])
def test_encryption_near_misses_fall_short(rules):
    assert not complies("encryption", rules)


def test_versioning_complies_only_when_enabled():
    assert complies("versioning", "Enabled")
    for near in ("Suspended", None, "enabled"):
        assert not complies("versioning", near), near


def _deny_http(**changes) -> dict:
    statement = {"Sid": backend.TLS_SID, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    return {k: v for k, v in {**statement, **changes}.items() if v is not None}


AUDIT = {"Sid": "AuditRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}


@pytest.mark.parametrize("statement", [
    _deny_http(), _deny_http(Principal={"AWS": "*"}), _deny_http(Action=["s3:GetObject", "s3:*"]),
    _deny_http(Condition={"Bool": {"aws:SecureTransport": False}}), _deny_http(Sid="SomeoneElses"),
])
def test_tls_only_complies_with_a_deny_of_everything_without_tls_for_everyone(statement):
    assert complies("tls only", {"Statement": [AUDIT, statement]})
    assert complies("tls only", {"Statement": statement}), "a single statement may be written without a list"


@pytest.mark.parametrize("statement", [
    _deny_http(Effect="Allow"),
    _deny_http(Principal={"AWS": "arn:aws:iam::123456789012:root"}),  # denies one account only
    _deny_http(Principal=None),
    _deny_http(Action="s3:GetObject"),  # leaves writes open without TLS
    _deny_http(Action=["s3:GetObject", "s3:PutObject"]),
    _deny_http(Action=None),
    _deny_http(Condition={"Bool": {"aws:SecureTransport": "true"}}),  # denies the TLS requests instead
    _deny_http(Condition={"Bool": {"aws:SecureTransport": True}}),
    _deny_http(Condition={"Bool": {}}),
    _deny_http(Condition=None),  # denies everything: not a TLS rule
])
def test_tls_only_near_misses_fall_short(statement):
    assert not complies("tls only", {"Statement": [AUDIT, statement]})
    assert not complies("tls only", {"Statement": statement})


def test_tls_only_falls_short_without_a_policy_or_statements():
    for policy in (None, {}, {"Statement": []}, {"Statement": [AUDIT]}):
        assert not complies("tls only", policy), policy


def _rule(*parts: str, status="Enabled", **scope) -> dict:
    actions = {"expire": {"NoncurrentVersionExpiration": {"NoncurrentDays": 90}},
               "abort": {"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}}
    rule = {"ID": "r", **({"Status": status} if status else {}), **scope}
    for part in parts:
        rule.update(actions[part])
    return rule


@pytest.mark.parametrize("rules", [
    [_rule("expire", "abort", Filter={"Prefix": ""})],
    [_rule("expire", "abort", Filter={})],
    [_rule("expire", "abort", Prefix="")],  # the older rule shape, before Filter
    [_rule("expire", "abort")],
    [_rule("expire", Filter={}), _rule("abort", Filter={"Prefix": ""})],  # split over two rules
    [_rule("expire", "abort", Filter={"Prefix": "logs/"}), _rule("expire", "abort", Filter={})],
])
def test_lifecycle_complies_with_whole_bucket_rules_that_expire_and_abort(rules):
    assert complies("lifecycle", rules)


@pytest.mark.parametrize("rules", [
    [_rule("expire", "abort", Filter={"Prefix": "logs/"})],  # only part of the bucket
    [_rule("expire", "abort", Prefix=".pulumi/")],
    [_rule("expire", "abort", Filter={"Tag": {"Key": "k", "Value": "v"}})],
    [_rule("expire", "abort", status="Disabled", Filter={})],
    [_rule("expire", "abort", status="enabled", Filter={})],  # sorts after "Enabled": only the exact value counts
    [_rule("expire", "abort", status=None, Filter={})],
    [_rule("expire", Filter={})],
    [_rule("abort", Filter={})],
    [_rule("expire", Filter={}), _rule("abort", Filter={"Prefix": "logs/"})],
    [_rule("expire", Filter={}), _rule("abort", status="Disabled", Filter={})],
    [],
    None,
])
def test_lifecycle_near_misses_fall_short(rules):
    assert not complies("lifecycle", rules)


# --- the bucket name -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["abc", "a" * 63, "my.state-bucket", "123abc", "1-2", "a1.b2"])
def test_a_valid_bucket_name_is_accepted(name):
    assert check_bucket_name(name) == name


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Upper", "-abc", "abc-", ".abc", "abc.", "a..b", "xn--abc",
                                  "1.2.3.4", "123", "a_b"])
def test_a_bucket_name_s3_refuses_is_bad_input_naming_the_option(name):
    with pytest.raises(BadInput, match=f"^--bucket: '{name}' is not a valid S3 bucket name"):
        check_bucket_name(name)


# --- the report ------------------------------------------------------------------------------------------------------


def _report(*statuses: str) -> Bootstrap:
    return Bootstrap(BUCKET, REGION, tuple(Item(BUCKET, f"s{n}", s, "") for n, s in enumerate(statuses)),
                     KEY["Arn"], OTHER_KEY)


@pytest.mark.parametrize("statuses, changed, short", [
    ((UNCHANGED, UNCHANGED), False, False),
    ((UNCHANGED, SHORT), False, True),
    ((SHORT,), False, True),
    ((UNCHANGED, "created"), True, False),
    (("set",), True, False),
    ((SHORT, "fixed"), True, True),
])
def test_a_report_is_changed_by_any_item_made_or_fixed_and_short_by_any_left(statuses, changed, short):
    report = _report(*statuses)
    assert (report.changed, report.short) == (changed, short)
    assert (report.to_json()["changed"], report.to_json()["falls_short"]) == (changed, short)


def test_a_report_read_back_from_its_json_is_still_short_and_unchanged():
    report = _report(UNCHANGED, SHORT)
    loaded = json.loads(json.dumps(report.to_json()))  # new strings, equal to the statuses but not the same objects
    again = Bootstrap(BUCKET, REGION, tuple(Item(**i) for i in loaded["items"]), KEY["Arn"], OTHER_KEY)
    assert (again.short, again.changed) == (True, False)


def test_the_preview_policy_reads_the_state_and_decrypts_and_writes_only_the_lock():
    policy = json.loads(json.dumps(_report(UNCHANGED).to_json()))["preview_policy"]
    bucket = f"arn:aws:s3:::{BUCKET}"
    assert {s["Sid"]: (s["Action"], s["Resource"]) for s in policy["Statement"]} == {
        "ReadState": (["s3:GetObject", "s3:ListBucket"], [bucket, f"{bucket}/*"]),
        "LockWhilePreviewing": (["s3:PutObject", "s3:DeleteObject"], f"{bucket}/.pulumi/locks/*"),
        "DecryptOnly": ("kms:Decrypt", [KEY["Arn"], OTHER_KEY]),
    }
    assert {s["Effect"] for s in policy["Statement"]} == {"Allow"}


def test_the_report_points_pulumi_at_the_bucket_and_the_secrets_key():
    report = _report(UNCHANGED)
    assert report.login_url == f"s3://{BUCKET}?region={REGION}&awssdk=v2"
    assert report.secrets_provider == f"awskms://alias/{BUCKET}-secrets?region={REGION}"
    assert (state_alias("my.state"), secrets_alias("my.state")) == ("alias/my-state-state", "alias/my-state-secrets")


# --- bootstrap against moto, in-process ------------------------------------------------------------------------------


def _settings(s3) -> dict:
    return {s.name: s.read(s3, BUCKET) for s in SETTINGS}


@pytest.mark.usefixtures("mocked")
def test_a_new_backend_gets_every_setting_and_a_second_run_finds_each_compliant():
    aws = connect(REGION)
    first = bootstrap(aws, BUCKET)
    assert [(i.resource, i.name, i.status) for i in first.items] == [
        (state_alias(BUCKET), "key", "created"), (state_alias(BUCKET), "rotation", "set"),
        (secrets_alias(BUCKET), "key", "created"), (secrets_alias(BUCKET), "rotation", "set"),
        (BUCKET, "bucket", "created"), *((BUCKET, s.name, "set") for s in SETTINGS)]
    assert [i.detail for i in first.items[5:]] == [s.wanted for s in SETTINGS], "only a shortfall says 'wanted:'"
    s3 = boto3.client("s3", region_name=REGION)
    kms = boto3.client("kms", region_name=REGION)
    state = kms.describe_key(KeyId=state_alias(BUCKET))["KeyMetadata"]
    assert all(s.complies(_settings(s3)[s.name], state) for s in SETTINGS)
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]} == backend.TAGS
    assert {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=state["KeyId"])["Tags"]} == backend.TAGS
    assert state["Arn"] == first.state_key_arn != first.secrets_key_arn
    again = bootstrap(aws, BUCKET)
    assert {i.status for i in again.items} == {UNCHANGED} and not again.changed
    assert [i.detail for i in again.items[5:]] == [s.wanted for s in SETTINGS]
    assert (again.state_key_arn, again.secrets_key_arn) == (first.state_key_arn, first.secrets_key_arn)


@pytest.mark.usefixtures("mocked")
def test_fixing_the_policy_and_lifecycle_keeps_the_buckets_other_statements_and_rules():
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    stale_tls = _deny_http(Action="s3:GetObject")  # ours once, too narrow now: replaced, not kept beside the new one
    ci = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/ci"}, "Action": "s3:PutObject",
          "Resource": f"arn:aws:s3:::{BUCKET}/*"}  # no Sid, as policies often are
    write = {**ci, "Sid": "WriteFromCi"}  # a Sid that sorts after ours
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17",
                                                          "Statement": [AUDIT, ci, stale_tls, write]}))
    logs = {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}}
    archive = {**logs, "ID": "archive", "Filter": {"Prefix": "archive/"}}  # an ID sorting before ours
    old_ours = {"ID": backend.LIFECYCLE_ID, "Status": "Disabled", "Filter": {"Prefix": ""},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [logs, old_ours, archive]})
    short = bootstrap(connect(REGION), BUCKET)
    assert {i.name for i in short.items if i.status == SHORT} == {s.name for s in SETTINGS}
    assert next(i for i in short.items if i.name == "tls only").detail == "wanted: bucket policy denies requests without TLS"
    fixed = bootstrap(connect(REGION), BUCKET, fix=True)
    assert {i.name for i in fixed.items if i.status == "fixed"} == {s.name for s in SETTINGS}
    now = _settings(s3)
    assert now["tls only"]["Statement"] == [AUDIT, ci, write, backend._tls_statement(BUCKET)]
    assert [r["ID"] for r in now["lifecycle"]] == ["logs", "archive", backend.LIFECYCLE_ID]
    assert now["lifecycle"][2]["Status"] == "Enabled"


@pytest.mark.usefixtures("mocked")
def test_a_bare_existing_bucket_falls_short_on_every_setting_it_was_never_given():
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.delete_bucket_encryption(Bucket=BUCKET)  # S3 encrypts new buckets with AES256; this one predates that
    short = bootstrap(connect(REGION), BUCKET)
    assert {i.name for i in short.items if i.status == SHORT} == {s.name for s in SETTINGS}


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize("state", ["PendingDeletion", "Disabled"])
def test_a_key_pending_deletion_or_disabled_is_refused_before_the_bucket_is_made(state):
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Description="old")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=state_alias(BUCKET), TargetKeyId=key)
    if state == "Disabled":
        kms.disable_key(KeyId=key)
    else:
        kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    with pytest.raises(AwsFailure, match=f"KMS key {state_alias(BUCKET)} is {state}: enable it"):
        bootstrap(connect(REGION), BUCKET)
    assert boto3.client("s3", region_name=REGION).list_buckets()["Buckets"] == []


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])  # sorting before and after ours
def test_a_key_that_cannot_be_described_is_raised_not_made_again(inject, monkeypatch, code):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    inject("before-send.kms.DescribeKey", code, 400)
    with pytest.raises(ClientError, match=code):
        bootstrap(connect(REGION), BUCKET)
    assert boto3.client("kms", region_name=REGION).list_keys()["Keys"] == [], "no second key behind a denied alias"


@pytest.mark.usefixtures("mocked")
def test_a_bucket_elsewhere_is_refused():
    aws = connect(REGION)
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(AwsFailure, match=f"bucket {BUCKET} is in eu-west-1, not {REGION}: pass --region eu-west-1"):
        bootstrap(aws, BUCKET)
    with pytest.raises(AwsFailure, match=f"bucket {BUCKET} is in eu-west-1, not ap-northeast-1: pass --region eu-west-1"):
        bootstrap(connect("ap-northeast-1"), BUCKET)  # a region sorting before the bucket's


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize("region", ["eu-west-1", "us-west-2"])  # sorting before and after us-east-1
def test_a_new_bucket_outside_us_east_1_is_made_in_its_region(region):
    made = bootstrap(connect(region), BUCKET)
    assert next(i for i in made.items if i.name == "bucket").detail == f"in {region}"
    location = boto3.client("s3", region_name=region).get_bucket_location(Bucket=BUCKET)["LocationConstraint"]
    assert location == region
    assert bootstrap(connect(region), BUCKET).items[4] == Item(BUCKET, "bucket", UNCHANGED, f"exists in {region}")


@pytest.mark.usefixtures("mocked")
def test_the_lifecycle_rule_sent_keeps_superseded_state_90_days_and_the_newest_10_as_documented():
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    sent: list[dict] = []  # moto keeps no NewerNoncurrentVersions, so the request itself is read
    s3.meta.events.register("provide-client-params.s3.PutBucketLifecycleConfiguration",
                            lambda params, **kwargs: sent.append(params))
    (lifecycle,) = [s for s in SETTINGS if s.name == "lifecycle"]
    lifecycle.apply(s3, BUCKET, None, KEY)
    (rule,) = sent[0]["LifecycleConfiguration"]["Rules"]
    assert rule == {"ID": backend.LIFECYCLE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 90, "NewerNoncurrentVersions": 10},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}
    assert lifecycle.wanted == ("noncurrent versions expire after 90 days (newest 10 kept), incomplete uploads "
                                "aborted after 7")


@pytest.mark.usefixtures("mocked")
def test_fixing_a_policy_written_with_a_single_statement_keeps_it():
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": AUDIT}))
    bootstrap(connect(REGION), BUCKET, fix=True)
    assert _settings(s3)["tls only"]["Statement"] == [AUDIT, backend._tls_statement(BUCKET)]


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize("status, refused", [
    (403, AwsFailure), (400, ClientError), (405, ClientError), (500, ClientError), (503, ClientError)])
def test_a_bucket_this_account_cannot_use_is_refused_and_another_failure_raised(inject, monkeypatch, status, refused):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # a 5xx is raised after the retries; one attempt shows the same
    codes = {403: "Forbidden", 400: "BadRequest", 405: "MethodNotAllowed", 500: "InternalError", 503: "SlowDown"}
    inject("before-send.s3.HeadBucket", codes[status], status)
    with pytest.raises(refused) as raised:
        bootstrap(connect(REGION), BUCKET)
    assert ("another account owns it" in str(raised.value)) == (status == 403), raised.value
    assert boto3.client("s3", region_name=REGION).list_buckets()["Buckets"] == [], "nothing is created"


@pytest.mark.usefixtures("mocked")
def test_a_key_without_rotation_falls_short_and_is_turned_on_only_with_fix():
    bootstrap(connect(REGION), BUCKET)
    kms = boto3.client("kms", region_name=REGION)
    key = kms.describe_key(KeyId=secrets_alias(BUCKET))["KeyMetadata"]["KeyId"]
    kms.disable_key_rotation(KeyId=key)
    short = bootstrap(connect(REGION), BUCKET)
    assert Item(secrets_alias(BUCKET), "rotation", SHORT, "key rotation is off") in short.items and short.short
    assert not kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"], "nothing changed without --fix"
    fixed = bootstrap(connect(REGION), BUCKET, fix=True)
    assert Item(secrets_alias(BUCKET), "rotation", "fixed", "yearly key rotation turned on") in fixed.items
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] and not fixed.short
