"""Text people type (owner, contact, approver, reasons, cost center): one set of rules for every model and option.

A value is one line of printable text: no control characters (a terminal escape sequence would act on whoever
lists the stack), no bidirectional controls (right-to-left overrides make text read other than it is), no
invisible characters (zero-width spaces make two different values look the same). Lengths are capped; e-mail
addresses are e-mail addresses. `printable` shows any text on a terminal with such characters made visible.
The pydantic types that apply these rules are in blueprints/models.py (this module stays light: the CLI's console
imports it at start).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Callable, Iterable

from blueprints.errors import BadInput

MAX_EMAIL = 254  # RFC 5321's longest forward path, less its angle brackets
MAX_CONTACT = 128
MAX_REASON = 500
MAX_LINE = 128
MAX_LIST = 64

COST_CENTER = re.compile(r"^CC-[0-9]{1,6}$")
"""A cost center, as `bp new` takes it and the ownership policy (cloudblueprints-ownership-resource-tags) checks it."""

_ASCII_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
_ASCII_UNSAFE_IN_MESSAGES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_UNSAFE_KINDS = {"Cc": "a control character", "Cf": "an invisible or bidirectional control character",
                 "Zl": "a line separator", "Zp": "a paragraph separator", "Cs": "a lone surrogate",
                 "Co": "a private-use character", "Cn": "an unassigned character"}


def _unsafe(char: str) -> str | None:
    """What kind of character `char` is when it may not appear in free text; None for printable text."""
    if char.isascii():
        return _UNSAFE_KINDS["Cc"] if _ASCII_UNSAFE.match(char) else None
    return _UNSAFE_KINDS.get(unicodedata.category(char))


def _code(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def printable(text: str) -> str:
    """`text` with every character free text may not hold, line breaks and tabs aside, written as an escape (`\\x1b`,
    `\\u202e`): printed on a terminal it shows rather than acts."""
    if text.isascii() and not _ASCII_UNSAFE_IN_MESSAGES.search(text):
        return text
    return "".join(char if char in "\n\t" or _unsafe(char) is None else char.encode("unicode_escape").decode("ascii")
                   for char in text)


def text(value: str, max_length: int = MAX_LINE) -> str:
    """One line of printable text of at most `max_length` characters, surrounding spaces dropped."""
    stripped = value.strip()
    if not stripped:
        raise ValueError("is empty; write some text")
    if len(stripped) > max_length:
        raise ValueError(f"is {len(stripped)} characters long; at most {max_length} characters are allowed")
    if stripped.isascii() and not _ASCII_UNSAFE.search(stripped):
        return stripped
    for char in stripped:
        kind = _unsafe(char)
        if kind:
            raise ValueError(f"'{printable(stripped)}' contains {kind} ({_code(char)}); only printable text is allowed")
    return stripped


# The everyday address (name.part+tag@host.example.com), which email-validator accepts, checked in a microsecond rather
# than sixty: reading a fleet checks an owner per stack file. Anything else takes email-validator's full rules
# (tests/test_free_text.py holds this regex to being a subset of them).
_PLAIN_EMAIL = re.compile(r"(?=.{6,254}$)(?=[^@]{1,64}@)[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
                          r"@(?:(?!-)(?!..--)[A-Za-z0-9-]{1,63}(?<!-)\.)+[A-Za-z]{2,63}")
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})  # email_validator refuses these


def email(value: str) -> str:
    """An e-mail address (ASCII, with a domain whose last label is two or more letters), as typed less spaces."""
    from email_validator import EmailNotValidError, validate_email

    address = text(value, MAX_EMAIL)
    if _PLAIN_EMAIL.fullmatch(address) and address.rsplit(".", 1)[-1].lower() not in _SPECIAL_USE:
        return address
    try:
        checked = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        words = str(exc).rstrip(".")
        raise ValueError(f"'{address}' is not an e-mail address ({words[:1].lower()}{words[1:]})") from None
    if not re.fullmatch(r"[A-Za-z]{2,}", checked.domain.rsplit(".", 1)[-1]):
        raise ValueError(f"'{address}' is not an e-mail address (its domain must end in two or more letters)")
    return address


@functools.lru_cache(maxsize=4096)
def email_problem(value: str) -> str | None:
    """Why `value` is not an e-mail address, in words; None when it is one.

    Cached: the ownership policy asks about the same few owners for every resource of a fleet (about 60 us a check).
    """
    try:
        email(value)
    except ValueError as exc:
        return str(exc)
    return None


def cost_center(value: str) -> str:
    """A cost center: CC- and 1 to 6 digits."""
    if not COST_CENTER.fullmatch(value):
        raise ValueError(f"'{printable(value)}' is not a cost center: CC- and 1 to 6 digits (e.g. CC-4711)")
    return value


def reason(value: str) -> str:
    """Why something was done: a line of printable text of at most MAX_REASON characters."""
    return text(value, MAX_REASON)


def contact(value: str) -> str:
    """Who is paged: a rota, a channel or an e-mail address; a line of at most MAX_CONTACT characters."""
    return text(value, MAX_CONTACT)


def line(value: str) -> str:
    """A short line of printable text (a ticket id, a name)."""
    return text(value, MAX_LINE)


def option(name: str, value: str, check: Callable[[str], str]) -> str:
    """`value` of the command-line option `name` checked by `check`; BadInput names the option."""
    try:
        return check(value)
    except ValueError as exc:
        raise BadInput(f"{name}: {exc}") from None


def distinct_items(value: str, name: str, max_items: int = MAX_LIST) -> tuple[str, ...]:
    """The comma-separated items of option `name`, each once: a repeat is a mistake, never scheduled twice."""
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    if len(items) > max_items:
        raise BadInput(f"{name}: {len(items)} items; at most {max_items} are allowed")
    return distinct(items, name)


def distinct(items: Iterable[str], name: str) -> tuple[str, ...]:
    """`items` given to option `name`, refused when one is given twice (the last would win silently)."""
    items = tuple(items)
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise BadInput(f"{name}: '{printable(item)}' is given twice")
        seen.add(item)
    return items


# Secrets by their own published shapes (the formats' specifications and the prefixes their issuers document),
# matched anywhere in a value: a parameter is written into the stack file and the pull request in plaintext.
_SECRET_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d|"
                                 r"AGE-SECRET-KEY-1[0-9A-Z]{50,}")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b")),
    ("a token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}|"
                           r"xox[abposr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|"
                           r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})")),
    ("a password", re.compile(r"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|token)\s*[:=]\s*\S+|"
                              r"://[^/\s:@]+:[^/\s@]+@")),
)


def secret_problem(value: str) -> str | None:
    """Why `value` must not be a parameter because it looks like a secret (never echoing it); None otherwise."""
    for what, shape in _SECRET_SHAPES:
        if shape.search(value):
            return (f"looks like {what}; parameters are written to the stack file in plaintext, so secrets are never "
                    f"parameters (keep it in the secret store; a public key is fine)")
    return None
