"""The invariants every change of a stack file keeps, each at its edge and under each flag that may waive it: the
stack's name, a retirement, a pin through its last day, a pin's version, placements and networks; and what a change
writes (nothing when nothing changed, every other byte kept)."""

from __future__ import annotations

from datetime import timedelta
from ipaddress import ip_network

import pytest

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from blueprints.resolved import Retirement
from store import ledger, stack_files
from store.change import Allow, Outcome, Proposed, Snapshot, carried_pin, change, check_invariants, render_change
from store.ledger import ledger_path
from store.pins import Pin, pinned_text
from tests.conftest import SESSION_DAY, make_request

TODAY = SESSION_DAY
RETIRED = Retirement(since=TODAY, reason="moving away")


def _pin(expires=TODAY, version="vm-app@1.0.0") -> Pin:
    return Pin(reason="freeze", approver="lead@example.com", expires=expires, version=version)


@pytest.fixture
def state(repo, catalog, sites):
    """A vm-app stack (it holds a network of its own), as read under the lock."""
    stack = resolve(make_request(blueprint="vm-app@1.0.0", target="vsphere", region=None, site="ny1"), catalog, sites)
    stack_files.write_stack(repo, stack)
    return Snapshot(repo).existing("payments-dev")


def _at(stack, ref: str):
    return stack.model_copy(update={"request": stack.request.model_copy(update={"blueprint": ref})})


def _with_pin(repo, pin: Pin):
    path = stack_files.stack_path(repo, "payments-dev")
    path.write_text(pinned_text(path, pin))
    return Snapshot(repo).existing("payments-dev")


def test_a_change_keeps_the_stacks_name(state, catalog, sites):
    other = resolve(make_request(team="orders", blueprint="vm-app@1.0.0", target="vsphere", region=None, site="ny1"),
                    catalog, sites)
    with pytest.raises(BadInput, match="a change of payments-dev produced stack orders-dev"):
        check_invariants(state, Proposed(other, None), TODAY)
    later = other.model_copy(update={"request": other.request.model_copy(update={"team": "zeta"})})
    with pytest.raises(BadInput, match="a change of payments-dev produced stack zeta-dev"):
        check_invariants(state, Proposed(later, None), TODAY)
    check_invariants(state, Proposed(state.stack, None), TODAY)


def test_a_retirement_is_kept_by_every_change_and_may_be_set(repo, state):
    retired = state.stack.model_copy(update={"retirement": RETIRED})
    check_invariants(state, Proposed(retired, None), TODAY)  # `bp retire`
    stack_files.write_stack(repo, retired, force=True)
    now = Snapshot(repo).existing("payments-dev")
    check_invariants(now, Proposed(retired, None), TODAY)
    for changed in (None, Retirement(since=TODAY - timedelta(days=1), reason="moving away")):
        with pytest.raises(BadInput, match=rf"payments-dev is retired since {TODAY} \(moving away\); a change keeps that"):
            check_invariants(now, Proposed(retired.model_copy(update={"retirement": changed}), None), TODAY)


@pytest.mark.parametrize("allow", [Allow(), Allow(unpin=True), Allow(repin=True), Allow(move=True)])
def test_a_pin_that_holds_through_today_is_changed_only_with_unpin_or_repin(repo, state, allow):
    pinned = _with_pin(repo, _pin(expires=TODAY))
    for after in (None, _pin(expires=TODAY + timedelta(days=30))):
        if allow.unpin or allow.repin:
            check_invariants(pinned, Proposed(pinned.stack, after, allow), TODAY)
        else:
            with pytest.raises(BadInput, match=f"payments-dev is pinned at vm-app@1.0.0 until {TODAY} by "
                                               r"lead@example.com \(freeze\); pass --unpin to change that"):
                check_invariants(pinned, Proposed(pinned.stack, after, allow), TODAY)
    check_invariants(pinned, Proposed(pinned.stack, pinned.pin, allow), TODAY)
    check_invariants(pinned, Proposed(pinned.stack, pinned.pin.model_copy(), allow), TODAY)  # an equal pin is kept


def test_a_pin_that_expired_yesterday_may_be_dropped(repo, state):
    pinned = _with_pin(repo, _pin(expires=TODAY - timedelta(days=1)))
    check_invariants(pinned, Proposed(pinned.stack, None), TODAY)


def test_a_pin_names_the_version_its_stack_is_on_whenever_either_changes(repo, state):
    pinned = _with_pin(repo, _pin())
    moved = _at(pinned.stack, "vm-app@1.1.0")
    for allow in (Allow(), Allow(unpin=True), Allow(repin=True)):
        with pytest.raises(BadInput, match="pass --unpin to move it to vm-app@1.1.0 and remove the pin"):
            check_invariants(pinned, Proposed(moved, pinned.pin, allow), TODAY)
    with pytest.raises(BadInput, match="pass --unpin to move it to vm-app@0.9.0"):  # a forced downgrade too
        check_invariants(pinned, Proposed(_at(pinned.stack, "vm-app@0.9.0"), pinned.pin), TODAY)
    with pytest.raises(BadInput, match="pass --unpin to move it to vm-app@1.0.0"):
        check_invariants(pinned, Proposed(pinned.stack, _pin(version="vm-app@0.9.0"), Allow(repin=True)), TODAY)
    check_invariants(pinned, Proposed(moved, _pin(version="vm-app@1.1.0"), Allow(repin=True)), TODAY)
    check_invariants(pinned, Proposed(moved, None, Allow(unpin=True)), TODAY)


def test_a_pin_left_on_another_version_by_hand_does_not_block_an_unrelated_change(repo, state):
    stale_pin = _with_pin(repo, _pin(version="vm-app@0.9.0"))
    check_invariants(stale_pin, Proposed(stale_pin.stack, stale_pin.pin), TODAY)
    check_invariants(stale_pin, Proposed(stale_pin.stack, stale_pin.pin.model_copy()), TODAY)
    same_version = "@".join(stale_pin.stack.blueprint_ref.split("@"))  # a re-stamp's ref: equal, not the same object
    check_invariants(stale_pin, Proposed(_at(stale_pin.stack, same_version), stale_pin.pin), TODAY)


def test_a_new_stack_file_with_a_pin_must_name_its_version(repo, catalog, sites):
    new = Snapshot(repo).state("payments-dev")
    stack = resolve(make_request(blueprint="vm-app@1.0.0", target="vsphere", region=None, site="ny1"), catalog, sites)
    with pytest.raises(BadInput, match="pass --unpin to move it to vm-app@1.0.0"):
        check_invariants(new, Proposed(stack, _pin(version="vm-app@0.9.0")), TODAY)
    check_invariants(new, Proposed(stack, _pin()), TODAY)
    check_invariants(new, Proposed(stack, None), TODAY)


@pytest.mark.parametrize("part", ["cidr", "vlan", "pool"])
def test_a_placement_or_network_moves_only_with_move_network(state, part):
    placement = state.stack.primary
    net = placement.network
    changed = {"cidr": lambda: placement.model_copy(update={"network": net.model_copy(update={"cidr": net.cidr.supernet(1)})}),
               "vlan": lambda: placement.model_copy(update={"network": net.model_copy(update={"vlan": net.vlan + 1})}),
               "pool": lambda: placement.model_copy(update={"pool": "nj2-nonprod"})}[part]()
    moved = state.stack.model_copy(update={"placements": (changed,)})
    for allow in (Allow(), Allow(unpin=True), Allow(repin=True)):
        with pytest.raises(BadInput, match="payments-dev would move from its placement and network; only --move-network"):
            check_invariants(state, Proposed(moved, None, allow), TODAY)
    check_invariants(state, Proposed(moved, None, Allow(move=True)), TODAY)


# --- carried_pin: the pin a version move keeps ----------------------------------------------------------------------

def test_the_pin_a_move_carries(repo, state):
    assert carried_pin(state, "vm-app@1.1.0", False, TODAY) == (None, ())
    pinned = _with_pin(repo, _pin(expires=TODAY))
    assert carried_pin(pinned, "vm-app@1.0.0", False, TODAY + timedelta(days=1)) == (pinned.pin, ()), "same version"
    assert carried_pin(pinned, "vm-app@1.1.0", False, TODAY) == (pinned.pin, ()), "holds today: refused later"
    for to in ("vm-app@1.1.0", "vm-app@0.9.0"):  # an upgrade, and a forced downgrade below the pinned version
        assert carried_pin(pinned, to, False, TODAY + timedelta(days=1)) == (
            None, (f"expired pin removed (was pinned at vm-app@1.0.0 until {TODAY})",)), to
    assert carried_pin(pinned, "vm-app@1.0.0", True, TODAY) == (
        None, (f"pin removed (was pinned at vm-app@1.0.0 until {TODAY} by lead@example.com (freeze))",))


# --- what a change writes -------------------------------------------------------------------------------------------

def test_an_unchanged_stack_is_written_back_byte_for_byte_and_a_new_one_rendered(repo, state, catalog, sites):
    text = state.text + "# a note someone added\n"
    kept = state.__class__(state.name, state.path, text, state.stack, state.pin)
    same = Proposed(state.stack, None)
    assert render_change(kept, same) == text
    assert not Outcome(kept, same, render_change(kept, same)).changed
    assert not Outcome(kept, same, (text + " ")[:-1]).changed, "an equal text, however made, is no change"
    assert Outcome(kept, same, text + "# more\n").changed
    assert state.legacy is False, "a file that records decisions is not a legacy one"
    # A file whose text says other than its decisions (as one with fleet tables does) is rewritten only when legacy.
    edited = text.replace("owner: lead@example.com", "owner: ops@example.com")
    assert render_change(state.__class__(state.name, state.path, edited, state.stack, state.pin), same) == edited
    legacy = state.__class__(state.name, state.path, edited, state.stack, state.pin, legacy=True)
    assert render_change(legacy, same) == text, "a file with fleet tables is rewritten whatever changes"
    new = Snapshot(repo).state("orders-dev")
    orders = resolve(make_request(team="orders", blueprint="vm-app@1.0.0", target="vsphere", region=None, site="ny1"),
                     catalog, sites, [state.stack])
    assert render_change(new, Proposed(orders, None)) == stack_files.render(orders)
    pinned = render_change(kept, Proposed(state.stack, _pin()))
    assert pinned != text and pinned.startswith(text.split("config:")[0])


def test_a_change_that_moves_no_allocation_writes_no_ledger_and_one_that_changes_nothing_no_file(repo, state):
    ledger = ledger_path(stack_files.stacks_folder(repo))
    mtime = state.path.stat().st_mtime_ns
    done = change(repo, lambda snap: {"payments-dev": Proposed(snap.existing("payments-dev").stack, None)}, today=TODAY)
    assert not done["payments-dev"].changed and state.path.stat().st_mtime_ns == mtime
    pinned = change(repo, lambda snap: {"payments-dev": Proposed(snap.existing("payments-dev").stack, _pin(),
                                                                 Allow(repin=True))}, today=TODAY)
    assert pinned["payments-dev"].changed and not ledger.exists(), "a pin allocates nothing: the ledger is not written"


def test_a_ledger_that_already_holds_a_new_stacks_lines_is_not_rewritten(repo, state):
    path = ledger_path(stack_files.stacks_folder(repo))
    ledger_text = ledger.HEADER + "".join(f"{line}\n" for line in ledger.entries([state.stack]))
    path.write_text(ledger_text)
    state.path.unlink()  # the stack file removed by hand; its ledger lines stay
    written = path.stat()
    done = change(repo, lambda snap: {"payments-dev": Proposed(state.stack, None)}, today=TODAY)
    assert done["payments-dev"].changed and state.path.exists()
    assert path.read_text() == ledger_text
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns), "not rewritten"


def test_a_missing_stack_is_bad_input_naming_the_ones_there_are(repo, state):
    assert Snapshot(repo).state("orders-dev").stack is None
    with pytest.raises(BadInput, match="payments-dev"):
        Snapshot(repo).existing("orders-dev")


def test_a_change_that_moves_a_network_records_it_in_the_ledger_and_only_that_stacks_lines(repo, state):
    folder = stack_files.stacks_folder(repo)
    someone = "ny1-nonprod 10.0.0.0/30 3999 someone-else"
    ledger_path(folder).write_text(ledger.HEADER + f"{someone}\n" + "".join(f"{line}\n" for line in ledger.entries([state.stack])))
    placement = state.stack.primary
    cidr = placement.network.cidr
    higher = ip_network(f"{cidr.network_address + cidr.num_addresses}/{cidr.prefixlen}")  # the next block up
    moved_placement = placement.model_copy(update={"network": placement.network.model_copy(update={"cidr": higher})})
    moved = state.stack.model_copy(update={"placements": (moved_placement,)})
    change(repo, lambda snap: {"payments-dev": Proposed(moved, None, Allow(move=True))}, today=TODAY)
    assert ledger_path(folder).read_text() == ledger.HEADER + f"{someone}\n" + "".join(
        f"{line}\n" for line in ledger.entries([moved]))
    assert str(higher) in ledger_path(folder).read_text()
    change(repo, lambda snap: {"payments-dev": Proposed(state.stack, None, Allow(move=True))}, today=TODAY)  # and back
    assert ledger_path(folder).read_text() == ledger.HEADER + f"{someone}\n" + "".join(
        f"{line}\n" for line in ledger.entries([state.stack]))


def test_what_a_change_read_and_proposed_cannot_be_changed_on_the_way(state):
    from dataclasses import FrozenInstanceError

    proposed = Proposed(state.stack, None)
    for value, field in ((state, "pin"), (Allow(), "move"), (proposed, "allow"), (Outcome(state, proposed, ""), "text")):
        with pytest.raises(FrozenInstanceError):
            setattr(value, field, None)


def test_a_change_waives_nothing_unless_asked():
    assert Allow() == Allow(move=False, unpin=False, repin=False)


def test_an_equal_stack_and_pin_leave_the_file_byte_for_byte_even_where_it_was_written_by_hand(repo, state):
    pinned = _with_pin(repo, _pin())
    text = pinned.text.replace("    request:\n", "    request:  # reviewed by ops\n", 1).replace(
        "    reason: freeze\n", "    reason: freeze  # agreed in the change board\n", 1)
    assert text.count("# reviewed by ops") == 1 and text.count("# agreed in the change board") == 1
    by_hand = pinned.__class__(pinned.name, pinned.path, text, pinned.stack, pinned.pin)
    equal = Proposed(pinned.stack.model_copy(), pinned.pin.model_copy())
    assert equal.stack == pinned.stack and equal.stack is not pinned.stack and equal.pin is not pinned.pin
    assert render_change(by_hand, equal) == text
