"""Every way AWS can fail the account tools: one line naming the cause, exit code 2, never a traceback;
throttling is retried with backoff before it is reported."""

from __future__ import annotations

import socket

import pytest
from moto_support import REGION

INVENTORY = ["inventory", "--region", REGION, "--format", "json"]


def one_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """The backoff delays botocore waits between attempts (recorded, not slept)."""
    waited: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", waited.append)
    return waited


def test_no_credentials(aws_env, cli):
    aws_env.delenv("AWS_ACCESS_KEY_ID")
    aws_env.delenv("AWS_SECRET_ACCESS_KEY")
    line = one_line(cli(*INVENTORY))
    assert line.startswith("error: no AWS credentials found: set AWS_PROFILE")


def test_unknown_region(mocked, cli):
    assert one_line(cli("backend", "bootstrap", "--region", "mars-east-1", "--bucket", "acme-state")) == (
        "error: --region: unknown AWS region 'mars-east-1' (e.g. us-east-1, eu-west-1)")


@pytest.mark.parametrize("code, status, expected", [
    ("UnauthorizedOperation", 403, "error: access denied on DescribeInstances: injected"),
    ("AuthFailure", 401, "error: AWS rejected the credentials (AuthFailure) on DescribeInstances: refresh or replace them"),
    ("OptInRequired", 403, "error: the region is not enabled for this account (OptInRequired) on DescribeInstances: injected"),
])
def test_refusals_are_one_line(mocked, cli, inject, code, status, expected):
    inject("before-send.ec2.DescribeInstances", code, status)
    assert one_line(cli(*INVENTORY)) == expected


def test_throttling_is_retried_with_backoff_and_then_succeeds(mocked, cli, inject, sleeps):
    answered = inject("before-send.ec2.DescribeVpcs", "RequestLimitExceeded", 503, times=3)
    result = cli(*INVENTORY)
    assert result.exit_code == 0, result.output
    assert len(answered) == 3, "the throttled call was sent again until it went through"
    # botocore's standard backoff: attempt i (from 0) waits rand(0, 1) * min(2 ** i, 20) seconds for throttling.
    assert len(sleeps) == 3 and sum(sleeps) > 0, f"each retry waited its backoff first: {sleeps}"
    assert all(0 <= s <= min(2 ** i, 20) for i, s in enumerate(sleeps)), f"backoff beyond its exponential cap: {sleeps}"


def test_throttling_that_never_ends_is_one_line_after_every_attempt(mocked, cli, inject, sleeps, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    answered = inject("before-send.ec2.DescribeVpcs", "RequestLimitExceeded", 503)
    line = one_line(cli(*INVENTORY))
    assert line == ("error: AWS throttled DescribeVpcs (RequestLimitExceeded) on all 4 attempts with backoff; "
                    "try later or raise AWS_MAX_ATTEMPTS")
    assert len(answered) == 4 and len(sleeps) == 3


def test_unreachable_endpoint(aws_env, cli):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again on leaving: nothing listens there
    aws_env.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    aws_env.setenv("AWS_MAX_ATTEMPTS", "1")
    line = one_line(cli(*INVENTORY))
    assert line.startswith(f"error: cannot reach http://127.0.0.1:{port}/")


def test_a_bad_retry_setting_names_the_variable(mocked, cli, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "many")
    assert one_line(cli(*INVENTORY)) == "error: AWS_MAX_ATTEMPTS: 'many' is not a positive whole number"


def test_secrets_never_reach_the_output(mocked, cli):
    result = cli("backend", "bootstrap", "--region", REGION, "--bucket", "acme-state", "--json")
    assert result.exit_code == 0
    assert "testing-secret-not-real" not in result.output
