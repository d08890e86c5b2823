"""The Pulumi state backend: an S3 bucket and two KMS keys, created once and checked on every later run.

Each property of the backend is one `Setting`: how to read it, when it complies and how to set it.
A new resource gets every setting; an existing one is only read, and changed only with `fix`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Callable

from botocore.exceptions import ClientError

from accounts.session import Aws, AwsFailure, error_code
from blueprints.errors import BadInput

CREATED, SET, UNCHANGED, FIXED, SHORT = "created", "set", "unchanged", "fixed", "falls short"
"""What bootstrap did to an item: made it, set it on a new resource, found it right, fixed it, or only reported it."""

TAGS = {"managed-by": "cloud-blueprints", "purpose": "pulumi-state"}
TLS_SID = "DenyInsecureTransport"
LIFECYCLE_ID = "cloud-blueprints-state-history"
NONCURRENT_DAYS = 90
"""Days a superseded state checkpoint is kept, so a bad update can be rolled back by hand."""
NONCURRENT_KEEP = 10
"""Newest superseded checkpoints kept regardless of age, for stacks that change rarely."""
ABORT_MULTIPART_DAYS = 7

BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class Item:
    """One thing bootstrap checked: a resource or one of its settings, and what it found or did."""

    resource: str
    """The bucket name or the key's alias."""
    name: str
    """What about it: `bucket`, `key`, `versioning`, `encryption`, ..."""
    status: str
    """created, set, unchanged, fixed, or falls short."""
    detail: str
    """What is wanted, or what falls short of it."""


@dataclass(frozen=True)
class Bootstrap:
    """What `bootstrap` found and did, and the lines that point Pulumi at the backend."""

    bucket: str
    region: str
    items: tuple[Item, ...]
    state_key_arn: str
    """The key that encrypts the bucket's objects."""
    secrets_key_arn: str
    """The key of the stacks' awskms:// secrets provider."""

    @property
    def short(self) -> bool:
        """Whether anything still falls short (nothing was changed for it)."""
        return any(i.status == SHORT for i in self.items)

    @property
    def changed(self) -> bool:
        """Whether this run created or changed anything."""
        return any(i.status != UNCHANGED and i.status != SHORT for i in self.items)

    @property
    def login_url(self) -> str:
        """The backend URL for `pulumi login` (aws-sdk v2 reads the region from it)."""
        return f"s3://{self.bucket}?region={self.region}&awssdk=v2"

    @property
    def secrets_provider(self) -> str:
        """The `--secrets-provider` for `pulumi stack init`."""
        return f"awskms://{secrets_alias(self.bucket)}?region={self.region}"

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report."""
        return {"bucket": self.bucket, "region": self.region, "changed": self.changed, "falls_short": self.short,
                "login_url": self.login_url, "secrets_provider": self.secrets_provider,
                "preview_policy": self.preview_policy, "items": [asdict(i) for i in self.items]}

    @property
    def preview_policy(self) -> dict[str, Any]:
        """The IAM policy of the role preview-only Stacks use on this backend: read the state, decrypt its objects
        and the stacks' secrets, and nothing that writes state or encrypts a secret (no passphrase needed)."""
        bucket = f"arn:aws:s3:::{self.bucket}"
        return {"Version": "2012-10-17", "Statement": [
            {"Sid": "ReadState", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": [bucket, f"{bucket}/*"]},
            # The self-managed backend locks a stack while an operation runs on it; the lock is all a preview writes.
            {"Sid": "LockWhilePreviewing", "Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"],
             "Resource": f"{bucket}/.pulumi/locks/*"},
            {"Sid": "DecryptOnly", "Effect": "Allow", "Action": "kms:Decrypt",
             "Resource": [self.state_key_arn, self.secrets_key_arn]},
        ]}


def check_bucket_name(bucket: str) -> str:
    """`bucket` if S3 accepts it as a name; BadInput naming the option otherwise."""
    if not BUCKET_NAME.match(bucket) or re.fullmatch(r"[\d.]+", bucket):
        raise BadInput(f"--bucket: '{bucket}' is not a valid S3 bucket name "
                       "(3-63 lowercase letters, digits, dots and hyphens; starts and ends with a letter or digit)")
    return bucket


def _alias_stem(bucket: str) -> str:
    return "alias/" + bucket.replace(".", "-")


def state_alias(bucket: str) -> str:
    """The alias of the key that encrypts the state bucket."""
    return f"{_alias_stem(bucket)}-state"


def secrets_alias(bucket: str) -> str:
    """The alias of the key Pulumi's secrets provider encrypts stack secrets with."""
    return f"{_alias_stem(bucket)}-secrets"


def bootstrap(aws: Aws, bucket: str, fix: bool = False) -> Bootstrap:
    """Create or check the backend in `aws.region`; change an existing resource only when `fix`."""
    check_bucket_name(bucket)
    items: list[Item] = []
    state_key = _ensure_key(aws, state_alias(bucket), f"Encrypts the Pulumi state in s3://{bucket}", fix, items)
    secrets_key = _ensure_key(aws, secrets_alias(bucket), f"Pulumi secrets provider for stacks kept in s3://{bucket}",
                              fix, items)
    _ensure_bucket(aws, bucket, state_key, fix, items)
    return Bootstrap(bucket=bucket, region=aws.region, items=tuple(items), state_key_arn=state_key["Arn"],
                     secrets_key_arn=secrets_key["Arn"])


# --- KMS keys -----------------------------------------------------------------------------------


def _ensure_key(aws: Aws, alias: str, description: str, fix: bool, items: list[Item]) -> dict[str, Any]:
    """The key behind `alias`, created with rotation when the alias is free; its metadata."""
    kms = aws.client("kms")
    try:
        meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as exc:
        if error_code(exc) != "NotFoundException":
            raise
        meta = kms.create_key(
            Description=description, KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT",
            Tags=[{"TagKey": k, "TagValue": v} for k, v in TAGS.items()],
        )["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
        kms.enable_key_rotation(KeyId=meta["KeyId"])
        items += [Item(alias, "key", CREATED, description), Item(alias, "rotation", SET, "yearly key rotation on")]
        return meta
    if meta.get("KeyState") != "Enabled":
        raise AwsFailure(f"KMS key {alias} is {meta.get('KeyState')}: enable it, or choose another bucket name")
    items.append(Item(alias, "key", UNCHANGED, f"exists ({meta['KeyId']})"))
    if kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"]:
        items.append(Item(alias, "rotation", UNCHANGED, "yearly key rotation on"))
    elif fix:
        kms.enable_key_rotation(KeyId=meta["KeyId"])
        items.append(Item(alias, "rotation", FIXED, "yearly key rotation turned on"))
    else:
        items.append(Item(alias, "rotation", SHORT, "key rotation is off"))
    return meta


# --- the bucket's settings ----------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One property of the state bucket: how to read it, whether what was read complies, how to set it."""

    name: str
    """What the property is called in the report."""
    wanted: str
    """What compliance means, in words."""
    read: Callable[[Any, str], Any]
    """(s3, bucket) -> the current value, or None when unset."""
    complies: Callable[[Any, dict], bool]
    """(current, key metadata) -> whether it is as wanted."""
    apply: Callable[[Any, str, Any, dict], None]
    """(s3, bucket, current, key metadata): set it, keeping what else the current value holds."""


def _absent_on(*codes: str) -> Callable[[Callable[[Any, str], Any]], Callable[[Any, str], Any]]:
    """Read None instead of failing when S3 answers one of `codes` (the setting was never made)."""

    def wrap(read: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
        def reader(s3: Any, bucket: str) -> Any:
            try:
                return read(s3, bucket)
            except ClientError as exc:
                if error_code(exc) in codes:
                    return None
                raise

        return reader

    return wrap


def _read_versioning(s3: Any, bucket: str) -> Any:
    return s3.get_bucket_versioning(Bucket=bucket).get("Status")


def _apply_versioning(s3: Any, bucket: str, current: Any, key: dict) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


@_absent_on("ServerSideEncryptionConfigurationNotFoundError")
def _read_encryption(s3: Any, bucket: str) -> Any:
    return s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]


def _encryption_complies(rules: Any, key: dict) -> bool:
    ours = {key["KeyId"], key["Arn"]}
    return any(
        r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") == "aws:kms"
        and r["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID") in ours
        and r.get("BucketKeyEnabled") is True
        for r in rules or ()
    )


def _apply_encryption(s3: Any, bucket: str, current: Any, key: dict) -> None:
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
        "BucketKeyEnabled": True,
    }]})


PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                       "RestrictPublicBuckets": True}


@_absent_on("NoSuchPublicAccessBlockConfiguration")
def _read_public_access(s3: Any, bucket: str) -> Any:
    return s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]


def _apply_public_access(s3: Any, bucket: str, current: Any, key: dict) -> None:
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)


@_absent_on("OwnershipControlsNotFoundError")
def _read_ownership(s3: Any, bucket: str) -> Any:
    return [r["ObjectOwnership"] for r in s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]]


def _apply_ownership(s3: Any, bucket: str, current: Any, key: dict) -> None:
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})


def _tls_statement(bucket: str) -> dict[str, Any]:
    return {
        "Sid": TLS_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@_absent_on("NoSuchBucketPolicy")
def _read_policy(s3: Any, bucket: str) -> Any:
    return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])


def _denies_plain_http(statement: dict) -> bool:
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else actions or []
    return (
        statement.get("Effect") == "Deny"
        and statement.get("Principal") in ("*", {"AWS": "*"})
        and "s3:*" in actions
        and str(statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport", "")).lower() == "false"
    )


def _policy_complies(policy: Any, key: dict) -> bool:
    statements = (policy or {}).get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    return any(_denies_plain_http(s) for s in statements)


def _apply_policy(s3: Any, bucket: str, current: Any, key: dict) -> None:
    policy = current or {"Version": "2012-10-17", "Statement": []}
    others = policy.get("Statement", [])
    others = [others] if isinstance(others, dict) else others
    statements = [s for s in others if s.get("Sid") != TLS_SID] + [_tls_statement(bucket)]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({**policy, "Statement": statements}))


@_absent_on("NoSuchLifecycleConfiguration")
def _read_lifecycle(s3: Any, bucket: str) -> Any:
    return s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]


def _whole_bucket(rule: dict) -> bool:
    scope = rule.get("Filter", {"Prefix": rule.get("Prefix", "")})
    return scope in ({}, {"Prefix": ""})


def _lifecycle_complies(rules: Any, key: dict) -> bool:
    live = [r for r in rules or () if r.get("Status") == "Enabled" and _whole_bucket(r)]
    return any("NoncurrentVersionExpiration" in r for r in live) and any("AbortIncompleteMultipartUpload" in r for r in live)


def _apply_lifecycle(s3: Any, bucket: str, current: Any, key: dict) -> None:
    ours = {
        "ID": LIFECYCLE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_DAYS, "NewerNoncurrentVersions": NONCURRENT_KEEP},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS},
    }
    rules = [r for r in current or () if r.get("ID") != LIFECYCLE_ID] + [ours]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})


SETTINGS: tuple[Setting, ...] = (
    Setting("ownership", "object ownership BucketOwnerEnforced (ACLs off)", _read_ownership,
            lambda cur, key: cur == ["BucketOwnerEnforced"], _apply_ownership),
    Setting("public access", "all four public access blocks on", _read_public_access,
            lambda cur, key: all((cur or {}).get(k) for k in PUBLIC_ACCESS_BLOCK), _apply_public_access),
    Setting("encryption", "SSE-KMS under the state key, bucket key on", _read_encryption, _encryption_complies,
            _apply_encryption),
    Setting("versioning", "versioning enabled", _read_versioning, lambda cur, key: cur == "Enabled", _apply_versioning),
    Setting("tls only", "bucket policy denies requests without TLS", _read_policy, _policy_complies, _apply_policy),
    Setting("lifecycle", f"noncurrent versions expire after {NONCURRENT_DAYS} days (newest {NONCURRENT_KEEP} kept), "
            f"incomplete uploads aborted after {ABORT_MULTIPART_DAYS}", _read_lifecycle, _lifecycle_complies,
            _apply_lifecycle),
)
"""In the order a new bucket gets them: ownership and public access first, so it is never open."""


def _bucket_exists(s3: Any, bucket: str, region: str) -> bool:
    """Whether we own `bucket`; AwsFailure when someone else does or it lives in another region."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if error_code(exc) in ("404", "NoSuchBucket") or status == 404:
            return False
        if status == 403:
            raise AwsFailure(f"bucket {bucket} exists but this account cannot use it (another account owns it, "
                             "or s3:ListBucket is denied); choose another --bucket") from None
        raise
    found = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    if found != region:
        raise AwsFailure(f"bucket {bucket} is in {found}, not {region}: pass --region {found}")
    return True


def _ensure_bucket(aws: Aws, bucket: str, key: dict, fix: bool, items: list[Item]) -> None:
    s3 = aws.client("s3")
    exists = _bucket_exists(s3, bucket, aws.region)
    if not exists:
        where = {} if aws.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": aws.region}}
        s3.create_bucket(Bucket=bucket, **where)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in TAGS.items()]})
        items.append(Item(bucket, "bucket", CREATED, f"in {aws.region}"))
    else:
        items.append(Item(bucket, "bucket", UNCHANGED, f"exists in {aws.region}"))
    for setting in SETTINGS:
        current = setting.read(s3, bucket) if exists else None
        if exists and setting.complies(current, key):
            status = UNCHANGED
        elif exists and not fix:
            status = SHORT
        else:
            setting.apply(s3, bucket, current, key)
            status = FIXED if exists else SET
        items.append(Item(bucket, setting.name, status, f"wanted: {setting.wanted}" if status == SHORT else setting.wanted))
