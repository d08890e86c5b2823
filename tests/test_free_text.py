"""Text people type: one set of rules for owner, contact, approver, reasons and cost center, in models and options;
terminals and HTML reports never receive it raw."""

from __future__ import annotations

import io
import time
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blueprints import free_text
from store.stack_files import stack_path
from tests.test_cli_robustness import NEW

ESC, RLO, LRI, ZWSP, BOM = "\x1b[2J", "\u202e", "\u2066", "\u200b", "\ufeff"
UNSAFE = {"terminal escape": f"lead{ESC}", "right-to-left override": f"lead{RLO}moc", "isolate": f"a{LRI}b",
          "zero-width space": f"lead{ZWSP}", "byte order mark": f"{BOM}lead", "line break": "a\nb", "tab": "a\tb",
          "bell": "a\x07b", "C1 control": "a\x9bb", "line separator": "a\u2028b"}


@pytest.mark.parametrize("check, good, bad", [
    (free_text.email, ["lead@example.com", "pay-ments.lead+oncall@corp.example.org", " lead@example.com "],
     ["bob", "   ", "", "[/]x@example.com", "a@b.c", "lead@", "@example.com", "a..b@example.com", "ü@example.com",
      "x" * 250 + "@example.com"]),
    (free_text.contact, ["#payments-oncall", "payments-oncall@example.com", "Rota: payments (EU) — page 24/7"],
     ["", "   ", "x" * 129]),
    (free_text.reason, ["vendor freeze until the audit closes", "latency < 5 ms & p99 > 20 ms"], ["", " \t ", "x" * 501]),
    (free_text.cost_center, ["CC-1", "CC-4711", "CC-123456"], ["CC-XXX68", "CC-1234567", "cc-1", "CC 1", "CC-", "4711"]),
])
def test_each_kind_of_free_text(check, good, bad):
    for value in good:
        assert check(value) == value.strip(), value
    for value in bad:
        with pytest.raises(ValueError):
            check(value)


@pytest.mark.parametrize("name", UNSAFE)
@pytest.mark.parametrize("check", [free_text.email, free_text.contact, free_text.reason, free_text.line])
def test_control_bidirectional_and_invisible_characters_are_refused(check, name):
    value = UNSAFE[name] if check is not free_text.email else UNSAFE[name] + "@example.com"
    with pytest.raises(ValueError) as caught:
        check(value)
    message = str(caught.value)
    assert "U+" in message or "not an e-mail address" in message, message
    assert free_text.printable(message) == message, "the refusal itself carries the raw character"


def test_printable_shows_what_would_act_on_a_terminal():
    assert free_text.printable(f"a{ESC}b{RLO}c{ZWSP}d\ne\tf é ✓") == "a\\x1b[2Jb\\u202ec\\u200bd\ne\tf é ✓"
    assert free_text.printable("plain text") == "plain text"


@pytest.mark.parametrize("option, value, words", [
    ("--owner", f"lead{ESC}@example.com", "control character"),
    ("--owner", "bob", "not an e-mail address"),
    ("--owner", "   ", "is empty"),
    ("--contact", f"#payments{RLO}llacno", "U+202E"),
    ("--contact", f"#payments{ZWSP}", "U+200B"),
    ("--cost-center", "CC-XXX68", "not a cost center"),
])
def test_bp_new_refuses_bad_free_text_and_writes_nothing(bp, repo, option, value, words):
    args = list(NEW)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    result = bp(*args)
    assert result.exit_code == 2 and words in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "\x1b" not in result.output and RLO not in result.output and ZWSP not in result.output
    assert not list((repo / "stacks").glob("Pulumi.*"))


@pytest.mark.parametrize("approver, words", [
    ("bob", "not an e-mail address"), ("   ", "is empty"), ("[/]x@example.com", "not an e-mail address"),
    (f"ops{ESC}@example.com", "control character"),
])
def test_bp_pin_refuses_an_approver_that_is_not_an_address(bp, repo, approver, words):
    assert bp(*NEW).exit_code == 0
    before = stack_path(repo, "payments-dev").read_text()
    result = bp("pin", "payments-dev", "--reason", "vendor freeze", "--approver", approver, "--expires", "2999-01-01")
    assert result.exit_code == 2 and f"--approver: " in result.output and words in result.output, result.output
    assert "Traceback" not in result.output and "\x1b" not in result.output
    assert stack_path(repo, "payments-dev").read_text() == before


@pytest.mark.parametrize("reason", ["   ", f"done{ESC}", f"done{RLO}", "x" * 501])
def test_bp_retire_refuses_a_bad_reason(bp, repo, reason):
    assert bp(*NEW).exit_code == 0
    before = stack_path(repo, "payments-dev").read_text()
    result = bp("retire", "payments-dev", "--reason", reason)
    assert result.exit_code == 2 and "--reason: " in result.output, result.output
    assert stack_path(repo, "payments-dev").read_text() == before


def test_a_hand_edited_stack_never_writes_raw_control_characters_to_the_terminal(bp, repo):
    assert bp(*NEW).exit_code == 0
    path = stack_path(repo, "payments-dev")
    path.write_text(path.read_text().replace("owner: lead@example.com", f'owner: "lead\\e[2J{RLO}@example.com"', 1))
    result = bp("stacks", "list")
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output and RLO not in result.output
    assert "\\x1b[2J" in result.output and "\\u202e" in result.output


def test_the_console_prints_user_text_escaped_even_in_a_table():
    from rich.table import Table

    from cli.context import _Console

    out = io.StringIO()
    console = _Console(file=out, force_terminal=True, color_system=None, width=200)
    table = Table("owner")
    table.add_row(f"lead{ESC}{RLO}")
    console.print(table)
    console.print(f"stack payments-dev owned by lead{ESC}")
    assert "\x1b" not in out.getvalue() and RLO not in out.getvalue()
    assert out.getvalue().count("\\x1b[2J") == 2


def _policy_verdict(tags: dict) -> list[str]:
    from policy_packs.policies import baseline

    rule = next(r for r in baseline.RULES if r.name == "cloudblueprints-ownership-resource-tags")
    config = {key: spec["default"] for key, spec in rule.config.items()}
    found: list[str] = []
    rule.check(SimpleNamespace(resource_type="aws:s3/bucket:Bucket", props={"tags": tags}), found.append, config)
    return found


@pytest.mark.parametrize("cost_center", ["CC-1", "CC-4711", "CC-123456", "CC-XXX68", "CC-1234567", "cc-1", "CC-0x1F"])
def test_bp_new_and_the_ownership_policy_agree_on_cost_centers(bp, repo, cost_center):
    """The same value through `bp new` and through the policy that audits the tags it becomes."""
    from store.stack_files import read_stack

    args = list(NEW)
    args[args.index("--cost-center") + 1] = cost_center
    stamped = bp(*args).exit_code == 0
    tags = read_stack(stack_path(repo, "payments-dev")).tags() if stamped else {
        "team": "payments", "owner": "lead@example.com", "cost-center": cost_center, "env": "dev",
        "blueprint": "vm-app@1.0.0", "managed-by": "cloud-blueprints"}
    assert stamped == (not _policy_verdict(tags)), (cost_center, _policy_verdict(tags))


@pytest.mark.parametrize("owner", ["lead@example.com", "a@b.c", "x@localhost"])
def test_bp_new_and_the_ownership_policy_agree_on_owners(bp, repo, owner):
    args = list(NEW)
    args[args.index("--owner") + 1] = owner
    stamped = bp(*args).exit_code == 0
    tags = {"team": "payments", "owner": owner, "cost-center": "CC-1", "env": "dev", "blueprint": "vm-app@1.0.0",
            "managed-by": "cloud-blueprints"}
    assert stamped == (not _policy_verdict(tags)), owner


def test_html_and_markdown_reports_escape_user_text():
    from datetime import date

    from audit.run import AuditReport
    from policy_packs.exemptions import Exemption
    from reports.audit import to_markdown
    from reports.audit_html import audit_page

    exemption = Exemption(policy="aws-s3-bucket-versioning", stack="payments-*", resource="*",
                          reason="<script>alert(1)</script> accepted", approver="risk@example.com",
                          ticket="<b>RISK-1</b>", expires=date(2099, 1, 1))
    report = AuditReport(results=[], policies={}, exemptions=[exemption], unused=[])
    for page in (audit_page(report), to_markdown(report)):
        assert "<script>" not in page and "<b>RISK" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; accepted" in page


@pytest.mark.parametrize("waves", ["dev,dev", "dev,test,dev", ",".join(["dev"] * 20_000)])
def test_waves_refuse_repeats_quickly(bp, repo, waves):
    start = time.perf_counter()
    result = bp("fleet", "upgrade", "plan", "--blueprint", "web-service", "--to", "2.1.0", "--waves", waves)
    assert result.exit_code == 2 and "--waves: " in result.output, result.output
    assert "given twice" in result.output or "at most 64" in result.output
    assert time.perf_counter() - start < 5


def test_a_parameter_given_twice_is_refused(bp, repo):
    result = bp(*NEW[:3], "web-service", "--env", "dev", "--region", "amer", *NEW[8:],
                "--param", "postgres_version=15", "--param", "postgres_version=16")
    assert result.exit_code == 2 and "--param: 'postgres_version' is given twice" in result.output, result.output
    assert not list((repo / "stacks").glob("Pulumi.*"))


def test_a_stack_named_twice_is_refused(bp, repo):
    assert bp(*NEW).exit_code == 0
    result = bp("validate", "payments-dev", str(repo / "stacks" / "Pulumi.payments-dev.yaml"))
    assert result.exit_code == 2 and "STACKS: 'payments-dev' is given twice" in result.output, result.output


_ATOM = st.from_regex(r"[A-Za-z0-9_%+-]{1,8}", fullmatch=True)
_LABEL = st.from_regex(r"[A-Za-z0-9-]{1,8}", fullmatch=True) | st.sampled_from(["ab--cd", "xn--80ak6aa92e", "a-", "-a", "9a"])
_ADDRESS = st.builds(lambda local, labels, tld: f"{'.'.join(local)}@{'.'.join([*labels, tld])}",
                     st.lists(_ATOM, min_size=1, max_size=3), st.lists(_LABEL, min_size=1, max_size=3),
                     st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,5}", fullmatch=True) | st.sampled_from(["test", "local", "com"]))


@settings(max_examples=500, deadline=None)
@given(_ADDRESS)
def test_the_quick_email_check_accepts_only_what_email_validator_accepts(address):
    """The regex that spares most addresses email-validator's sixty microseconds is a subset of its rules."""
    from email_validator import EmailNotValidError, validate_email

    if not free_text._PLAIN_EMAIL.fullmatch(address) or address.rsplit(".", 1)[-1].lower() in free_text._SPECIAL_USE:
        return
    try:
        validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        pytest.fail(f"{address!r} passes the quick check but not email-validator: {exc}")


def test_brackets_in_user_text_print_as_text_after_a_write(bp, repo):
    assert bp(*NEW).exit_code == 0
    result = bp("retire", "payments-dev", "--reason", "[/] done [bold]now")
    assert result.exit_code == 0 and "([/] done [bold]now)" in result.output, result.output
    path = stack_path(repo, "payments-dev")
    path.write_text(path.read_text().replace("owner: lead@example.com", 'owner: "[/]x@example.com"', 1))
    result = bp("fleet", "check")
    assert result.exit_code == 1 and "'[/]x@example.com' is not an e-mail address" in result.output, result.output
