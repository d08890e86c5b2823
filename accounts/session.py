"""boto3 clients for the account tools: retries with backoff, and every AWS failure as one line.

Throttling is retried by botocore itself (standard retry mode: exponential backoff with jitter,
throttling and transient errors only), so no call site carries its own retry loop.
`AWS_RETRY_MODE` and `AWS_MAX_ATTEMPTS` tune it as they do for the AWS CLI.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError as AwsConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.retries.standard import ThrottledRetryableChecker

from blueprints.errors import BadInput

DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 8
"""Total attempts per call: standard backoff waits up to 1, 2, 4, 8, 16, 20, 20 s between them (jittered)."""

USER_AGENT = "cloud-blueprints"

CREDENTIAL_CODES = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
    "AuthFailure", "ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidToken",
})
DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden",
})
REGION_CODES = frozenset({"OptInRequired", "InvalidRegion", "UnrecognizedRegion"})
THROTTLE_CODES = ThrottledRetryableChecker._THROTTLED_ERROR_CODES
"""botocore's own list, so what we call throttling is exactly what its retries treat as throttling."""


class AwsFailure(BadInput):
    """AWS refused or could not be reached: one line naming the cause, exit code 2."""


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError ('' when the service sent none)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


@cache
def known_regions() -> frozenset[str]:
    """Every region botocore's endpoint data knows, across all partitions."""
    session = boto3.session.Session()
    return frozenset(
        region for partition in session.get_available_partitions()
        for region in session.get_available_regions("ec2", partition_name=partition)
    )


def check_region(region: str) -> str:
    """`region` if AWS has it; BadInput naming the option otherwise."""
    if region not in known_regions():
        raise BadInput(f"--region: unknown AWS region '{region}' (e.g. us-east-1, eu-west-1)")
    return region


def client_config() -> Config:
    """Retries with backoff, bounded timeouts, and our user agent."""
    mode = os.environ.get("AWS_RETRY_MODE", DEFAULT_RETRY_MODE)
    if mode not in ("standard", "adaptive", "legacy"):
        raise BadInput(f"AWS_RETRY_MODE: '{mode}' is not one of standard, adaptive, legacy")
    attempts = os.environ.get("AWS_MAX_ATTEMPTS", str(DEFAULT_MAX_ATTEMPTS))
    if not attempts.isdigit() or int(attempts) < 1:
        raise BadInput(f"AWS_MAX_ATTEMPTS: '{attempts}' is not a positive whole number")
    return Config(
        retries={"mode": mode, "total_max_attempts": int(attempts)},
        connect_timeout=5,
        read_timeout=30,
        user_agent_extra=USER_AGENT,
    )


@dataclass(frozen=True)
class Aws:
    """A boto3 session pinned to one region; hands out clients with retries configured."""

    region: str
    """The region every client talks to."""
    session: boto3.session.Session
    """The credentials in use (the default chain, or an assumed role)."""

    def client(self, service: str) -> Any:
        """A client for `service` in this region."""
        return self.session.client(service, region_name=self.region, config=client_config())

    def assume(self, role_arn: str, session_name: str) -> "Aws":
        """This region under `role_arn`, assumed as the Pulumi provider assumes it."""
        creds = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        return Aws(self.region, boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        ))


def connect(region: str) -> Aws:
    """The default credential chain (environment, profile, SSO, instance role) in a known region."""
    return Aws(check_region(region), boto3.session.Session())


def describe(exc: BaseException) -> str:
    """One line naming the cause of an AWS failure; never a credential."""
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or log in with `aws sso login`"
    if isinstance(exc, NoRegionError):
        return "no AWS region: pass --region"
    if isinstance(exc, (AwsConnectionError, ReadTimeoutError)):
        where = exc.kwargs.get("endpoint_url", "the AWS endpoint")
        return f"cannot reach {where}: check the network, proxy or AWS_ENDPOINT_URL"
    if isinstance(exc, ClientError):
        code, op = error_code(exc), exc.operation_name
        message = exc.response.get("Error", {}).get("Message") or code
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        if code in THROTTLE_CODES:
            return f"AWS throttled {op} ({code}) on all {attempts} attempts with backoff; try later or raise AWS_MAX_ATTEMPTS"
        if code in CREDENTIAL_CODES:
            return f"AWS rejected the credentials ({code}) on {op}: refresh or replace them"
        if code in REGION_CODES:
            return f"the region is not enabled for this account ({code}) on {op}: {message}"
        if code in DENIED_CODES or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403:
            return f"access denied on {op}: {message}"
        return f"AWS {op} failed ({code}): {message}"
    return f"AWS call failed: {exc}"


@contextmanager
def aws_errors() -> Iterator[None]:
    """Turn botocore's exceptions into AwsFailure, which the CLI prints on one line with exit code 2."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise AwsFailure(describe(exc)) from None
