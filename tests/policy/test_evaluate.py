"""The in-process evaluation's verdict cache: a resource that reads the same to a policy is judged once, across
stacks; whatever a policy reads (URN, provider, exemptions) keeps verdicts apart; only digests and verdicts are kept."""

from __future__ import annotations

import pytest

from audit.run import Auditor
from policy_packs import evaluate
from tests.policy.support import capture, res
from tests.policy.test_policies import RDS_OK

EXEMPT_DB_IN_A = """\
exemptions:
  - policy: aws-rds-instance-not-public
    stack: a-dev
    resource: db
    reason: A demo database behind the lab's own firewall
    approver: ciso@example.com
    ticket: RISK-11
    expires: 2099-12-31
"""


@pytest.fixture
def cache(monkeypatch) -> evaluate.VerdictCache:
    fresh = evaluate.VerdictCache()
    monkeypatch.setattr(evaluate, "CACHE", fresh)
    return fresh


def _auditor(packs, exemptions=None) -> Auditor:
    return Auditor(packs=packs, exemptions_file=exemptions, in_process=True)


def _same_db(stack: str, **changes):
    return capture(res("aws:rds/instance:Instance", "db", {**RDS_OK, **changes}, stack=stack), stack=stack)


def test_an_identical_resource_in_another_stack_is_judged_from_the_cache(cache, no_exemptions):
    with _auditor(["aws"], no_exemptions) as auditor:
        first = auditor.audit(_same_db("a-dev", publiclyAccessible=True))
        misses = cache.misses
        second = auditor.audit(_same_db("b-dev", publiclyAccessible=True))
    assert cache.hits > 0 and cache.misses - misses < misses, (cache.hits, cache.misses)
    assert [(f.policy, f.message) for f in first.findings] == [(f.policy, f.message) for f in second.findings]
    assert {f.urn.split("::")[0] for f in second.findings} == {"urn:pulumi:b-dev"}


def test_a_changed_property_is_judged_again(cache, no_exemptions):
    with _auditor(["aws"], no_exemptions) as auditor:
        open_db = auditor.audit(_same_db("a-dev", publiclyAccessible=True))
        closed_db = auditor.audit(_same_db("b-dev", publiclyAccessible=False))
    assert "aws-rds-instance-not-public" in {f.policy for f in open_db.findings}
    assert "aws-rds-instance-not-public" not in {f.policy for f in closed_db.findings}


def test_a_policy_that_reads_the_provider_is_not_answered_for_another_stack(cache, no_exemptions):
    def logs(stack):  # the default provider's URN names the stack, and the policy's message quotes it
        return capture(res("aws:cloudwatch/logGroup:LogGroup", "logs", {"retentionInDays": 365}, provider=None,
                           stack=stack), stack=stack)

    with _auditor(["baseline"], no_exemptions) as auditor:
        for stack in ("a-dev", "b-dev"):
            found = [f for f in auditor.audit(logs(stack)).findings if f.policy == "pulumi-providers-resource-explicit"]
            assert len(found) == 1 and f"urn:pulumi:{stack}::" in found[0].message, found


def test_an_exemption_for_one_stack_does_not_exempt_the_same_resource_in_another(cache, tmp_path):
    exemptions = tmp_path / "exemptions.yaml"
    exemptions.write_text(EXEMPT_DB_IN_A)
    with _auditor(["aws"], exemptions) as auditor:
        statuses = {stack: {f.status for f in auditor.audit(_same_db(stack, publiclyAccessible=True)).findings
                            if f.policy == "aws-rds-instance-not-public"} for stack in ("a-dev", "b-dev")}
    assert statuses == {"a-dev": {"exempt"}, "b-dev": {"violation"}}


def test_the_cache_keeps_digests_and_verdicts_never_a_value(cache, no_exemptions):
    literal = "Sup3rSecretLiteral-91"
    with _auditor(["aws", "baseline"], no_exemptions) as auditor:
        auditor.audit(_same_db("a-dev", password=literal, publiclyAccessible=True))
    kept = repr(cache._verdicts) + repr(cache._shapes)
    assert cache._verdicts and literal not in kept
    assert all(isinstance(k, bytes) and len(k) == 20 for k in cache._verdicts)


def test_a_policy_that_raises_names_itself_and_the_resource(monkeypatch, no_exemptions):
    with _auditor(["aws"], no_exemptions) as auditor:
        pack = auditor.analyzers["aws"]
        policy = next(p for p in pack.policies if p.name == "aws-rds-instance-not-public")
        monkeypatch.setattr(policy, "validate", lambda args, report: 1 / 0)
        pack.cache = None
        with pytest.raises(evaluate.PolicyError, match="policy aws-rds-instance-not-public failed on urn:pulumi:a-dev::"):
            auditor.audit(_same_db("a-dev"))


def test_the_plain_tables_are_the_protocols_numbers():
    from pulumi.runtime.proto import analyzer_pb2 as pb

    from policy_packs import meta

    assert meta.LEVELS == {pb.ADVISORY: "advisory", pb.MANDATORY: "mandatory", pb.REMEDIATE: "remediate",
                           pb.DISABLED: "disabled"}
    assert meta.SEVERITIES == {pb.POLICY_SEVERITY_UNSPECIFIED: "unspecified", pb.POLICY_SEVERITY_LOW: "low",
                               pb.POLICY_SEVERITY_MEDIUM: "medium", pb.POLICY_SEVERITY_HIGH: "high",
                               pb.POLICY_SEVERITY_CRITICAL: "critical"}
    assert meta.STACK_POLICY == pb.POLICY_TYPE_STACK
