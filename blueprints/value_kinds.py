"""Kinds of parameter values a catalog entry can declare, each checked with a message in words."""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from typing import Callable, Literal

from blueprints import free_text

ValueKind = Literal["dns-label", "cidr", "semver", "email"]

# Strings longer than this are refused whatever their kind: a parameter is a name or a setting, not a document.
MAX_STRING = 253


def _dns_label(value: str) -> str | None:
    if re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", value):
        return None
    return ("is not a DNS label: 1-63 lower-case letters, digits and '-', "
            "starting and ending with a letter or digit")


def _cidr(value: str) -> str | None:
    try:
        IPv4Network(value, strict=True)
    except ValueError:
        return "is not an IPv4 network in CIDR notation with no host bits set (e.g. 10.0.0.0/16)"
    return None


def _semver(value: str) -> str | None:
    if re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)", value):
        return None
    return "is not a version of the form major.minor.patch (e.g. 1.2.3)"


def _email(value: str) -> str | None:
    if free_text.email_problem(value) is None:
        return None
    return "is not an e-mail address (e.g. lead@example.com)"


CHECKS: dict[str, Callable[[str], str | None]] = {
    "dns-label": _dns_label, "cidr": _cidr, "semver": _semver, "email": _email,
}


def problem(kind: ValueKind | None, value: str) -> str | None:
    """What is wrong with `value` as a string of `kind`, in words; None when it is fine."""
    if len(value) > MAX_STRING:
        return f"is {len(value)} characters long; at most {MAX_STRING} are allowed"
    return CHECKS[kind](value) if kind else None
