"""The AWS components' shared security settings at their edges: every spelling of "the whole internet" refused, a key
policy that admits CloudWatch Logs only when asked and only this account's log groups, keys that rotate yearly and
wait longer before deletion in prod, log retention that takes the longer of the tier's and the zone's, and one
ingress rule per client on the one port."""

from __future__ import annotations

import json

import pulumi
import pytest
from aws_support import TAGS, policy, run

from components.aws._common import (
    Account,
    DataTierAccess,
    assume_role_policy,
    clients_only,
    key_policy,
    kms_key,
    log_group,
    require_private_cidrs,
)

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0", "10.0.0.0/0", "2001:db8::/0"])
def test_every_spelling_of_the_whole_internet_is_refused(cidr):
    with pytest.raises(ValueError, match=f"clients: {cidr} would open the resource to the whole internet"):
        require_private_cidrs(["10.0.0.0/8", cidr], "clients")


@pytest.mark.parametrize("cidrs", [["0.0.0.0/1", "128.0.0.0/1"], ["::/1", "8000::/1"],
                                   ["10.0.0.0/8", "0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"]])
def test_ranges_that_together_are_the_whole_internet_are_refused(cidrs):
    with pytest.raises(ValueError, match="clients: .* together open the resource to the whole internet"):
        require_private_cidrs(cidrs, "clients")


def test_private_and_narrow_public_ranges_are_accepted_and_a_malformed_one_is_not():
    require_private_cidrs(["10.0.0.0/8", "0.0.0.0/1", "198.51.100.7/32", "fd00::/8", "::/1"], "clients")
    require_private_cidrs(iter(["0.0.0.0/1", "128.0.0.0/2"]), "clients")  # three quarters, read once
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 network"):
        require_private_cidrs(["10.0.0/33"], "clients")
    with pytest.raises(ValueError, match="DataTierAccess.allowed_cidrs: ::/0"):
        DataTierAccess(vpc_id="vpc-1", subnet_ids=["s"], prod=False, tags=TAGS, allowed_cidrs=["::/0"])


def test_a_key_policy_admits_the_account_and_cloudwatch_logs_only_when_asked():
    (root,) = policy(key_policy("111122223333", "aws", "eu-west-1", log_service=False, extra=()))
    assert root == {"Sid": "AccountAdministersKeyThroughIam", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}
    extra = {"Sid": "Extra", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/x"},
             "Action": "kms:Decrypt", "Resource": "*"}
    root, logs, granted = policy(key_policy("111122223333", "aws-cn", "cn-north-1", log_service=True, extra=(extra,)))
    assert root["Principal"] == {"AWS": "arn:aws-cn:iam::111122223333:root"} and granted == extra
    assert logs["Principal"] == {"Service": "logs.cn-north-1.amazonaws.com"} and "kms:*" not in logs["Action"]
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws-cn:logs:cn-north-1:111122223333:*"}}


def test_a_role_is_assumable_by_its_service_only():
    (statement,) = json.loads(assume_role_policy("eks.amazonaws.com"))["Statement"]
    assert statement == {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}


class _Holder(pulumi.ComponentResource):
    def __init__(self, prod: bool, zone_days: int):
        super().__init__("test:index:Holder", "holder")
        key = kms_key("data", description="d", account=Account.of(self), prod=prod, tags=TAGS, parent=self,
                      log_service=True)
        log_group("logs", log_group_name="/team/app", key=key, prod=prod, tags=TAGS, parent=self,
                  zone_retention_days=zone_days)
        access = DataTierAccess(vpc_id="vpc-1", subnet_ids=["s"], prod=prod, tags=TAGS,
                                allowed_security_group_ids=["sg-a", "sg-b"], allowed_cidrs=["10.1.0.0/16"])
        clients_only("db", access, 5432, "database clients", self)


@pytest.mark.parametrize(("prod", "zone_days", "window", "retention"), [
    (True, 0, 30, 365), (False, 0, 7, 90), (False, 400, 7, 400), (True, 400, 30, 400), (True, 100, 30, 365)])
def test_keys_rotate_yearly_and_logs_keep_the_longer_of_tier_and_zone(prod, zone_days, window, retention):
    cap = run(lambda: _Holder(prod, zone_days), stack="payments-prod" if prod else "payments-dev")
    key = cap.one("aws:kms/key:Key").inputs
    assert (key["enableKeyRotation"], key["rotationPeriodInDays"], key["deletionWindowInDays"]) == (True, 365, window)
    assert cap.one("aws:kms/alias:Alias").inputs["name"] == "alias/data"
    group = cap.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert group["retentionInDays"] == retention and group["kmsKeyId"] == cap.one("aws:kms/key:Key").outputs["arn"]


def test_each_client_gets_one_rule_on_the_one_port():
    cap = run(lambda: _Holder(False, 0))
    rules = sorted((r.inputs.get("referencedSecurityGroupId") or r.inputs["cidrIpv4"], r.inputs["ipProtocol"],
                    r.inputs["fromPort"], r.inputs["toPort"]) for r in cap.by_type(INGRESS))
    assert rules == [("10.1.0.0/16", "tcp", 5432, 5432), ("sg-a", "tcp", 5432, 5432), ("sg-b", "tcp", 5432, 5432)]
    assert not cap.one("aws:ec2/securityGroup:SecurityGroup").inputs.get("ingress")


class _KeyOnly(pulumi.ComponentResource):
    def __init__(self, extra: list[dict]):
        super().__init__("test:index:KeyOnly", "holder")
        kms_key("plain", description="d", account=Account.of(self), prod=False, tags=TAGS, parent=self,
                extra_statements=extra)


def test_a_key_admits_cloudwatch_logs_only_when_asked_and_each_extra_statement_once_in_order():
    extra = {"Sid": "Extra", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/x"},
             "Action": "kms:Decrypt", "Resource": "*"}
    cap = run(lambda: _KeyOnly([extra, {**extra, "Sid": "Second"}]))
    statements = policy(cap.one("aws:kms/key:Key").inputs["policy"])
    assert statements[1:] == [extra, {**extra, "Sid": "Second"}], statements
    assert "logs." not in json.dumps(statements), "CloudWatch Logs is admitted only with log_service=True"


def test_a_data_tiers_access_cannot_be_widened_after_its_checks():
    from dataclasses import FrozenInstanceError

    access = DataTierAccess(vpc_id="vpc-1", subnet_ids=["s"], prod=True, tags=TAGS, allowed_cidrs=["10.1.0.0/16"])
    with pytest.raises(FrozenInstanceError):
        access.allowed_cidrs = ["0.0.0.0/0"]
