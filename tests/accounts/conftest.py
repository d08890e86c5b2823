"""moto for the account tools: dummy credentials, a mocked AWS, the CLI, and AWS errors injected into
the requests the commands send."""

from __future__ import annotations

import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from moto.core.botocore_stubber import MockRawResponse
from moto_support import aws_error
from typer.testing import CliRunner

from accounts.session import Aws


@pytest.fixture
def aws_env(monkeypatch):
    """Dummy credentials and no profile, endpoint or instance metadata from the machine."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION",
                 "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-not-real")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def mocked(aws_env):
    """A fresh mocked AWS for the test."""
    with mock_aws():
        yield


@pytest.fixture
def cli(repo):
    """Run `bp --repo <scratch repo> [extra global options] ...` in-process."""
    from cli.main import app

    runner = CliRunner()

    def invoke(*args: str, options: tuple[str, ...] = ()):
        return runner.invoke(app, ["--repo", str(repo), *options, *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def inject(monkeypatch):
    """`inject(event, code, status, times)`: answer `times` requests matching a botocore event name (e.g.
    `before-send.ec2.DescribeVpcs`) with an AWS error, ahead of moto. Returns the list of requests answered."""

    def add(event: str, code: str, status: int, times: int = 10**6) -> list:
        answered: list = []

        def handler(request, **kwargs):
            if len(answered) >= times:
                return None
            answered.append(request.url)
            body = aws_error(code, json_protocol="X-Amz-Target" in request.headers)  # KMS, Service Quotas
            return AWSResponse(request.url, status, {}, MockRawResponse(body))

        original = Aws.client

        def client(self, service):
            made = original(self, service)
            made.meta.events.register_first(event, handler)
            return made

        monkeypatch.setattr(Aws, "client", client)
        return answered

    return add
