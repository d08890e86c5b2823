"""The audit end to end: blueprints secure by default, an insecure program's exact findings, both transports equal,
unknown values reported as undecided, and policy config as the engine applies it."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from audit.run import Auditor, audit_stacks
from blueprints.errors import BadInput
from blueprints.sites import load_sites
from engine import run
from store import stack_files
from tests.policy.insecure_program import EXPECTED, program
from tests.policy.support import capture, res
from tests.policy.test_policies import RDS_OK

EXEMPT_INSECURE = """\
exemptions:
  - policy: aws-s3-bucket-versioning
    stack: insecure-dev
    resource: open-bucket
    reason: A scratch bucket whose objects are rebuilt nightly
    approver: ciso@example.com
    ticket: RISK-9
    expires: 2099-12-31
  - policy: cloudblueprints-secrets-input-plaintext
    stack: insecure-dev
    resource: "*"
    reason: A throwaway database until the secret store is reachable from this account
    approver: ciso@example.com
    ticket: RISK-10
    expires: 2099-12-31
"""


def test_every_blueprint_on_every_target_has_no_mandatory_violation(fleet_report):
    assert len(fleet_report.results) == 8
    for result in fleet_report.results:
        assert result.error is None, result.error
        assert result.resources > 10, result.stack
        assert not result.blocking, [(f.policy, f.urn, f.message) for f in result.blocking]
        assert not [f for f in result.findings if f.status == "undecided"], result.stack


def test_insecure_program_fails_with_exactly_the_expected_findings(auditor):
    result = auditor.audit(run(program, stack="insecure-dev"))
    got = {(f.policy, f.resource_name) for f in result.findings if f.status == "violation"}
    assert got == EXPECTED, f"unexpected {sorted(got - EXPECTED)}, missing {sorted(EXPECTED - got)}"
    urns = {f.urn for f in result.findings}
    assert all(u.startswith("urn:pulumi:insecure-dev::cloud-blueprints::") for u in urns), urns
    assert "Sup3rSecretLiteral" not in str([f.message for f in result.findings])


def test_grpc_and_in_process_give_identical_results_on_every_blueprint_and_target(stamped_repo, no_exemptions, fleet_report):
    resolved = stack_files.read_all(stamped_repo)
    with Auditor(exemptions_file=no_exemptions, in_process=True) as direct:
        shortcut = list(audit_stacks(stamped_repo, resolved, load_sites(), direct))
        insecure_direct = direct.audit(run(program, stack="insecure-dev"))
    by_stack = {r.stack: r for r in fleet_report.results}
    assert {r.stack for r in shortcut} == set(by_stack) and len(shortcut) == 8
    for r in shortcut:
        assert r.findings == by_stack[r.stack].findings, r.stack
        assert sorted(r.not_applicable) == sorted(by_stack[r.stack].not_applicable), r.stack
    assert {(f.policy, f.resource_name) for f in insecure_direct.findings if f.status == "violation"} == EXPECTED


def test_grpc_and_in_process_agree_on_violations_unknowns_exemptions_and_levels(tmp_path):
    exemptions = tmp_path / "exemptions.yaml"
    exemptions.write_text(EXEMPT_INSECURE)
    config = {"aws-kms-key-rotation": "mandatory", "aws-rds-instance-backup-retention": {"minimumDays": 30}}
    db = res("aws:rds/instance:Instance", "db", {**RDS_OK, "publiclyAccessible": UNKNOWN_STRING_VALUE})
    stacks = [run(program, stack="insecure-dev"), capture(db, res("aws:kms/key:Key", "k", {"enableKeyRotation": False}))]
    expected = [{"violation", "exempt"}, {"violation", "undecided"}]
    with Auditor(config=config, exemptions_file=exemptions) as grpc, \
            Auditor(config=config, exemptions_file=exemptions, in_process=True) as direct:
        for stack, statuses in zip(stacks, expected):
            over_grpc, here = grpc.audit(stack), direct.audit(stack)
            assert {f.status for f in here.findings} == statuses, stack.stack
            assert here.findings == over_grpc.findings and here.not_applicable == over_grpc.not_applicable, stack.stack
    assert ("aws-kms-key-rotation", "mandatory") in {(f.policy, f.enforcement) for f in here.findings}


def test_unknown_value_is_reported_undecided_not_passed(auditor):
    db = res("aws:rds/instance:Instance", "db", {**RDS_OK, "publiclyAccessible": UNKNOWN_STRING_VALUE})
    result = auditor.audit(capture(db))
    undecided = [f for f in result.findings if f.policy == "aws-rds-instance-not-public"]
    assert [(f.status, f.enforcement) for f in undecided] == [("undecided", "advisory")], db.urn
    assert "publiclyAccessible" in undecided[0].message


def test_stack_policy_sees_outputs_and_prod_only_policy_is_not_applicable_in_dev(auditor):
    db = res("aws:rds/instance:Instance", "db", {**RDS_OK, "tags": {**RDS_OK["tags"], "env": "dev"}, "multiAz": False})
    result = auditor.audit(capture(db, stack="shop-dev"))
    assert not [f for f in result.findings if f.policy == "aws-rds-instance-multi-az"], db.urn
    assert ("aws-rds-instance-multi-az", db.urn, "not a prod database") in result.not_applicable


def _aws(config):
    return Auditor(packs=["aws"], config=config, in_process=True)


def test_policy_config_tunes_settings_and_levels():
    db = res("aws:rds/instance:Instance", "db", RDS_OK)
    key = res("aws:kms/key:Key", "k", {"enableKeyRotation": False})
    with _aws({"aws-rds-instance-backup-retention": {"minimumDays": 30}, "aws-kms-key-rotation": "mandatory"}) as a:
        found = {(f.policy, f.enforcement) for f in a.audit(capture(db, key)).findings}
    assert ("aws-rds-instance-backup-retention", "advisory") in found, db.urn
    assert ("aws-kms-key-rotation", "mandatory") in found, key.urn
    with _aws({"all": "disabled"}) as a:
        assert a.audit(capture(db, key)).findings == []


@pytest.mark.parametrize("config, message", [
    ({"no-such-policy": "mandatory"}, "no policy no-such-policy"),
    ({"aws-kms-key-rotation": "sometimes"}, "enforcementLevel 'sometimes'"),
    ({"aws-rds-instance-backup-retention": {"minimumDays": "seven"}}, "minimumDays"),
    ({"aws-rds-instance-backup-retention": {"days": 3}}, "unknown setting(s) days"),
])
def test_bad_policy_config_is_bad_input(config, message):
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        _aws(config)


def test_a_killed_audit_leaves_no_pack_running():
    import os
    import signal
    import subprocess
    import sys
    import time

    code = "from audit.run import Auditor; a = Auditor(packs=['vsphere']); print('up', flush=True); import time; time.sleep(120)"
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert parent.stdout.readline().strip() == b"up"
    packs = subprocess.run(["pgrep", "-P", str(parent.pid)], capture_output=True, text=True).stdout.split()
    assert packs, "the auditor started no pack"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in packs):
        time.sleep(0.2)
    assert not [p for p in packs if os.path.exists(f"/proc/{p}")], packs
