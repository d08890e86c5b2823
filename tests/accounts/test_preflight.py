"""`bp preflight` against moto: an account ready for payments-prod passes every check; one that is not
fails the checks that matter, one line each; a vSphere stack is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from moto_support import DEPLOY_ROLE, HUB_ACCOUNT, HUB_SCOPE, REGION, SCOPE, TARGET_ACCOUNT, session_in

from blueprints import yaml_io
from blueprints.sites import DEMO_SITES

pytestmark = pytest.mark.usefixtures("mocked")

NEW = ["new", "payments", "--blueprint", "web-service", "--env", "prod", "--region", "amer",
       "--owner", "lead@example.com", "--cost-center", "CC-1"]
DEMO_HUB = "tgw-0000e2368a6fb5db1"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})


def ready_account() -> str:
    """The stack's and the hub's accounts as the platform sets them up: deploy roles, and the hub (made in the
    stack's account, where a RAM share would show it); the hub's id."""
    for account in (TARGET_ACCOUNT, HUB_ACCOUNT):
        session_in(account).client("iam").create_role(RoleName=DEPLOY_ROLE, AssumeRolePolicyDocument=TRUST)
    ec2 = session_in(TARGET_ACCOUNT).client("ec2")
    return ec2.create_transit_gateway(Description="us-east-1 hub")["TransitGateway"]["TransitGatewayId"]


def sites_with_hub(tmp_path: Path, hub: str) -> Path:
    """The demo fleet with us-east-1's hub replaced by one that exists in moto."""
    path = tmp_path / "sites.yaml"
    path.write_text(DEMO_SITES.read_text().replace(DEMO_HUB, hub))
    return path


def checks(result) -> dict[str, dict]:
    return {f"{c['scope']} {c['name']}".strip(): c for c in json.loads(result.stdout)["checks"]}


def test_a_ready_account_passes_every_check(cli, tmp_path):
    sites = ("--sites", str(sites_with_hub(tmp_path, ready_account())))
    assert cli(*NEW, options=sites).exit_code == 0
    result = cli("preflight", "payments-prod", "--json", options=sites)
    assert result.exit_code == 0, result.output
    found = checks(result)
    assert all(c["ok"] for c in found.values()), found
    deploy_arn = f"arn:aws:iam::{TARGET_ACCOUNT}:role/{DEPLOY_ROLE}"
    assert {f"{SCOPE} region {REGION}", f"{SCOPE} assume {deploy_arn}", f"{SCOPE} account", f"{SCOPE} iam role {DEPLOY_ROLE}",
            f"{SCOPE} VPCs per region", f"{SCOPE} Elastic IPs", "sites map hub of us-east-1",
            f"{HUB_SCOPE} iam role {DEPLOY_ROLE}"} <= set(found)
    assert found[f"{SCOPE} account"]["detail"] == TARGET_ACCOUNT, "checks run in the stack's account, through the deploy role"
    assert found[f"{HUB_SCOPE} account"]["detail"] == HUB_ACCOUNT, "and in the hub's account, through its deploy role"
    for zone, zone_id in (("us-east-1a", "use1-az6"), ("us-east-1b", "use1-az1"), ("us-east-1c", "use1-az2")):
        assert found[f"{SCOPE} availability zone {zone}"] == {"scope": SCOPE, "name": f"availability zone {zone}",
                                                             "ok": True, "detail": f"available, {zone_id}"}
    assert "Service Quotas vpc/L-F678F1CE" in found[f"{SCOPE} VPCs per region"]["detail"]
    eips = found[f"{SCOPE} Elastic IPs"]["detail"]
    assert "3 needed" in eips, "a prod stack has one NAT gateway, so one EIP, per zone"
    assert "EC2 account attribute vpc-max-elastic-ips" in eips

    human = cli("preflight", "payments-prod", options=sites)
    lines = human.output.strip().splitlines()
    assert all(line.startswith("pass  ") for line in lines[:-1]) and lines[-1] == f"{len(found)} of {len(found)} checks passed"


def test_a_missing_hub_role_and_exhausted_eip_quota_fail_one_line_each(cli):
    session_in(TARGET_ACCOUNT)  # the account exists, but nothing the stack needs is in it
    ec2 = session_in(TARGET_ACCOUNT).client("ec2")
    for _ in range(3):
        ec2.allocate_address(Domain="vpc")
    assert cli(*NEW).exit_code == 0
    result = cli("preflight", "payments-prod", "--json")
    assert result.exit_code == 1, result.output
    failed = {name: c["detail"] for name, c in checks(result).items() if not c["ok"]}
    assert failed == {
        f"{SCOPE} transit gateway {DEMO_HUB}": "not found in the account (the hub of the sites map)",
        f"{SCOPE} iam role {DEPLOY_ROLE}": f"arn:aws:iam::{TARGET_ACCOUNT}:role/{DEPLOY_ROLE} does not exist",
        f"{SCOPE} Elastic IPs": "3 used + 3 needed of 5 (EC2 account attribute vpc-max-elastic-ips)",
        f"{HUB_SCOPE} iam role {DEPLOY_ROLE}": f"arn:aws:iam::{HUB_ACCOUNT}:role/{DEPLOY_ROLE} does not exist",
    }
    human = cli("preflight", "payments-prod")
    assert human.exit_code == 1
    assert f"FAIL  {SCOPE} transit gateway {DEMO_HUB}: not found" in human.output


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
        "scope": "", "name": "kms alias alias/acme-state-secrets", "ok": False,
        "detail": "not found (the stack's secrets provider)"}

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
    assert f"FAIL  {TARGET_ACCOUNT}/ap-east-1 region ap-east-1: opt-in status not-opted-in" in lines
    assert not any("assume" in line for line in lines), "nothing is checked in a region the account cannot use"


def test_a_vsphere_stack_is_bad_input(cli):
    assert cli(*NEW[:-6], "--target", "vsphere", *NEW[-6:]).exit_code == 0
    result = cli("preflight", "payments-prod")
    assert result.exit_code == 2
    assert result.output.strip() == "error: stack payments-prod targets vsphere; preflight checks AWS accounts only"


def test_an_unknown_stack_is_bad_input(cli):
    result = cli("preflight", "nobody-prod")
    assert result.exit_code == 2 and "no stack 'nobody-prod'" in result.output


def test_a_zone_whose_id_differs_from_the_sites_map_fails_one_line(cli, tmp_path):
    """The sites map says us-east-1a is use1-az4; in this account (moto's) the name points at use1-az6."""
    path = sites_with_hub(tmp_path, ready_account())
    path.write_text(path.read_text().replace("{name: us-east-1a, id: use1-az6}", "{name: us-east-1a, id: use1-az4}"))
    sites = ("--sites", str(path))
    assert cli(*NEW, options=sites).exit_code == 0
    result = cli("preflight", "payments-prod", "--json", options=sites)
    assert result.exit_code == 1, result.output
    failed = {name: c["detail"] for name, c in checks(result).items() if not c["ok"]}
    assert failed == {f"{SCOPE} availability zone us-east-1a": "zone ID use1-az6 in this account, the sites map says "
                      "use1-az4: the name points at another physical zone"}, failed
