"""`bp preflight` against moto: an account ready for payments-prod passes every check; one that is not
fails the checks that matter, one line each; a vSphere stack is refused."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto_support import DEPLOY_ROLE, REGION, TARGET_ACCOUNT, session_in

from accounts.preflight import hub_drift
from blueprints import yaml_io
from blueprints.catalog import Catalog
from blueprints.models import BlueprintRequest
from blueprints.sites import DEMO_SITES, load_sites
from blueprints.stamp import resolve

pytestmark = pytest.mark.usefixtures("mocked")

NEW = ["new", "payments", "--blueprint", "web-service", "--env", "prod", "--region", "amer",
       "--owner", "lead@example.com", "--cost-center", "CC-1"]
DEMO_HUB = "tgw-0000e2368a6fb5db1"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})


HUB_ACCOUNT = next(hub.account_id for dc, hub in load_sites().hubs() if dc.name == REGION)


def ready_hub_account() -> None:
    """The hub's account, where team attachments are accepted and routed: the deploy role exists there."""
    session_in(HUB_ACCOUNT).client("iam").create_role(RoleName=DEPLOY_ROLE, AssumeRolePolicyDocument=TRUST)


def ready_account() -> str:
    """The target account with its hub and deploy role, as the platform sets it up; the hub's id."""
    ready_hub_account()
    target = session_in(TARGET_ACCOUNT)
    target.client("iam").create_role(RoleName=DEPLOY_ROLE, AssumeRolePolicyDocument=TRUST)
    return target.client("ec2").create_transit_gateway(Description="us-east-1 hub")["TransitGateway"]["TransitGatewayId"]


def sites_with_hub(tmp_path: Path, hub: str) -> Path:
    """The demo fleet with us-east-1's hub replaced by one that exists in moto."""
    path = tmp_path / "sites.yaml"
    path.write_text(DEMO_SITES.read_text().replace(DEMO_HUB, hub))
    return path


def checks(result) -> dict[str, dict]:
    """Checks by name; the stack's own account comes first, the hub's account (attachment routing) after it."""
    found: dict[str, dict] = {}
    for c in json.loads(result.stdout)["checks"]:
        found.setdefault(c["name"], c)
    return found


def test_a_ready_account_passes_every_check(cli, tmp_path):
    sites = ("--sites", str(sites_with_hub(tmp_path, ready_account())))
    assert cli(*NEW, options=sites).exit_code == 0
    result = cli("preflight", "payments-prod", "--json", options=sites)
    assert result.exit_code == 0, result.output
    found = checks(result)
    assert all(c["ok"] for c in found.values()), found
    deploy_arn = f"arn:aws:iam::{TARGET_ACCOUNT}:role/{DEPLOY_ROLE}"
    assert {f"region {REGION}", f"assume {deploy_arn}", "account", f"iam role {DEPLOY_ROLE}",
            "VPCs per region", "Elastic IPs", "sites map hub of us-east-1"} <= set(found)
    assert found["account"]["detail"] == TARGET_ACCOUNT, "checks run in the stack's account, through the deploy role"
    assert found["availability zones us-east-1a, us-east-1b, us-east-1c"]["ok"]
    assert "Service Quotas vpc/L-F678F1CE" in found["VPCs per region"]["detail"]
    assert "3 needed" in found["Elastic IPs"]["detail"], "a prod stack has one NAT gateway, so one EIP, per zone"
    assert "EC2 account attribute vpc-max-elastic-ips" in found["Elastic IPs"]["detail"]

    human = cli("preflight", "payments-prod", options=sites)
    lines = human.output.strip().splitlines()
    total = len(json.loads(result.stdout)["checks"])
    assert all(line.startswith("pass  ") for line in lines[:-1]) and lines[-1] == f"{total} of {total} checks passed"


def test_a_missing_hub_role_and_exhausted_eip_quota_fail_one_line_each(cli):
    ready_hub_account()
    session_in(TARGET_ACCOUNT)  # the account exists, but nothing the stack needs is in it
    ec2 = session_in(TARGET_ACCOUNT).client("ec2")
    for _ in range(3):
        ec2.allocate_address(Domain="vpc")
    assert cli(*NEW).exit_code == 0
    result = cli("preflight", "payments-prod", "--json")
    assert result.exit_code == 1, result.output
    failed = {name: c["detail"] for name, c in checks(result).items() if not c["ok"]}
    assert failed == {
        f"transit gateway {DEMO_HUB}": "not found in the account (the hub of the sites map)",
        f"iam role {DEPLOY_ROLE}": f"arn:aws:iam::{TARGET_ACCOUNT}:role/{DEPLOY_ROLE} does not exist",
        "Elastic IPs": "3 used + 3 needed of 5 (EC2 account attribute vpc-max-elastic-ips)",
    }
    human = cli("preflight", "payments-prod")
    assert human.exit_code == 1
    assert f"FAIL  transit gateway {DEMO_HUB}: not found" in human.output


def test_the_stack_secrets_provider_key_must_exist(cli, repo, tmp_path):
    sites = ("--sites", str(sites_with_hub(tmp_path, ready_account())))
    assert cli(*NEW, options=sites).exit_code == 0
    stack_file = repo / "stacks" / "Pulumi.payments-prod.yaml"
    # What `pulumi stack init --secrets-provider ...` adds to the stack file.
    stack_file.write_text(stack_file.read_text() + f"secretsprovider: awskms://alias/acme-state-secrets?region={REGION}\n")
    assert yaml_io.load(stack_file)["secretsprovider"].startswith("awskms://")

    missing = cli("preflight", "payments-prod", "--json", options=sites)
    assert missing.exit_code == 1
    assert checks(missing)["kms alias alias/acme-state-secrets"] == {
        "name": "kms alias alias/acme-state-secrets", "ok": False, "detail": "not found (the stack's secrets provider)"}

    assert cli("backend", "bootstrap", "--region", REGION, "--bucket", "acme-state").exit_code == 0
    assert cli("preflight", "payments-prod", options=sites).exit_code == 0


def test_a_region_not_enabled_for_the_account_fails_and_stops_its_checks(cli, tmp_path):
    # ap-east-1 is an opt-in region; moto's accounts have not opted in.
    text = DEMO_SITES.read_text().replace("us-east-1", "ap-east-1")
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(text)
    sites = ("--sites", str(sites_file))
    assert cli(*NEW, options=sites).exit_code == 0
    result = cli("preflight", "payments-prod", options=sites)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "FAIL  region ap-east-1: opt-in status not-opted-in" in lines
    assert not any("assume" in line for line in lines), "nothing is checked in a region the account cannot use"


def test_a_vsphere_stack_is_bad_input(cli):
    assert cli(*NEW[:-6], "--target", "vsphere", *NEW[-6:]).exit_code == 0
    result = cli("preflight", "payments-prod")
    assert result.exit_code == 2
    assert result.output.strip() == "error: stack payments-prod targets vsphere; preflight checks AWS accounts only"


def test_an_unknown_stack_is_bad_input(cli):
    result = cli("preflight", "nobody-prod")
    assert result.exit_code == 2 and "no stack 'nobody-prod'" in result.output


def test_a_hub_changed_in_the_sites_map_since_stamping_fails(tmp_path):
    """The stack file keeps the hub it was stamped with; preflight compares it with today's sites map."""
    request = BlueprintRequest(team="payments", env="prod", blueprint="web-service", region="amer",
                               owner="lead@example.com", cost_center="CC-1")
    stamped = resolve(request, Catalog(), load_sites())
    assert [(c.ok, c.detail) for c in hub_drift(stamped, load_sites())] == [(True, DEMO_HUB)]
    moved = load_sites(sites_with_hub(tmp_path, "tgw-0123456789abcdef0"))
    (check,) = hub_drift(stamped, moved)
    assert (check.name, check.ok) == ("sites map hub of us-east-1", False)
    assert check.detail == f"the stack has {DEMO_HUB}, the sites map tgw-0123456789abcdef0: re-stamp it"
