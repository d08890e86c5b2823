"""Preflight's checks, fast and in-process (no CLI, one offline run of the program for the whole file): what a
program needs is read from its capture, each need is checked in the account against moto, one line each, at its
edges (a quota exactly full, a zone the sites map names differently, a role of another account, a region the account
has not opted into), and a check that cannot mean anything stops the ones after it."""

from __future__ import annotations

import json
import shutil

import boto3
import pytest
from botocore.exceptions import ClientError
from moto_support import DEPLOY_ROLE, REGION, TARGET_ACCOUNT, session_in

from accounts import preflight as pf
from accounts.preflight import (
    Check,
    Needs,
    Report,
    check_provider,
    expected_zone_ids,
    hub_drift,
    needs_of,
    secrets_alias,
)
from blueprints.catalog import Catalog
from blueprints.placement.resolve import resolve
from blueprints.sites import DEMO_SITES, load_sites
from engine.captured import Capture, CapturedResource
from engine.stacks import preview
from tests.conftest import ROOT, make_request

DEMO_HUB = "tgw-0000e2368a6fb5db1"
MOTO_ACCOUNT = "123456789012"
DEPLOY_ARN = f"arn:aws:iam::{TARGET_ACCOUNT}:role/{DEPLOY_ROLE}"
PROVIDER = "urn:pulumi:payments-prod::cloud-blueprints::pulumi:providers:aws::main"


# --- what the program needs, from its capture ------------------------------------------------------------------------


def _resource(type_: str, name: str, inputs: dict, outputs: dict | None = None, provider: str | None = PROVIDER + "::id1"):
    return CapturedResource(urn=f"urn:pulumi:payments-prod::cloud-blueprints::{type_}::{name}", type=type_, name=name,
                            parent=None, custom=True, inputs=inputs, outputs=outputs or {}, protect=False,
                            dependencies=(), provider=provider, ignore_changes=(), delete_before_replace=False,
                            retain_on_delete=False)


def _provider(**inputs) -> CapturedResource:
    made = _resource("pulumi:providers:aws", "main", inputs, provider=None)
    return CapturedResource(**{**made.__dict__, "urn": PROVIDER})


def test_a_providers_region_accounts_and_deploy_role_are_read_from_its_json_inputs():
    (need,) = needs_of(Capture("payments-prod", [_provider(
        region="us-east-1", allowedAccountIds=json.dumps([TARGET_ACCOUNT]),
        assumeRoles=json.dumps([{"roleArn": DEPLOY_ARN}, {"roleArn": "arn:aws:iam::210000000002:role/second"}]))]))
    assert (need.region, need.accounts, need.deploy_role) == ("us-east-1", (TARGET_ACCOUNT,), DEPLOY_ARN)
    assert need.roles == {DEPLOY_ARN, "arn:aws:iam::210000000002:role/second"}
    (snake,) = needs_of(Capture("payments-prod", [_provider(region="eu-west-1", assumeRoles=[{"role_arn": DEPLOY_ARN}])]))
    assert (snake.deploy_role, snake.accounts) == (DEPLOY_ARN, ())
    (bare,) = needs_of(Capture("payments-prod", [_provider(region="eu-west-1")]))
    assert (bare.deploy_role, bare.roles, bare.accounts) == (None, set(), ())


def test_what_resources_reference_and_the_program_does_not_create_is_needed():
    made_role = "arn:aws:iam::210000000001:role/made-here"
    resources = [
        _provider(region="us-east-1"),
        _resource("aws:iam/role:Role", "made", {"name": "made-here"}, {"arn": made_role}),
        _resource("aws:kms/alias:Alias", "alias", {"name": "alias/made-here"}),
        _resource("aws:ec2transitgateway/transitGateway:TransitGateway", "tgw", {}, {"id": "tgw-made"}),
        _resource("aws:ec2/subnet:Subnet", "a", {"availabilityZone": "us-east-1a"}),
        _resource("aws:ec2/subnet:Subnet", "b", {"availabilityZone": "us-east-1b", "tags": {"zone": "us-east-1c"}}),
        _resource("aws:ec2/subnet:Subnet", "noaz", {"availabilityZone": ""}),
        _resource("aws:ec2transitgateway/vpcAttachment:VpcAttachment", "hub", {"transitGatewayId": DEMO_HUB}),
        _resource("aws:ec2transitgateway/vpcAttachment:VpcAttachment", "own", {"transitGatewayId": "tgw-made"}),
        _resource("aws:ec2transitgateway/vpcAttachment:VpcAttachment", "unknown", {"transitGatewayId": None}),
        _resource("aws:iam/rolePolicy:RolePolicy", "p", {"policy": json.dumps({"Statement": [{"Resource": [
            "arn:aws:iam::210000000001:role/needed", made_role]}]})}),
        _resource("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "sse",
                  {"rules": [{"kmsMasterKeyId": "alias/shared-logs"}, {"kmsMasterKeyId": "alias/made-here"}]}),
        _resource("aws:sns/topic:Topic", "t", {"kmsMasterKeyId": "arn:aws:kms:us-east-1:210000000001:alias/team/key",
                                               "displayName": "see alias/not-a-reference"}),
        _resource("aws:sqs/queue:Queue", "q", {"kmsMasterKeyId": "arn:aws:kms:us-east-1:210000000001:alias/made-here"}),
        _resource("aws:ec2/vpc:Vpc", "vpc", {}),
        _resource("aws:ec2/vpc:Vpc", "elsewhere", {"availabilityZone": "eu-west-1a"}, provider=None),
        _resource("aws:ec2/vpc:Vpc", "other-provider", {}, provider="urn:pulumi:x::y::pulumi:providers:aws::other::id2"),
    ]
    (need,) = needs_of(Capture("payments-prod", resources))
    assert need.zones == {"us-east-1a", "us-east-1b"}
    assert need.transit_gateways == {DEMO_HUB}
    assert need.roles == {"arn:aws:iam::210000000001:role/needed"}
    assert need.kms_aliases == {"alias/shared-logs", "arn:aws:kms:us-east-1:210000000001:alias/team/key"}
    assert need.creates["aws:ec2/vpc:Vpc"] == 1 and need.creates["aws:ec2/subnet:Subnet"] == 3
    assert need.creates["aws:kms/alias:Alias"] == 1
    assert need.creates["aws:ec2/eip:Eip"] == 0


@pytest.mark.parametrize("url, found", [
    ("awskms://alias/acme-secrets?region=eu-west-1", ("alias/acme-secrets", "eu-west-1")),
    ("awskms://alias/team/acme-secrets", ("alias/team/acme-secrets", "")),
    ("awskms://alias/acme?region=eu-west-1&region=us-east-1", ("alias/acme", "eu-west-1")),  # Pulumi reads the first
    ("awskms://1234abcd-12ab-34cd-56ef-1234567890ab?region=us-east-1", None),  # a key ID: nothing to look up by alias
    ("awskms:///alias/acme?region=us-east-1", None),
    ("passphrase", None),
    ("alias/acme-secrets", None),  # no scheme: Pulumi refuses it, there is no key it would use
    ("hashivault://alias/acme-secrets", None),  # a Vault transit key named alias/...: not a KMS alias
    ("gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/alias/k", None),
    (None, None),
])
def test_the_secrets_providers_alias_and_region_are_read_from_the_stack_file(url, found):
    assert secrets_alias({"secretsprovider": url} if url else {}) == found


# --- the sites map's side: zones and hubs ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stamped():
    return resolve(make_request(env="prod"), Catalog(), load_sites())


def _sites_with(tmp_path, old: str, new: str):
    path = tmp_path / "sites.yaml"
    path.write_text(DEMO_SITES.read_text().replace(old, new))
    return load_sites(path)


def test_a_hub_changed_in_the_sites_map_since_stamping_fails(stamped, tmp_path):
    """The stack file keeps the hub it was stamped with; preflight compares it with today's sites map."""
    assert [(c.name, c.ok, c.detail) for c in hub_drift(stamped, load_sites())] == [
        ("sites map hub of us-east-1", True, DEMO_HUB)]
    (check,) = hub_drift(stamped, _sites_with(tmp_path, DEMO_HUB, "tgw-0123456789abcdef0"))
    assert (check.name, check.ok) == ("sites map hub of us-east-1", False)
    assert check.detail == f"the stack has {DEMO_HUB}, the sites map tgw-0123456789abcdef0: re-stamp it"
    vsphere = resolve(make_request(target="vsphere", region=None, site="ny1"), Catalog(), load_sites())
    assert hub_drift(vsphere, load_sites()) == [], "a placement without a hub has nothing to compare"
    gone = stamped.placements[0].model_copy(update={"data_center": "us-gone-1"})  # no longer in the sites map
    (check,) = hub_drift(stamped.model_copy(update={"placements": [gone]}), load_sites())
    assert (check.name, check.ok, check.detail) == (
        "sites map hub of us-gone-1", False, f"the stack has {DEMO_HUB}, the sites map no hub: re-stamp it")


USE1 = {"us-east-1a": "use1-az6", "us-east-1b": "use1-az1", "us-east-1c": "use1-az2"}
USW2 = {"us-west-2a": "usw2-az2", "us-west-2b": "usw2-az1", "us-west-2c": "usw2-az3"}


@pytest.mark.parametrize("request_, expected", [
    ({"env": "prod"}, {(TARGET_ACCOUNT, REGION): USE1}),  # the sites map's first pool
    ({"env": "dev"}, {("210000000002", REGION): USE1}),  # after a pool whose name sorts later
    ({"env": "prod", "site": "us-west-2"}, {("210000000004", "us-west-2"): USW2}),  # after pools whose names sort earlier
])
def test_the_zone_ids_expected_are_the_sites_maps_for_the_stacks_pool_account_and_region(request_, expected):
    sites = load_sites()
    assert expected_zone_ids(resolve(make_request(**request_), Catalog(), sites), sites) == expected


def test_a_pool_gone_from_the_sites_map_expects_no_zone_ids(stamped):
    gone = stamped.placements[0].model_copy(update={"pool": "us-east-1-retired"})
    assert expected_zone_ids(stamped.model_copy(update={"placements": [gone]}), load_sites()) == {}


def test_the_zone_ids_of_a_vsphere_stack_are_none():
    vsphere = resolve(make_request(target="vsphere", region=None, site="ny1"), Catalog(), load_sites())
    assert expected_zone_ids(vsphere, load_sites()) == {}


@pytest.mark.parametrize("found, expected, ok, detail", [
    (None, {"ap-northeast-1b": "apne1-az3"}, False, "not offered to this account"),
    ({"State": "impaired", "ZoneId": "apne1-az4"}, {"ap-northeast-1b": "apne1-az4"}, False, "state impaired"),
    ({"State": "available", "ZoneId": "apne1-az3"}, {"ap-northeast-1a": "apne1-az4"}, False,
     "apne1-az3: not a zone the sites map lists for this account"),
    ({"State": "available", "ZoneId": "apne1-az3"}, {"ap-northeast-1b": "apne1-az4"}, False,
     "zone ID apne1-az3 in this account, the sites map says apne1-az4: the name points at another physical zone"),
    ({"State": "available", "ZoneId": "apne1-az4"}, {"ap-northeast-1b": "apne1-az4"}, True, "available, apne1-az4"),
    ({"State": "available", "ZoneId": "apne1-az4"}, {}, True, "available, apne1-az4"),  # the map records no IDs here
    ({"State": "available", "ZoneId": "apne1-tpe1-az1", "OptInStatus": "not-opted-in"}, {}, False,
     "opt-in status not-opted-in: the account has not opted into it"),  # a Local Zone listed and never opted into
    ({"State": "available", "ZoneId": "apne1-tpe1-az1", "OptInStatus": "opted-in"}, {}, True, "available, apne1-tpe1-az1"),
])
def test_each_zone_is_one_line_naming_what_differs(found, expected, ok, detail):
    check = pf._zone("ap-northeast-1b", found, expected)
    assert (check.name, check.ok, check.detail) == ("availability zone ap-northeast-1b", ok, detail)


# --- each need, checked in the account (moto) ------------------------------------------------------------------------


def _checks(need: Needs, stack: str = "payments-prod") -> dict[str, tuple[bool, str]]:
    return {c.label: (c.ok, c.detail) for c in check_provider(need, stack)}


BOSTON = {"ZoneName": "us-east-1-bos-1a", "ZoneId": "use1-bos1-az1", "State": "available", "OptInStatus": "not-opted-in",
          "RegionName": REGION, "ZoneType": "local-zone"}
LISTED = {"DescribeRegions": ("AllRegions", "Regions"), "DescribeAvailabilityZones": ("AllAvailabilityZones", "AvailabilityZones")}


@pytest.fixture
def opt_in_as_aws(monkeypatch):
    """moto lists regions and zones the account has not opted into whether or not it is asked for all, and knows no
    Local Zone; AWS lists them only with AllRegions / AllAvailabilityZones. This answers as AWS does, with us-east-1's
    Boston Local Zone offered and not opted into."""

    def asked(params, context, model, **_):
        context["all"] = bool(params.get(LISTED[model.name][0]))

    def listed(parsed, context, model, **_):
        key = LISTED[model.name][1]
        found = parsed.get(key, []) + ([BOSTON] if key == "AvailabilityZones" else [])
        parsed[key] = found if context.get("all") else [f for f in found if f.get("OptInStatus") != "not-opted-in"]

    original = pf.Aws.client

    def client(self, service):
        made = original(self, service)
        for operation in LISTED if service == "ec2" else ():
            made.meta.events.register(f"before-parameter-build.ec2.{operation}", asked)
            made.meta.events.register(f"after-call.ec2.{operation}", listed)
        return made

    monkeypatch.setattr(pf.Aws, "client", client)


@pytest.mark.usefixtures("mocked", "opt_in_as_aws")
def test_checks_are_scoped_to_the_account_and_region_and_stop_at_a_region_not_opted_into():
    assert _checks(Needs(region="ap-east-1", accounts=(TARGET_ACCOUNT,))) == {
        f"{TARGET_ACCOUNT}/ap-east-1 region ap-east-1": (False, "opt-in status not-opted-in")}
    assert _checks(Needs(region=REGION)) == {
        f"default account/{REGION} region {REGION}": (True, "opt-in status opt-in-not-required"),
        f"default account/{REGION} account": (True, MOTO_ACCOUNT)}
    assert list(_checks(Needs(region=REGION, accounts=("210000000001", "210000000002")))) == [
        f"210000000001/210000000002/{REGION} region {REGION}", f"210000000001/210000000002/{REGION} account"]


@pytest.mark.usefixtures("mocked")
def test_an_account_not_allowed_stops_the_checks():
    need = Needs(region=REGION, accounts=(TARGET_ACCOUNT,), zones={"us-east-1a"}, roles={DEPLOY_ARN})
    assert _checks(need) == {
        f"{TARGET_ACCOUNT}/{REGION} region {REGION}": (True, "opt-in status opt-in-not-required"),
        f"{TARGET_ACCOUNT}/{REGION} account": (False, f"{MOTO_ACCOUNT}, not one of ['{TARGET_ACCOUNT}']")}


@pytest.mark.usefixtures("mocked")
def test_a_deploy_role_that_cannot_be_assumed_stops_the_checks(inject):
    inject("before-send.sts.AssumeRole", "AccessDenied", 403)
    need = Needs(region=REGION, accounts=(TARGET_ACCOUNT,), deploy_role=DEPLOY_ARN, roles={DEPLOY_ARN})
    assert _checks(need) == {
        f"{TARGET_ACCOUNT}/{REGION} region {REGION}": (True, "opt-in status opt-in-not-required"),
        f"{TARGET_ACCOUNT}/{REGION} assume {DEPLOY_ARN}": (False, "injected")}


@pytest.mark.usefixtures("mocked")
def test_an_assume_role_failure_that_is_not_a_refusal_is_raised(inject):
    inject("before-send.sts.AssumeRole", "InternalFailure", 400)
    with pytest.raises(ClientError, match="InternalFailure"):
        check_provider(Needs(region=REGION, deploy_role=DEPLOY_ARN), "payments-prod")


def _ready(ec2_account: str = TARGET_ACCOUNT) -> tuple[str, str]:
    """The deploy role, a hub and an alias in the account; (hub id, alias)."""
    session = session_in(ec2_account)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    session.client("iam").create_role(RoleName=DEPLOY_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    hub = session.client("ec2").create_transit_gateway(Description="hub")["TransitGateway"]["TransitGatewayId"]
    kms = session.client("kms")
    kms.create_alias(AliasName="alias/shared-logs", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    return hub, "alias/shared-logs"


@pytest.mark.usefixtures("mocked")
def test_each_need_found_in_the_account_passes_and_each_missing_one_fails_one_line():
    hub, alias = _ready()
    other_account_role = "arn:aws:iam::210000000099:role/auditor"
    need = Needs(region=REGION, accounts=(TARGET_ACCOUNT,), deploy_role=DEPLOY_ARN,
                 zones={"us-east-1a", "us-east-1z"}, zone_ids={"us-east-1a": "use1-az6"},
                 transit_gateways={hub, "tgw-0123456789abcdef0"},
                 roles={DEPLOY_ARN, f"arn:aws:iam::{TARGET_ACCOUNT}:role/missing", other_account_role},
                 kms_aliases={alias, "alias/missing"})
    scope = f"{TARGET_ACCOUNT}/{REGION}"
    assert _checks(need) == {
        f"{scope} region {REGION}": (True, "opt-in status opt-in-not-required"),
        f"{scope} assume {DEPLOY_ARN}": (True, "assumed"),
        f"{scope} account": (True, TARGET_ACCOUNT),
        f"{scope} availability zone us-east-1a": (True, "available, use1-az6"),
        f"{scope} availability zone us-east-1z": (False, "not offered to this account"),
        f"{scope} transit gateway {hub}": (True, "state available"),
        f"{scope} transit gateway tgw-0123456789abcdef0": (False, "not found in the account (the hub of the sites map)"),
        f"{scope} iam role {DEPLOY_ROLE}": (True, "exists"),
        f"{scope} iam role missing": (False, f"arn:aws:iam::{TARGET_ACCOUNT}:role/missing does not exist"),
        f"{scope} kms alias {alias}": (True, "key Enabled (referenced by the program)"),
        f"{scope} kms alias alias/missing": (False, "not found (referenced by the program)"),
    }, "a role of another account is not read from this one"


@pytest.mark.usefixtures("mocked", "opt_in_as_aws")
def test_a_local_zone_the_account_has_not_opted_into_fails_though_aws_lists_it_available():
    need = Needs(region=REGION, zones={"us-east-1-bos-1a", "us-east-1a"})
    assert _checks(need) == {
        f"default account/{REGION} region {REGION}": (True, "opt-in status opt-in-not-required"),
        f"default account/{REGION} account": (True, MOTO_ACCOUNT),
        f"default account/{REGION} availability zone us-east-1-bos-1a": (
            False, "opt-in status not-opted-in: the account has not opted into it"),
        f"default account/{REGION} availability zone us-east-1a": (True, "available, use1-az6")}


@pytest.mark.usefixtures("mocked")
def test_the_deploy_role_session_is_named_after_the_stack_within_the_64_characters_aws_allows(monkeypatch):
    _ready()
    named: list[str] = []
    assume = pf.Aws.assume
    monkeypatch.setattr(pf.Aws, "assume", lambda self, role, name: named.append(name) or assume(self, role, name))
    stack = "payments-" + "long-" * 10
    need = Needs(region=REGION, accounts=(TARGET_ACCOUNT,), deploy_role=DEPLOY_ARN)
    assert _checks(need, stack)[f"{TARGET_ACCOUNT}/{REGION} assume {DEPLOY_ARN}"] == (True, "assumed")
    assert named == [f"cloud-blueprints-preflight-{stack}"[:64]] and len(named[0]) == 64, "CloudTrail names the stack"


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize("code", ["InvalidTransitGatewayID.NotFound", "InvalidTransitGatewayID.Malformed"])
def test_a_transit_gateway_aws_does_not_know_is_missing(inject, code):
    """AWS answers an unknown id with an error (moto with an empty list)."""
    inject("before-send.ec2.DescribeTransitGateways", code, 400)
    assert _checks(Needs(region=REGION, transit_gateways={DEMO_HUB}))[f"default account/{REGION} transit gateway {DEMO_HUB}"] == (
        False, "not found in the account (the hub of the sites map)")


@pytest.mark.usefixtures("mocked")
def test_a_transit_gateway_listed_in_any_state_but_available_fails(monkeypatch):
    """AWS lists a hub while it is created, modified and deleted, and for a while after (moto only when available)."""
    hub = boto3.client("ec2", region_name=REGION).create_transit_gateway(Description="hub")["TransitGateway"]["TransitGatewayId"]
    state = {"now": "available"}
    original = pf.Aws.client

    def client(self, service):
        made = original(self, service)
        made.meta.events.register("after-call.ec2.DescribeTransitGateways",
                                  lambda parsed, **_: [t.update(State=state["now"]) for t in parsed["TransitGateways"]])
        return made

    monkeypatch.setattr(pf.Aws, "client", client)
    for now in ("available", "pending", "modifying", "deleting", "deleted"):
        state["now"] = now
        assert pf._transit_gateway(pf.connect(REGION), hub) == Check(f"transit gateway {hub}", now == "available", f"state {now}")


@pytest.mark.usefixtures("mocked")
def test_an_alias_referenced_by_its_arn_is_named_by_the_alias():
    kms = boto3.client("kms", region_name=REGION)
    kms.create_alias(AliasName="alias/team/key", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    arn = f"arn:aws:kms:{REGION}:{MOTO_ACCOUNT}:alias/team/key"
    assert _checks(Needs(region=REGION, kms_aliases={arn}))[f"default account/{REGION} kms alias alias/team/key"] == (
        True, "key Enabled (referenced by the program)")


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize("unusable, state", [
    (lambda kms, key: kms.disable_key(KeyId=key), "Disabled"),
    # PendingDeletion sorts after Enabled, as PendingImport, Unavailable and Updating do: only Enabled may pass.
    (lambda kms, key: kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7), "PendingDeletion"),
], ids=["disabled", "scheduled-for-deletion"])
def test_a_key_behind_an_alias_that_is_not_enabled_fails(unusable, state):
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/old", TargetKeyId=key)
    unusable(kms, key)
    assert _checks(Needs(region=REGION, kms_aliases={"alias/old"}))[f"default account/{REGION} kms alias alias/old"] == (
        False, f"key {state} (referenced by the program)")


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize("event, code", [  # for each lookup, codes that sort before and after its "missing" code
    ("before-send.ec2.DescribeTransitGateways", "UnauthorizedOperation"),
    ("before-send.ec2.DescribeTransitGateways", "AuthFailure"),
    ("before-send.iam.GetRole", "AccessDenied"),
    ("before-send.iam.GetRole", "SignatureDoesNotMatch"),
    ("before-send.kms.DescribeKey", "AccessDeniedException"),
    ("before-send.kms.DescribeKey", "UnrecognizedClientException"),
])
def test_a_lookup_refused_is_raised_not_reported_as_missing(inject, event, code):
    inject(event, code, 403)
    need = Needs(region=REGION, transit_gateways={DEMO_HUB}, roles={f"arn:aws:iam::{MOTO_ACCOUNT}:role/r"},
                 kms_aliases={"alias/k"})
    with pytest.raises(ClientError, match=code):
        check_provider(need, "payments-prod")


def _quota(label: str, needed: int) -> Check:
    return pf._quota(pf.connect(REGION), next(q for q in pf.QUOTAS if q.label == label), needed)


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize("used, ok", [(2, True), (3, False)])
def test_elastic_ips_fit_up_to_the_limit_exactly(used, ok):
    ec2 = boto3.client("ec2", region_name=REGION)
    for _ in range(used):
        ec2.allocate_address(Domain="vpc")
    assert _quota("Elastic IPs", 3) == Check("Elastic IPs", ok, f"{used} used + 3 needed of 5 (EC2 account attribute "
                                                                "vpc-max-elastic-ips)")


@pytest.mark.usefixtures("mocked")
def test_vpcs_are_counted_against_service_quotas_up_to_the_limit_exactly():
    for _ in range(3):
        boto3.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.0.0.0/16")
    assert _quota("VPCs per region", 1) == Check("VPCs per region", True, "4 used + 1 needed of 5 (Service Quotas "
                                                 "vpc/L-F678F1CE)"), "moto's default VPC and three more"
    assert _quota("VPCs per region", 2).ok is False


@pytest.mark.usefixtures("mocked")
def test_only_the_quotas_of_what_the_stack_creates_are_checked():
    need = Needs(region=REGION)
    need.creates["aws:ec2/eip:Eip"] = 1
    assert [c.name for c in check_provider(need, "payments-prod")] == [f"region {REGION}", "account", "Elastic IPs"]


@pytest.mark.usefixtures("mocked")
def test_a_quota_service_quotas_refuses_falls_back_to_the_account_attribute_or_says_it_cannot_read_it(inject):
    inject("before-send.service-quotas.GetServiceQuota", "AccessDeniedException", 400)
    assert _quota("Elastic IPs", 1) == Check("Elastic IPs", True, "0 used + 1 needed of 5 (EC2 account attribute "
                                                                  "vpc-max-elastic-ips)")
    assert _quota("VPCs per region", 1) == Check("VPCs per region", False, "1 used, 1 needed; cannot read the limit: "
                                                 "Service Quotas has no vpc/L-F678F1CE here")


@pytest.mark.usefixtures("mocked")
def test_a_quota_lookup_failing_otherwise_is_raised(inject):
    inject("before-send.service-quotas.GetServiceQuota", "ServiceException", 400)
    with pytest.raises(ClientError, match="ServiceException"):
        _quota("VPCs per region", 1)


# --- the whole preflight, on the program's own capture ---------------------------------------------------------------


@pytest.fixture(scope="module")
def captured(tmp_path_factory, stamped):
    repo = tmp_path_factory.mktemp("repo")
    (repo / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", repo / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "__main__.py", repo / "stacks" / "__main__.py")
    return preview(repo, stamped, load_sites())


def test_the_program_of_a_prod_stack_needs_its_account_hub_zones_and_quotas(captured):
    stack, hub = needs_of(captured)
    assert (stack.region, stack.accounts, stack.deploy_role) == (REGION, (TARGET_ACCOUNT,), DEPLOY_ARN)
    assert stack.zones == {"us-east-1a", "us-east-1b", "us-east-1c"} and stack.transit_gateways == {DEMO_HUB}
    assert (stack.creates["aws:ec2/vpc:Vpc"], stack.creates["aws:ec2/eip:Eip"]) == (1, 3), "a NAT gateway per zone"
    assert hub.accounts != stack.accounts and hub.creates["aws:ec2/vpc:Vpc"] == 0


@pytest.mark.usefixtures("mocked")
def test_preflight_checks_the_hub_every_provider_then_the_secrets_key_in_the_stacks_region(captured, stamped, monkeypatch):
    _ready()
    regions: list[str] = []
    monkeypatch.setattr(pf, "connect", lambda region: regions.append(region) or pf.Aws(region, boto3.session.Session()))
    report = pf.preflight(stamped, load_sites(), captured, {"secretsprovider": "awskms://alias/acme-secrets"})
    assert report.stack == "payments-prod" and not report.ok
    assert regions == [REGION, REGION, REGION], "each provider's region, then the stack's for the secrets key"
    assert report.checks[0] == Check("sites map hub of us-east-1", True, DEMO_HUB)
    assert report.checks[-1] == Check("kms alias alias/acme-secrets", False, "not found (the stack's secrets provider)")
    failed = {c.label for c in report.checks if not c.ok}
    assert failed == {f"{TARGET_ACCOUNT}/{REGION} transit gateway {DEMO_HUB}", "kms alias alias/acme-secrets",
                      f"210000000091/{REGION} iam role {DEPLOY_ROLE}"}, "the hub's account has no deploy role here"
    zones = {c.label: c.detail for c in report.checks if c.name.startswith("availability zone")}
    assert zones == {f"{TARGET_ACCOUNT}/{REGION} availability zone us-east-1{z}": f"available, {i}"
                     for z, i in (("a", "use1-az6"), ("b", "use1-az1"), ("c", "use1-az2"))}, "the stack's account's IDs"
    assert report.to_json()["ok"] is False and len(report.to_json()["checks"]) == len(report.checks)


@pytest.mark.usefixtures("mocked")
def test_a_secrets_provider_url_with_a_region_is_checked_there(stamped, monkeypatch):
    regions: list[str] = []
    monkeypatch.setattr(pf, "connect", lambda region: regions.append(region) or pf.Aws(region, boto3.session.Session()))
    program = Capture("payments-prod", [_provider(region=REGION)])
    url = {"secretsprovider": "awskms://alias/acme-secrets?region=eu-west-1"}
    assert pf.preflight(stamped, load_sites(), program, url).checks[-1].name == "kms alias alias/acme-secrets"
    assert regions == [REGION, "eu-west-1"]
    assert [c.name for c in pf.preflight(stamped, load_sites(), program, {}).checks][-1] == "account"


def test_a_report_is_ok_only_when_every_check_passed():
    assert Report("s", (Check("a", True, ""), Check("b", True, ""))).ok
    assert not Report("s", (Check("a", True, ""), Check("b", False, ""))).ok
    assert Check("region us-east-1", True, "", "1/us-east-1").label == "1/us-east-1 region us-east-1"
    assert Check("sites map hub", True, "").label == "sites map hub"


@pytest.mark.usefixtures("mocked")
def test_the_sites_maps_zone_ids_apply_to_its_own_account_and_region_only(stamped, tmp_path):
    """The map records us-east-1a as use1-az4 for the stack's account; another account's us-east-1a is not judged by
    it, nor is the stack's account in another region."""
    sites = _sites_with(tmp_path, "{name: us-east-1a, id: use1-az6}", "{name: us-east-1a, id: use1-az4}")
    providers = [("a", REGION, TARGET_ACCOUNT), ("b", REGION, "210000000099"), ("c", "us-west-2", TARGET_ACCOUNT),
                 ("d", "eu-west-1", TARGET_ACCOUNT)]  # regions sorting after and before the map's
    resources = []
    for name, region, account in providers:
        urn = f"urn:pulumi:payments-prod::cloud-blueprints::pulumi:providers:aws::{name}"
        made = _provider(region=region, allowedAccountIds=[account],
                         assumeRoles=[{"roleArn": f"arn:aws:iam::{account}:role/{DEPLOY_ROLE}"}])
        resources.append(CapturedResource(**{**made.__dict__, "urn": urn}))
        zone = f"{region}a"
        resources.append(_resource("aws:ec2/subnet:Subnet", name, {"availabilityZone": zone}, provider=f"{urn}::id"))
    found = {c.scope: (c.ok, c.detail) for c in pf.preflight(stamped, sites, Capture("payments-prod", resources), {}).checks
             if c.name.startswith("availability zone")}
    assert found == {
        f"{TARGET_ACCOUNT}/{REGION}": (False, ("zone ID use1-az6 in this account, the sites map says use1-az4: the "
                                               "name points at another physical zone")),
        f"210000000099/{REGION}": (True, "available, use1-az6"),
        f"{TARGET_ACCOUNT}/us-west-2": (True, "available, usw2-az2"),
        f"{TARGET_ACCOUNT}/eu-west-1": (True, "available, euw1-az3"),
    }
