"""The installed `bp` console script, as a subprocess, against moto's server on loopback through
AWS_ENDPOINT_URL: bootstrap twice, stamp a stack, inventory an estate of all three ownerships, preflight.

Run with `-s` to see the transcript of the three commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from moto_support import DEPLOY_ROLE, REGION, TARGET_ACCOUNT

from blueprints.sites import DEMO_SITES, load_sites

BP = Path(sys.executable).parent / "bp"
DEMO_HUB = "tgw-0000e2368a6fb5db1"
OWNER_TAGS = {"owner": "lead@example.com", "cost-center": "CC-1", "blueprint": "web-service@2.0.0",
              "managed-by": "cloud-blueprints"}


@pytest.fixture
def moto_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def environment(endpoint: str) -> dict[str, str]:
    """Only what the subprocess needs: dummy credentials and the endpoint, nothing from this machine's AWS setup."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "COLUMNS": "140",
            "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret-not-real",
            "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true"}


def clients(endpoint: str, account: str | None = None):
    """A client factory for the operator's account, or `account` through an assumed role, at `endpoint`."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing-secret-not-real",
                                    region_name=REGION)
    if account:
        creds = session.client("sts", endpoint_url=endpoint).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/test-setup", RoleSessionName="setup")["Credentials"]
        session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                        aws_session_token=creds["SessionToken"], region_name=REGION)
    return lambda service: session.client(service, endpoint_url=endpoint)


def tagged(tags: dict, kind: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def test_the_console_script_against_moto_server(moto_server, repo, tmp_path):
    assert BP.is_file(), f"the console script is not installed at {BP}"
    env = environment(moto_server)
    transcript: list[str] = []

    def bp(*args: str, show: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(BP), "--repo", str(repo), "--sites", str(sites), *args], env=env,
                              capture_output=True, text=True, timeout=300)
        if show:
            transcript.append(f"$ bp {' '.join(args)}   # exit {done.returncode}\n{done.stdout}{done.stderr}")
        assert "Traceback" not in done.stderr, done.stderr
        return done

    # The platform's side of the target account: the deploy role and the region's hub.
    target = clients(moto_server, TARGET_ACCOUNT)
    target("iam").create_role(RoleName=DEPLOY_ROLE, AssumeRolePolicyDocument="{}")
    hub = target("ec2").create_transit_gateway(Description="us-east-1 hub")["TransitGateway"]["TransitGatewayId"]
    # The hub's account, where the team's attachment is accepted and routed, has the deploy role too.
    hub_account = next(h.account_id for dc, h in load_sites().hubs() if dc.name == REGION)
    clients(moto_server, hub_account)("iam").create_role(RoleName=DEPLOY_ROLE, AssumeRolePolicyDocument="{}")
    sites = tmp_path / "sites.yaml"
    sites.write_text(DEMO_SITES.read_text().replace(DEMO_HUB, hub))

    first = bp("backend", "bootstrap", "--region", REGION, "--bucket", "acme-pulumi-state")
    assert first.returncode == 0 and "created" in first.stdout
    second = bp("backend", "bootstrap", "--region", REGION, "--bucket", "acme-pulumi-state")
    assert second.returncode == 0 and "Nothing to change" in second.stdout
    assert {line.split()[0] for line in second.stdout.splitlines()[:11]} == {"unchanged"}

    assert bp("new", "payments", "--blueprint", "web-service", "--env", "prod", "--region", "amer",
              "--owner", "lead@example.com", "--cost-center", "CC-1").returncode == 0
    stack_file = repo / "stacks" / "Pulumi.payments-prod.yaml"
    # What `pulumi stack init --secrets-provider` writes, pointing at the key bootstrap made.
    stack_file.write_text(stack_file.read_text() + f"secretsprovider: awskms://alias/acme-pulumi-state-secrets?region={REGION}\n")

    # An old estate in the operator's account: one resource per ownership, besides the defaults.
    ec2 = clients(moto_server)("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/21", TagSpecifications=tagged(
        {"team": "payments", "env": "prod", **OWNER_TAGS}, "vpc"))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", TagSpecifications=tagged(
        {"team": "billing", "env": "prod", **OWNER_TAGS}, "subnet"))["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="hand-made", Description="made by hand", VpcId=vpc)["GroupId"]

    table = bp("inventory", "--region", REGION)
    assert table.returncode == 0, table.stderr
    listed = bp("inventory", "--region", REGION, "--format", "json", show=False)
    rows = {r["id"]: r for r in json.loads(listed.stdout)["resources"]}
    assert (rows[vpc]["ownership"], rows[vpc]["stack"]) == ("managed", "payments-prod")
    assert rows[subnet]["ownership"] == "orphaned" and rows[group]["ownership"] == "unowned"

    checked = bp("preflight", "payments-prod")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "FAIL" not in checked.stdout and f"pass  transit gateway {hub}: state available" in checked.stdout
    assert "pass  kms alias alias/acme-pulumi-state-secrets" in checked.stdout

    transcript_text = "\n".join(transcript)
    assert "testing-secret-not-real" not in transcript_text
    print("\n" + transcript_text)
