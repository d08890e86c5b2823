"""Pins at their edges: a pin holds through its last day, an expiry of today is accepted and yesterday's refused, a
malformed pin names its file and field, and setting or removing one keeps every other byte of the stack file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from lifecycle.pins import new_pin, pin_stack, unpin_stack
from store import stack_files
from store.pins import PIN_KEY, Pin, pin_in, pinned_text, read_pin, with_pin
from tests.conftest import SESSION_DAY, make_request

TODAY = SESSION_DAY
PIN = Pin(reason="freeze", approver="lead@example.com", expires=TODAY, version="web-service@2.0.0")


@pytest.fixture
def stacked(repo, catalog, sites):
    stack = resolve(make_request(blueprint="web-service@2.0.0", target="vsphere", region=None, site="ny1"), catalog, sites)
    stack_files.write_stack(repo, stack)
    path = stack_files.stack_path(repo, "payments-dev")
    path.write_text(path.read_text().replace("config:\n", "config:\n  team:note: keep me  # and this comment\n", 1))
    return stack


def test_a_pin_holds_through_its_last_day_and_not_after():
    assert PIN.holds(TODAY - timedelta(days=1)) and PIN.holds(TODAY) and not PIN.holds(TODAY + timedelta(days=1))


def test_a_pin_needs_a_reason_of_three_letters():
    with pytest.raises(ValueError, match="at least 3 characters"):
        Pin(reason="no", approver="lead@example.com", expires=TODAY, version="web-service@2.0.0")
    assert Pin(reason="eol", approver="lead@example.com", expires=TODAY, version="web-service@2.0.0").reason == "eol"


def test_a_file_without_a_pin_has_none(tmp_path):
    path = tmp_path / "Pulumi.x-dev.yaml"
    for data in (None, [], {"config": None}, {"config": []}, {"config": {"aws:region": "us-east-1"}}, {"other": {PIN_KEY: {}}}):
        assert pin_in(path, data) is None, data


def test_a_malformed_pin_names_its_file_and_field(repo, stacked):
    path = stack_files.stack_path(repo, "payments-dev")
    path.write_text(pinned_text(path, PIN).replace(f"expires: '{TODAY}'", "expires: someday"))
    with pytest.raises(BadInput, match=rf"Pulumi.payments-dev.yaml:\d+: config.{PIN_KEY}.expires"):
        read_pin(path)


def test_setting_and_removing_a_pin_keeps_every_other_byte(repo, stacked):
    path = stack_files.stack_path(repo, "payments-dev")
    before = path.read_text()
    pinned = pinned_text(path, PIN)
    path.write_text(pinned)
    assert read_pin(path) == PIN and "team:note: keep me  # and this comment" in pinned
    later = PIN.model_copy(update={"expires": TODAY + timedelta(days=30)})
    assert pin_in(path, {"config": {PIN_KEY: PIN.model_dump(mode="json")}}) == PIN
    path.write_text(with_pin(path, pinned, later))
    assert read_pin(path) == later
    assert with_pin(path, path.read_text(), None) == before
    assert with_pin(path, before, None) == before, "removing no pin changes nothing"


def test_a_file_that_is_not_a_stack_file_cannot_take_a_pin(tmp_path):
    path = tmp_path / "Pulumi.x-dev.yaml"
    for text in ("- a list\n", "config: 3\n", "name: x\n"):
        with pytest.raises(BadInput, match="no 'config' mapping; not a stamped stack file"):
            with_pin(path, text, PIN)


# --- bp pin / bp unpin ----------------------------------------------------------------------------------------------

def test_an_expiry_of_today_is_accepted_and_yesterday_refused(stacked):
    assert new_pin(stacked, "freeze", "lead@example.com", str(TODAY), TODAY).expires == TODAY
    with pytest.raises(BadInput, match=rf"--expires: {TODAY - timedelta(days=1)} is in the past"):
        new_pin(stacked, "freeze", "lead@example.com", str(TODAY - timedelta(days=1)), TODAY)
    # without a day given, the clock's (the tests run on SESSION_DAY)
    assert new_pin(stacked, "freeze", "lead@example.com", str(TODAY)).version == "web-service@2.0.0"
    with pytest.raises(BadInput, match="is in the past"):
        new_pin(stacked, "freeze", "lead@example.com", str(TODAY - timedelta(days=1)))


@pytest.mark.parametrize(("reason", "approver", "expires", "option"), [
    ("no", "lead@example.com", "2999-01-01", "--reason"), ("freeze", "not an address", "2999-01-01", "--approver"),
    ("freeze", "lead@example.com", "soon", "--expires")])
def test_a_bad_pin_option_is_named(stacked, reason, approver, expires, option):
    with pytest.raises(BadInput, match=f"^{option}: "):
        new_pin(stacked, reason, approver, expires, TODAY)


def test_pin_and_unpin_a_stack(repo, stacked):
    path = stack_files.stack_path(repo, "payments-dev")
    assert unpin_stack(repo, "payments-dev") is None
    seen = []
    pin = pin_stack(repo, "payments-dev", "freeze", "lead@example.com", str(TODAY), TODAY, confirm=seen.append)
    assert seen == [pin] and read_pin(path) == pin and pin.version == "web-service@2.0.0"
    longer = pin_stack(repo, "payments-dev", "still frozen", "lead@example.com", str(TODAY + timedelta(days=7)), TODAY)
    assert read_pin(path) == longer != pin, "a holding pin is set anew by bp pin"
    removed = []
    assert unpin_stack(repo, "payments-dev", confirm=removed.append) == longer and removed == [longer]
    assert read_pin(path) is None and "team:note: keep me" in path.read_text()
