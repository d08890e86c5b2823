"""Before `pulumi up` on an AWS stack: does the target account and region have what the stack needs?

What the stack needs is read from an offline run of its own program (the same `stacks/__main__.py`
that `pulumi up` runs): the providers' regions, accounts and deploy roles, the availability zones,
transit gateways, IAM roles and KMS aliases its resources reference but do not create, and how many
VPCs and Elastic IPs it creates. Each is then checked against the account with boto3.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, urlparse

from botocore.exceptions import ClientError

from accounts.session import DENIED_CODES, Aws, connect, error_code
from blueprints.resolved import ResolvedBlueprint
from blueprints.sites import SitesMap
from engine.captured import Capture, CapturedResource

ROLE_ARN = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+")
ALIAS = re.compile(r"^(arn:aws[\w-]*:kms:[\w-]+:\d{12}:)?alias/[\w/-]+$")
OPTED_IN = ("opt-in-not-required", "opted-in")
"""The opt-in statuses of a region, Local Zone or Wavelength Zone that the account can deploy into."""
HOME_REGION = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
"""Where each partition answers DescribeRegions for all its regions, enabled or not."""


@dataclass(frozen=True)
class Check:
    """One preflight check and its outcome."""

    name: str
    """What was checked, e.g. `region us-east-1`."""
    ok: bool
    """Whether it passed."""
    detail: str
    """What was found."""
    scope: str = ""
    """Where: `<account>/<region>` for checks made in an account, empty for the others."""

    @property
    def label(self) -> str:
        """The check's name with its scope, unique within a report."""
        return f"{self.scope} {self.name}".strip()


@dataclass
class Needs:
    """What the program asks of one account and region, through one AWS provider."""

    region: str
    """The provider's region."""
    accounts: tuple[str, ...] = ()
    """Accounts the provider may deploy into (allowedAccountIds)."""
    deploy_role: str | None = None
    """The role the provider assumes, as an ARN."""
    zones: set[str] = field(default_factory=set)
    """Availability zones resources are placed in."""
    zone_ids: dict[str, str] = field(default_factory=dict)
    """Zone name -> the zone ID the sites map records for this account; empty when it records none."""
    transit_gateways: set[str] = field(default_factory=set)
    """Transit gateways resources attach to and the program does not create."""
    roles: set[str] = field(default_factory=set)
    """IAM role ARNs referenced and not created by the program (the deploy role included)."""
    kms_aliases: set[str] = field(default_factory=set)
    """KMS aliases referenced and not created by the program."""
    creates: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """How many resources of each type token the program creates."""


@dataclass(frozen=True)
class Report:
    """Every check of one stack, in order."""

    stack: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report."""
        return {"stack": self.stack, "ok": self.ok,
                "checks": [{"scope": c.scope, "name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks]}


# --- what the program needs -----------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _json_list(value: Any) -> list:
    """Provider inputs arrive as JSON strings."""
    return json.loads(value) if isinstance(value, str) else list(value or [])


def needs_of(capture: Capture) -> list[Needs]:
    """What each AWS provider of the program needs, from a captured offline run."""
    providers: dict[str, Needs] = {}
    for r in capture.resources:
        if r.type == "pulumi:providers:aws":
            roles = [a.get("role_arn") or a.get("roleArn") for a in _json_list(r.inputs.get("assumeRoles"))]
            providers[r.urn] = Needs(region=r.inputs.get("region", ""), accounts=tuple(_json_list(r.inputs.get("allowedAccountIds"))),
                                     deploy_role=roles[0] if roles else None, roles=set(filter(None, roles)))
    created_roles = {r.outputs.get("arn") for r in capture.by_type("aws:iam/role:Role")}
    created_aliases = {r.inputs.get("name") for r in capture.by_type("aws:kms/alias:Alias")}
    created_tgws = {r.outputs.get("id") for r in capture.by_type("aws:ec2transitgateway/transitGateway:TransitGateway")}
    for r in capture.resources:
        # A provider reference is `<urn>::<id>`.
        need = providers.get((r.provider or "").rsplit("::", 1)[0])
        if need is None:
            continue
        need.creates[r.type] += 1
        _collect(r, need, created_roles, created_aliases, created_tgws)
    return list(providers.values())


def _collect(r: CapturedResource, need: Needs, created_roles: set, created_aliases: set, created_tgws: set) -> None:
    if r.inputs.get("availabilityZone"):
        need.zones.add(r.inputs["availabilityZone"])
    tgw = r.inputs.get("transitGatewayId")
    if isinstance(tgw, str) and tgw not in created_tgws:
        need.transit_gateways.add(tgw)
    for text in _strings(r.inputs):
        need.roles.update(arn for arn in ROLE_ARN.findall(text) if arn not in created_roles)
        if ALIAS.match(text) and text.split(":")[-1] not in created_aliases:
            need.kms_aliases.add(text)


def secrets_alias(stack_file: dict) -> tuple[str, str] | None:
    """The (alias, region) of a stack file's `secretsprovider: awskms://alias/...?region=R`, if it has one."""
    url = urlparse(str(stack_file.get("secretsprovider") or ""))
    if url.scheme != "awskms" or not (url.netloc + url.path).startswith("alias/"):
        return None
    region = parse_qs(url.query).get("region", [""])[0]
    return url.netloc + url.path, region


# --- the checks -----------------------------------------------------------------------------------


def _region(aws: Aws) -> Check:
    partition = aws.session.get_partition_for_region(aws.region)
    home = Aws(HOME_REGION.get(partition, aws.region), aws.session)
    found = home.client("ec2").describe_regions(AllRegions=True, RegionNames=[aws.region])["Regions"]
    status = found[0].get("OptInStatus", "opt-in-not-required") if found else "absent"
    return Check(f"region {aws.region}", status in OPTED_IN, f"opt-in status {status}")


def _zones(aws: Aws, zones: set[str], expected: dict[str, str]) -> list[Check]:
    """One line per zone: offered to this account, available, and the physical zone (ID) the sites map expects."""
    listed = {z["ZoneName"]: z for z in aws.client("ec2").describe_availability_zones(AllAvailabilityZones=True)["AvailabilityZones"]}
    return [_zone(name, listed.get(name), expected) for name in sorted(zones)]


def _zone(name: str, found: dict | None, expected: dict[str, str]) -> Check:
    want = expected.get(name)
    if found is None:
        return Check(f"availability zone {name}", False, "not offered to this account")
    if found["State"] != "available":
        return Check(f"availability zone {name}", False, f"state {found['State']}")
    # Listed with every zone (AllAvailabilityZones) and "available" even when the account never opted into it.
    opt_in = found.get("OptInStatus", "opt-in-not-required")
    if opt_in not in OPTED_IN:
        return Check(f"availability zone {name}", False, f"opt-in status {opt_in}: the account has not opted into it")
    if expected and want is None:
        return Check(f"availability zone {name}", False, f"{found.get('ZoneId')}: not a zone the sites map lists for this account")
    if want and found.get("ZoneId") != want:
        return Check(f"availability zone {name}", False, f"zone ID {found.get('ZoneId')} in this account, the sites map "
                     f"says {want}: the name points at another physical zone")
    return Check(f"availability zone {name}", True, f"available, {found.get('ZoneId')}")


def _transit_gateway(aws: Aws, tgw: str) -> Check:
    name = f"transit gateway {tgw}"
    try:
        found = aws.client("ec2").describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"]
    except ClientError as exc:
        if not error_code(exc).startswith("InvalidTransitGatewayID"):
            raise
        found = []
    if not found:
        return Check(name, False, "not found in the account (the hub of the sites map)")
    state = found[0]["State"]
    return Check(name, state == "available", f"state {state}")


def _role(aws: Aws, arn: str) -> Check:
    name = arn.rsplit("/", 1)[-1]
    try:
        aws.client("iam").get_role(RoleName=name)
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        return Check(f"iam role {name}", False, f"{arn} does not exist")
    return Check(f"iam role {name}", True, "exists")


def _alias(aws: Aws, alias: str, why: str) -> Check:
    name = f"kms alias {alias.split(':')[-1]}"
    try:
        state = aws.client("kms").describe_key(KeyId=alias)["KeyMetadata"]["KeyState"]
    except ClientError as exc:
        if error_code(exc) != "NotFoundException":
            raise
        return Check(name, False, f"not found ({why})")
    return Check(name, state == "Enabled", f"key {state} ({why})")


@dataclass(frozen=True)
class Quota:
    """A regional limit the stack's new resources must fit under, and where to read it."""

    label: str
    creates: str
    """The type token of what uses it up."""
    service_code: str
    quota_code: str
    account_attribute: str | None
    """The EC2 account attribute that also holds it, where one does."""
    used: Callable[[Any], int]
    """(ec2 client) -> how many are in use."""


def _count(operation: str, field: str, **kwargs: Any) -> Callable[[Any], int]:
    return lambda ec2: sum(len(page[field]) for page in ec2.get_paginator(operation).paginate(**kwargs))


QUOTAS = (
    Quota("VPCs per region", "aws:ec2/vpc:Vpc", "vpc", "L-F678F1CE", None, _count("describe_vpcs", "Vpcs")),
    Quota("Elastic IPs", "aws:ec2/eip:Eip", "ec2", "L-0263D0A3", "vpc-max-elastic-ips",
          lambda ec2: len(ec2.describe_addresses(Filters=[{"Name": "domain", "Values": ["vpc"]}])["Addresses"])),
)


def _limit(aws: Aws, quota: Quota) -> tuple[int | None, str]:
    """The quota's value and where it was read: Service Quotas, else the EC2 account attribute."""
    try:
        value = aws.client("service-quotas").get_service_quota(ServiceCode=quota.service_code, QuotaCode=quota.quota_code)
        return int(value["Quota"]["Value"]), f"Service Quotas {quota.service_code}/{quota.quota_code}"
    except ClientError as exc:
        if error_code(exc) not in {"NoSuchResourceException", *DENIED_CODES}:
            raise
    if quota.account_attribute:
        attrs = aws.client("ec2").describe_account_attributes(AttributeNames=[quota.account_attribute])["AccountAttributes"]
        for attr in attrs:
            return int(attr["AttributeValues"][0]["AttributeValue"]), f"EC2 account attribute {quota.account_attribute}"
    return None, f"Service Quotas has no {quota.service_code}/{quota.quota_code} here"


def _quota(aws: Aws, quota: Quota, needed: int) -> Check:
    limit, source = _limit(aws, quota)
    used = quota.used(aws.client("ec2"))
    if limit is None:
        return Check(quota.label, False, f"{used} used, {needed} needed; cannot read the limit: {source}")
    return Check(quota.label, used + needed <= limit, f"{used} used + {needed} needed of {limit} ({source})")


def _deploy_session(base: Aws, need: Needs, stack: str, checks: list[Check]) -> tuple[Aws, str] | None:
    """The session the provider would deploy with (the deploy role assumed) and its account, if allowed."""
    target = base
    if need.deploy_role:
        try:
            target = base.assume(need.deploy_role, f"cloud-blueprints-preflight-{stack}"[:64])
        except ClientError as exc:
            if error_code(exc) not in DENIED_CODES:
                raise
            checks.append(Check(f"assume {need.deploy_role}", False, exc.response["Error"].get("Message", "denied")))
            return None
        checks.append(Check(f"assume {need.deploy_role}", True, "assumed"))
    account = target.client("sts").get_caller_identity()["Account"]
    allowed = not need.accounts or account in need.accounts
    checks.append(Check("account", allowed, f"{account}" + ("" if allowed else f", not one of {list(need.accounts)}")))
    return (target, account) if allowed else None


def check_provider(need: Needs, stack: str) -> list[Check]:
    """Every check for one provider of the stack, each scoped to its account and region."""
    scope = f"{'/'.join(need.accounts) or 'default account'}/{need.region}"
    return [replace(c, scope=scope) for c in _provider_checks(need, stack)]


def _provider_checks(need: Needs, stack: str) -> list[Check]:
    """Stopping where later checks could not mean anything."""
    base = connect(need.region)
    checks = [_region(base)]
    if not checks[0].ok:
        return checks
    deploying = _deploy_session(base, need, stack, checks)
    if deploying is None:
        return checks
    target, account = deploying
    if need.zones:
        checks += _zones(target, need.zones, need.zone_ids)
    checks += [_transit_gateway(target, t) for t in sorted(need.transit_gateways)]
    # Roles of other accounts (in trust policies, say) cannot be read from this one.
    checks += [_role(target, arn) for arn in sorted(need.roles) if f":iam::{account}:" in arn]
    checks += [_alias(target, a, "referenced by the program") for a in sorted(need.kms_aliases)]
    checks += [_quota(target, q, need.creates[q.creates]) for q in QUOTAS if need.creates[q.creates]]
    return checks


def hub_drift(resolved: ResolvedBlueprint, sites: SitesMap) -> list[Check]:
    """Whether the hub each placement was stamped with is still its data center's hub in the sites map."""
    current = {dc.name: dc.aws.hub for _, dc in sites.data_centers() if dc.aws}
    checks = []
    for place in resolved.placements:
        if place.aws and place.aws.hub:
            stamped, now = place.aws.hub.transit_gateway_id, current.get(place.data_center)
            now_id = now.transit_gateway_id if now else "no hub"
            checks.append(Check(f"sites map hub of {place.data_center}", stamped == now_id,
                                f"{stamped}" if stamped == now_id else f"the stack has {stamped}, the sites map {now_id}: re-stamp it"))
    return checks


def expected_zone_ids(resolved: ResolvedBlueprint, sites: SitesMap) -> dict[tuple[str, str], dict[str, str]]:
    """(account, region) -> zone name -> zone ID, as the sites map records them for the stack's pools."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for place in resolved.placements:
        pool = next((p for _, _, p in sites.pools() if p.name == place.pool), None)
        if place.aws and pool and pool.aws:
            zones = found.setdefault((pool.aws.account_id, place.aws.region), {})
            zones.update({z.name: z.id for z in pool.aws.availability_zones})
    return found


def preflight(resolved: ResolvedBlueprint, sites: SitesMap, capture: Capture, stack_file: dict) -> Report:
    """Check every account and region the stack's program deploys into, and its secrets provider key."""
    stack = resolved.stack
    needs = needs_of(capture)
    expected = expected_zone_ids(resolved, sites)
    for need in needs:
        need.zone_ids = next((ids for (account, region), ids in expected.items()
                              if region == need.region and account in need.accounts), {})
    checks = hub_drift(resolved, sites) + [c for need in needs for c in check_provider(need, stack)]
    secrets = secrets_alias(stack_file)
    if secrets:
        alias, region = secrets
        # Pulumi reaches the secrets key with the operator's own credentials, not the deploy role;
        # without a region in the URL, it uses the stack's.
        region = region or next((n.region for n in needs), "")
        checks.append(_alias(connect(region), alias, "the stack's secrets provider"))
    return Report(stack, tuple(checks))
