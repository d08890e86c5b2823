"""Policies for every target: ownership tags and labels, no plaintext secrets, explicit providers, live exemptions."""

from __future__ import annotations

import re
import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any, Iterator, get_args

from pulumi_policy.proxy import UnknownValueError

from blueprints import free_text
from blueprints.models import Env, team_name_problem
from components.ownership import OWNERSHIP_KEYS
from policy_packs import exemptions as ex
from policy_packs.spec import CRITICAL, HIGH, Rule, resource_rule, stack_of, stack_rule

RULES: list[Rule] = []

MANAGED_BY = "cloud-blueprints"
# What `bp new` accepts is what this policy calls well formed: team, owner and cost center are checked by the
# definitions the request model uses (blueprints/models.py, blueprints/free_text.py).
_WELL_FORMED: dict[str, Any] = {
    "team": lambda v: team_name_problem(v) is None,
    "owner": lambda v: v == v.lower() and free_text.email_problem(v) is None,
    "env": re.compile(rf"^({'|'.join(get_args(Env))})$").match,
    "blueprint": re.compile(r"^[a-z0-9][a-z0-9-]*@\d+\.\d+\.\d+$").match,
    "managed-by": re.compile(rf"^{MANAGED_BY}$").match,
}


def _ownership_of(type_token: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ownership map a resource carries: AWS tags, or Kubernetes labels with e-mail and refs decoded."""
    if type_token.startswith("kubernetes:") and "metadata" in props:
        labels = (props.get("metadata") or {}).get("labels") or {}
        return {k: str(v).replace("_at_", "@") for k, v in labels.items()}
    if not type_token.startswith("aws:"):
        return None
    # Imported here: the AWS components and their SDK load for a stack with AWS resources, not for every audit.
    from components.aws.tagging import taggable

    return (props.get("tags") or {}) if taggable(type_token) else None


@resource_rule(
    RULES, "cloudblueprints-ownership-resource-tags",
    "Require every taggable AWS resource and every Kubernetes object to carry well-formed ownership tags or labels.",
    HIGH,
    remediation="Build the resource through a component with the blueprint's tags (ResolvedBlueprint.tags()); "
                "labels encode '@' as '_at_'. Keys: team, owner (e-mail), cost-center, env, blueprint (name@version), managed-by.",
    themes=("asset-ownership",),
    config={"costCenterPattern": {"type": "string", "default": free_text.COST_CENTER.pattern,
                                  "description": "Regular expression a cost-center value must match."}},
)
def ownership_tags(args, report, config) -> None:
    if args.resource_type.startswith("pulumi:providers:"):
        return
    tags = _ownership_of(args.resource_type, args.props)
    if tags is None:
        return
    missing = [k for k in OWNERSHIP_KEYS if not tags.get(k)]
    if missing:
        report(f"missing ownership keys: {', '.join(missing)}")
    checks = {**_WELL_FORMED, "cost-center": re.compile(config["costCenterPattern"]).match}
    bad = [f"{k}={tags[k]!r}" for k, ok in checks.items() if tags.get(k) and not ok(str(tags[k]))]
    if bad:
        report(f"malformed ownership values: {', '.join(bad)}")


SECRET_FIELDS = frozenset({
    "password", "masterpassword", "adminpassword", "authtoken", "secretstring", "secretbinary",
    "privatekey", "clientsecret", "secretkey", "secretaccesskey", "token", "apitoken",
})
"""Top-level inputs (lower-cased) that always hold a credential."""

_LOOKS_SECRET = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN (RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Stripe live key": re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}"),
    "JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "password assignment": re.compile(r"(?i)(?:^|[\s\"'{,;])(password|passwd|pwd|secret)\s*[:=]\s*['\"]?(?!\$)[^\s'\"]{6,}"),
}


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every known string inside a value, with its path. Unknown values are computed, so never a literal."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key in value:
            try:
                yield from _strings(value[key], f"{path}.{key}" if path else str(key))
            except UnknownValueError:
                continue
    elif isinstance(value, Sequence):
        for i in range(len(value)):
            try:
                yield from _strings(value[i], f"{path}[{i}]")
            except UnknownValueError:
                continue


def _secret_fields(resource) -> Iterator[str]:
    """Secret-bearing inputs set to a literal: known, non-empty, and derived from no other resource."""
    fields = set(SECRET_FIELDS)
    if resource.resource_type == "kubernetes:core/v1:Secret":
        fields |= {"data", "stringdata"}
    for key in resource.props:
        if key.lower() not in fields:
            continue
        try:
            value = resource.props[key]
        except UnknownValueError:
            continue
        if value not in (None, "", {}, []) and not resource.property_dependencies.get(key):
            yield key


@stack_rule(
    RULES, "cloudblueprints-secrets-input-plaintext",
    "Forbid plaintext secrets in resource inputs: credential fields set to literals, and values that look like keys, tokens or passwords.",
    CRITICAL,
    remediation="Generate the credential (random.RandomPassword), let the service manage it (RDS manage_master_user_password) "
                "or read it from a secret store; never write it in a program, stack file or manifest.",
    themes=("secret-handling",),
)
def plaintext_secrets(args, report, config) -> None:
    for r in args.resources:
        for key in _secret_fields(r):
            report(f"input '{key}' is a literal, not derived from a generator or secret store", r.urn)
        for path, text in _strings(r.props, ""):
            for what, pattern in _LOOKS_SECRET.items():
                if pattern.search(text):
                    report(f"{path} looks like a {what}", r.urn)


@resource_rule(
    RULES, "pulumi-providers-resource-explicit",
    "Require every resource of a credentialed package to use an explicit provider, never the default one.",
    HIGH,
    remediation="Pass the placement's provider through ResourceOptions(provider=...) (components receive it in opts); "
                "stack files disable default providers with pulumi:disable-default-providers.",
    themes=("least-privilege", "configuration-baseline"),
    config={"allowDefault": {"type": "array", "items": {"type": "string"}, "default": ["random", "time"],
                             "description": "Packages that hold no credentials and may use their default provider."}},
)
def explicit_provider(args, report, config) -> None:
    provider = args.provider
    if provider is None or args.resource_type.startswith("pulumi:providers:"):
        return
    package = provider.resource_type.removeprefix("pulumi:providers:")
    if provider.name.startswith("default") and package not in config["allowDefault"]:
        report(f"uses the default {package} provider ({provider.urn})")


@stack_rule(
    RULES, "cloudblueprints-policy-exemption-expired",
    "Fail a stack while an exemption that names it has expired, so exceptions are renewed or fixed, never forgotten.",
    HIGH,
    remediation="Fix the exempted violation and delete the entry from policy_packs/exemptions.yaml, or renew it with a new "
                "review (approver, ticket, expires).",
    themes=("exception-management",), reads_exemptions=True,
)
def expired_exemptions(args, report, config, exemptions: list[ex.Exemption]) -> None:
    stacks = {stack_of(r.urn) for r in args.resources}
    for stack in sorted(stacks):
        for e in exemptions:
            if not e.active() and fnmatch.fnmatchcase(stack, e.stack):
                report(f"exemption {e.ticket} of {e.policy} for {e.resource} (approved by {e.approver}) expired on {e.expires}")
