"""Provider rules in the offline engine: every rule refuses what the provider refuses and accepts what it accepts,
limits come from botocore where AWS states them, the mocks never shorten a name, and `bp new`, `bp preview`,
`bp validate` and `bp fleet preview` speak them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.models import BlueprintRequest, DataServiceRequest
from blueprints.placement.resolve import ON_PREM_DATA_SERVICES, resolve
from blueprints.sites import load_sites
from blueprints.team_names import SHAPES, team_budget, team_problem
from engine.mocks import FleetMocks
from engine.provider_rules import autonaming, aws_model
from engine.provider_rules.checker import RuleChecker, judge, rules_for
from engine.provider_rules.model import Example
from engine.provider_rules.requests import check_request, tag_text_problem
from engine.provider_rules.table import RULES
from engine.runner import run_stack
from engine.stacks import context_for
from store.stack_files import config_of
from tests.conftest import ROOT, make_request


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_each_rule_accepts_its_good_value_and_refuses_its_bad_one(rule):
    good = rule.good.registration(rule.example_type, rule.prop)
    bad = rule.bad.registration(rule.example_type, rule.prop)
    assert judge(rule, good) is None, f"{rule.id} refuses {rule.good.value!r}: {judge(rule, good)}"
    assert judge(rule, bad), f"{rule.id} accepts {rule.bad.value!r}"


def test_every_rule_has_an_id_a_source_and_both_examples():
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids)), "rule ids are unique"
    for rule in RULES:
        assert rule.source and rule.good is not None and rule.bad is not None, rule.id
        assert rule.good != rule.bad, rule.id


def test_aws_limits_are_read_from_botocore_not_copied():
    role = aws_model.member("iam", "CreateRole", "RoleName")
    assert (role.max, role.source) == (64, "botocore iam CreateRole.RoleName")
    assert aws_model.member("iam", "CreateRole", "RoleName").refuses("r" * 65) == "longer than 64"
    logs = aws_model.tags("logs", "CreateLogGroup", "tags")
    assert logs.count.max == 50 and logs.value.refuses("r&d@example.com").endswith("(character '&')")


def _new(type_: str, name: str, inputs: dict):
    from pulumi.runtime import MockResourceArgs

    return FleetMocks().new_resource(MockResourceArgs(typ=type_, name=name, inputs=inputs, provider="", resource_id="",
                                                      custom=True))


def test_mocks_autoname_as_the_bridge_and_never_shorten():
    long_name = "t" * 26 + "-stage-postgres-monitoring-role"
    _, state = _new("aws:iam/role:Role", long_name, {})
    assert state["name"].startswith(long_name + "-") and len(state["name"]) == len(long_name) + 8
    found = RuleChecker().check("urn:x", "aws:iam/role:Role", "r", {}, state)
    assert {v.rule for v in found} == {"pulumi-autoname-name-64", "aws-iam-role-name"}, found
    autoname = next(v for v in found if v.rule == "pulumi-autoname-name-64")
    assert "plus 7 random chars is longer than maximum length 64" in autoname.reason
    _, given = _new("aws:iam/role:Role", long_name, {"name": "short"})
    assert given["name"] == "short"
    assert not RuleChecker().check("urn:x", "aws:iam/role:Role", "r", {"name": "short"}, given)
    _, group = _new("aws:rds/subnetGroup:SubnetGroup", "Team-Prod-Subnets", {})
    assert group["name"].startswith("team-prod-subnets-"), "RDS stores auto-names lower-cased"
    assert autonaming.AUTONAMED["aws:elasticache/replicationGroup:ReplicationGroup"].max_len == 40


def test_a_combination_rule_consults_earlier_registrations():
    checker = RuleChecker()
    checker.check("urn:a", "aws:ec2/subnet:Subnet", "subnet-a", {}, {"availabilityZone": "us-east-1a"})
    refused = checker.check("urn:g", "aws:rds/subnetGroup:SubnetGroup", "g", {"name": "g"},
                            {"name": "g", "subnetIds": ["subnet-a"]})
    assert [v.rule for v in refused] == ["aws-rds-subnet-group-zones"]
    checker.check("urn:b", "aws:ec2/subnet:Subnet", "subnet-b", {}, {"availabilityZone": "us-east-1b"})
    assert not checker.check("urn:h", "aws:rds/subnetGroup:SubnetGroup", "h", {"name": "h"},
                             {"name": "h", "subnetIds": ["subnet-a", "subnet-b"]})


# ---------------------------------------------------------------------------------- names that fit

SHAPE_EXAMPLES = {"starts-with-digit": ["7seas", "1a"], "double-hyphen": ["xn--pay", "a--b"],
                  "reserved-prefix": ["sg-pay", "sthree-pay", "amzn-s3-demo-pay"]}


@pytest.mark.parametrize("shape", [s for s, _ in SHAPES], ids=lambda s: s.refuses)
def test_each_team_shape_refused_stands_for_the_rules_it_names(shape):
    by_id = {rule.id: rule for rule in RULES}
    for team in SHAPE_EXAMPLES[shape.refuses]:
        assert team_problem(team), f"bp new accepts team {team!r}"
    for rule_id in shape.rules:
        rule = by_id[rule_id]
        refusing = [team for team in SHAPE_EXAMPLES[shape.refuses]
                    if judge(rule, Example(rule.good.value.replace("payments", team)).registration(rule.example_type, rule.prop))]
        assert refusing, f"{rule_id} refuses none of {SHAPE_EXAMPLES[shape.refuses]}: the shape does not stand for it"


def test_the_team_length_budget_is_derived_and_tight():
    from engine.provider_rules.team_budget import _first_failure

    budget = team_budget()
    assert _first_failure("t" * budget.max_len) is None, f"a team of {budget.max_len} is refused somewhere"
    assert _first_failure("t" * (budget.max_len + 1)), f"a team of {budget.max_len + 1} fits everywhere: re-derive"
    assert team_problem("t" * budget.max_len) is None
    assert "at most" in team_problem("t" * (budget.max_len + 1))


@pytest.mark.parametrize("owner, char", [("o'brien@example.com", "'"), ("ops#1@example.com", "#"), ("r&d@example.com", "&")])
def test_owner_text_aws_tags_refuse_is_refused_naming_the_character(owner, char):
    request = make_request(owner=owner)
    problem = tag_text_problem(request, ("aws", "vsphere"))
    assert problem.startswith("owner:") and repr(char) in problem and "rule aws-iam-tags" in problem, problem
    assert tag_text_problem(request, ("vsphere",)) is None, "no AWS service sees the tag on vSphere-only blueprints"
    with pytest.raises(BadInput, match="owner"):
        check_request(request, ("aws",))


def test_ordinary_requests_pass():
    check_request(make_request(owner="first.last+ops@example.com"), ("aws", "vsphere"))


# ---------------------------------------------------------------------------------- the commands

NEW = ["new", "payments", "--blueprint", "web-service", "--env", "dev", "--region", "amer",
       "--owner", "lead@example.com", "--cost-center", "CC-1"]


@pytest.mark.parametrize("team, owner, words", [
    ("7seas", "lead@example.com", "must start with a letter"),
    ("a--b", "lead@example.com", "'--'"),
    ("sg-team", "lead@example.com", "sg-"),
    ("t" * 27, "lead@example.com", "at most"),
    ("payments", "r&d@example.com", "owner:"),
])
def test_bp_new_refuses_what_a_provider_would_refuse(bp, repo, team, owner, words):
    args = list(NEW)
    args[1], args[args.index("--owner") + 1] = team, owner
    result = bp(*args)
    assert result.exit_code == 2 and words in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not list((repo / "stacks").glob("Pulumi.*.yaml"))


def test_a_hand_edited_stack_that_breaks_a_rule_fails_validate_and_preview(bp, repo):
    assert bp(*NEW).exit_code == 0
    path = repo / "stacks" / "Pulumi.payments-dev.yaml"
    path.write_text(path.read_text().replace("owner: lead@example.com", "owner: o'brien@example.com"))
    result = bp("validate", "payments-dev")
    assert result.exit_code == 1, result.output
    assert "tags.owner=\"o'brien@example.com\"" in result.output and "rule aws-iam-tags" in result.output
    assert "source: botocore iam CreateRole.Tags" in result.output
    preview = bp("preview", "payments-dev")
    assert preview.exit_code == 1 and "rule aws-logs-tags" in preview.output
    fleet = bp("fleet", "preview", "--jobs", "1", "--no-cache")
    refused = [line for line in fleet.output.splitlines() if line.startswith("refused payments-dev: urn:pulumi:")]
    assert fleet.exit_code == 1 and any("rule aws-rds-tags" in line for line in refused), fleet.output


# ---------------------------------------------------------------------------------- the property

CATALOG, SITES = Catalog(), load_sites()
COMBOS = [(entry.ref, target, size) for entry in CATALOG.entries for target in entry.targets for size in ("S", "M", "L", "XL")]
REGION = {"aws": "amer", "vsphere": "emea"}


# Any label the request model takes, and long ones near the budget, where names first outgrow a provider's limit.
TEAMS = st.one_of(st.from_regex(r"[a-z0-9][a-z0-9-]{0,28}[a-z0-9]", fullmatch=True),
                  st.integers(20, 30).flatmap(lambda n: st.from_regex(rf"[a-z][a-z0-9]{{{n - 1}}}", fullmatch=True)))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(team=TEAMS,
       env=st.sampled_from(["dev", "test", "stage", "prod"]),
       owner=st.one_of(st.emails(), st.from_regex(r"[a-z][a-z0-9.+-]{0,20}@example\.com", fullmatch=True)),
       combo=st.sampled_from(COMBOS))
def test_whatever_bp_new_accepts_previews_with_no_rule_broken(team, env, owner, combo):
    ref, target, size = combo
    entry = CATALOG.get(ref)
    try:
        request = BlueprintRequest(
            team=team, env=env, blueprint=ref, target=target, region=REGION[target], size=size, owner=owner,
            cost_center="CC-4711",
            data_services=tuple(DataServiceRequest(kind=k, size=size) for k in entry.spec.data_services
                                if target == "aws" or k in ON_PREM_DATA_SERVICES))
        check_request(request, entry.targets)
        resolved = resolve(request, CATALOG, SITES)
    except (ValueError, BadInput):
        assume(False)  # bp new refuses it: nothing to preview
    capture = run_stack(ROOT / "stacks", resolved.stack, config_of(resolved), context_for(resolved, SITES))
    assert not capture.violations, "\n".join(v.line(resolved.stack) for v in capture.violations)


def test_rules_are_found_per_type_once():
    assert rules_for("aws:iam/role:Role") is rules_for("aws:iam/role:Role")
    assert {r.id for r in rules_for("aws:iam/role:Role")} >= {"aws-iam-role-name", "aws-iam-tags", "pulumi-autoname-name-64"}
