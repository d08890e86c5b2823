"""Building blocks of the rules table: tests made from botocore limits, name shapes, tag limits and networks."""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from typing import Any, Iterable

from engine.provider_rules import aws_model
from engine.provider_rules.model import Refused, Registration, Test


def api(service: str, operation: str, path: str) -> Test:
    """The limits botocore states for an operation's input member."""
    return lambda value, _: aws_model.member(service, operation, path).refuses(value)


def api_shape(service: str, name: str) -> Test:
    """The limits botocore states for a named shape."""
    return lambda value, _: aws_model.shape(service, name).refuses(value)


def name(*, chars: str, words: str, max_len: int, min_len: int = 1, first: str | None = None,
         first_words: str = "", last: str | None = None, no_double_hyphen: bool = False,
         prefixes: Iterable[str] = (), suffixes: Iterable[str] = (), refused: Iterable[str] = ()) -> Test:
    """A name's shape: its characters (a regex class body), length, first and last character, and the
    prefixes, suffixes and whole names the API reserves."""
    allowed = re.compile(f"[{chars}]")
    head = re.compile(f"[{first}]") if first else None
    tail = re.compile(f"[{last}]") if last else None
    prefixes, suffixes, refused = tuple(prefixes), tuple(suffixes), {r.lower() for r in refused}

    def test(value: Any, _: Registration) -> str | None:
        if not isinstance(value, str):
            return None
        if not min_len <= len(value) <= max_len:
            return f"is {len(value)} characters; {min_len}-{max_len} are allowed"
        bad = next((c for c in value if not allowed.fullmatch(c)), None)
        if bad is not None:
            return f"contains {bad!r}; only {words} are allowed"
        if head and not head.fullmatch(value[0]):
            return f"starts with {value[0]!r}; it must start with {first_words}"
        if tail and not tail.fullmatch(value[-1]):
            return f"ends with {value[-1]!r}, which is not allowed at the end"
        if no_double_hyphen and "--" in value:
            return "contains two consecutive hyphens"
        hit = next((p for p in prefixes if value.startswith(p)), None) or next((s for s in suffixes if value.endswith(s)), None)
        if hit:
            return f"uses the reserved {'prefix' if value.startswith(hit) else 'suffix'} {hit!r}"
        if value.lower() in refused:
            return f"'{value}' is reserved"
        return None

    return test


def tags(limits: aws_model.TagLimits | None = None, *, java_pattern: str | None = None) -> Test:
    """Tags a service accepts: at most 50, keys and values within its limits (`limits`, else the tagging API's)."""

    def test(value: Any, _: Registration) -> str | None:
        if not isinstance(value, dict):
            return None
        generic = aws_model.tags("resourcegroupstaggingapi", "TagResources", "Tags")
        own = limits_of() or generic
        problem = generic.count.refuses(value)
        if problem:
            return f"{len(value)} tags: {problem}"
        for key, val in value.items():
            if str(key).lower().startswith("aws:"):
                return Refused("the tag key prefix 'aws:' is reserved by AWS", key, val)
            for what, text, lim in (("key", key, own.key), ("value", val, own.value)):
                problem = lim.refuses(text) if isinstance(text, str) else None
                if not problem and java_pattern and isinstance(text, str):
                    problem = aws_model.Limits("", pattern=java_pattern).refuses(text)
                if problem:
                    return Refused(f"tag {what} {problem}", key, val)
        return None

    def limits_of() -> aws_model.TagLimits | None:
        return limits() if callable(limits) else limits

    return test


def tag_limits(service: str, operation: str, path: str):
    """A deferred botocore read of a service's tag limits (the model loads on the first tagged resource)."""
    return lambda: aws_model.tags(service, operation, path)


def network(min_prefix: int, max_prefix: int) -> Test:
    """An IPv4 network in CIDR notation with no host bits, its prefix length within the API's range."""

    def test(value: Any, _: Registration) -> str | None:
        try:
            net = IPv4Network(str(value), strict=True)
        except ValueError:
            return "is not an IPv4 network with no host bits set"
        if not min_prefix <= net.prefixlen <= max_prefix:
            return f"is a /{net.prefixlen}; /{min_prefix} to /{max_prefix} are allowed"
        return None

    return test


def zones_of(subnet_ids: Any, reg: Registration) -> set[str] | None:
    """The availability zones of the given subnets, or None when one is not known to this run."""
    found = set()
    for subnet in subnet_ids if isinstance(subnet_ids, list) else ():
        known = reg.index.get(subnet)
        if not known or not known[1].get("availabilityZone"):
            return None
        found.add(known[1]["availabilityZone"])
    return found
