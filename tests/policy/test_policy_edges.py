"""The edges of each policy's decision that the near-miss tables do not reach: values of a provider enum that sort on
either side of the compliant one, settings at their schema's bounds, and what a finding says (the figure a reviewer
acts on). Evaluated in process, like tests/policy/test_near_misses.py."""

from __future__ import annotations

import pytest

from audit.run import Auditor
from blueprints.errors import BadInput
from tests.policy.support import capture, res
from tests.policy.test_policies import MSK_OK, RDS_OK, REDIS_OK, merged

RDS = "aws:rds/instance:Instance"
MSK = "aws:msk/cluster:Cluster"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"


def _msk(**changes):
    return res(MSK, "k", merged(MSK_OK, **changes))


def _transit(client_broker: str) -> dict:
    return {"encryptionAtRestKmsKeyArn": "arn:key", "encryptionInTransit": {"clientBroker": client_broker, "inCluster": True}}


def _public(access_type: str) -> dict:
    return {"connectivityInfo": {"publicAccess": {"type": access_type}}}


# policy -> [(why it might pass, resource, the message it must give)]
MUST_FAIL = {
    "aws-msk-cluster-encryption": [
        # The MSK API's ClientBroker values are TLS, TLS_PLAINTEXT and PLAINTEXT: one sorts after TLS, one before.
        ("plaintext only", _msk(encryptionInfo=_transit("PLAINTEXT")), "clientBroker is 'PLAINTEXT', not TLS"),
        ("TLS and plaintext", _msk(encryptionInfo=_transit("TLS_PLAINTEXT")), "clientBroker is 'TLS_PLAINTEXT', not TLS"),
    ],
    "aws-msk-cluster-private-authenticated": [
        ("public brokers that still require IAM", _msk(brokerNodeGroupInfo=_public("SERVICE_PROVIDED_EIPS")),
         "broker public access is SERVICE_PROVIDED_EIPS"),
    ],
    "aws-rds-instance-backup-retention": [
        ("no retention set at all", res(RDS, "db", {k: v for k, v in RDS_OK.items() if k != "backupRetentionPeriod"}),
         "backupRetentionPeriod is 0, below 7 days"),
        ("one day short of the minimum", res(RDS, "db", merged(RDS_OK, backupRetentionPeriod=6)),
         "backupRetentionPeriod is 6, below 7 days"),
    ],
}

# policy -> [(why it might fail, resource)]
MUST_PASS = {
    "aws-elasticache-replicationgroup-transit-auth": [
        # ElastiCache creates a group with transit encryption in mode `required` unless told `preferred`.
        ("transit encryption on, the mode left to its default",
         res(REDIS, "r", {k: v for k, v in REDIS_OK.items() if k != "transitEncryptionMode"})),
    ],
    "aws-msk-cluster-private-authenticated": [
        ("public access stated as disabled", _msk(brokerNodeGroupInfo=_public("DISABLED"))),
        ("no connectivity settings: private by default", _msk(brokerNodeGroupInfo={})),
    ],
    "aws-rds-instance-backup-retention": [
        ("exactly the minimum", res(RDS, "db", merged(RDS_OK, backupRetentionPeriod=7))),
    ],
}


@pytest.fixture(scope="module")
def auditor(no_exemptions):
    with Auditor(exemptions_file=no_exemptions, in_process=True) as running:
        yield running


def _violations(auditor, policy: str, resource) -> list[str]:
    assert policy in auditor.policies, policy
    return [f.message for f in auditor.audit(capture(resource)).findings if f.policy == policy and f.status == "violation"]


@pytest.mark.parametrize(("policy", "resource", "message"), [
    pytest.param(policy, resource, message, id=f"{policy}: {label}")
    for policy, cases in MUST_FAIL.items() for label, resource, message in cases])
def test_an_edge_case_is_a_violation_that_says_why(auditor, policy, resource, message):
    found = _violations(auditor, policy, resource)
    assert any(message in m for m in found), (resource.urn, found)


@pytest.mark.parametrize(("policy", "resource"), [
    pytest.param(policy, resource, id=f"{policy}: {label}") for policy, cases in MUST_PASS.items() for label, resource in cases])
def test_an_edge_case_inside_the_rule_passes(auditor, policy, resource):
    assert _violations(auditor, policy, resource) == []


# --- settings at their schema's bounds -----------------------------------------------------------------------------

SETTINGS = [("aws-rds-instance-backup-retention", "minimumDays")]


@pytest.mark.parametrize(("policy", "setting"), SETTINGS)
def test_a_setting_of_one_is_the_smallest_accepted(no_exemptions, policy, setting):
    with Auditor(packs=[policy.split("-")[0]], config={policy: {setting: 1}}, exemptions_file=no_exemptions,
                 in_process=True):
        pass
    with pytest.raises(BadInput, match=rf"{policy}\.{setting}: 0 is less than the minimum of 1"):
        Auditor(packs=[policy.split("-")[0]], config={policy: {setting: 0}}, exemptions_file=no_exemptions,
                in_process=True)


def test_an_unset_retention_fails_even_the_smallest_minimum(no_exemptions):
    unset = res(RDS, "db", {k: v for k, v in RDS_OK.items() if k != "backupRetentionPeriod"})
    policy = "aws-rds-instance-backup-retention"
    with Auditor(packs=["aws"], config={policy: {"minimumDays": 1}}, exemptions_file=no_exemptions,
                 in_process=True) as one_day:
        assert _violations(one_day, policy, unset) == ["backupRetentionPeriod is 0, below 1 days"]
        assert _violations(one_day, policy, res(RDS, "db", merged(RDS_OK, backupRetentionPeriod=1))) == []
