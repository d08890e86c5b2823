"""The ledger and the lock, in process: lines sorted so that two branches taking one range conflict, a check that
notices every line too many or too few, and a lock that a second holder waits for and names."""

from __future__ import annotations

import os
import time
from ipaddress import IPv4Network

import pytest

from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from store import ledger
from store.lock import holder, lock_path, repo_lock
from tests.conftest import make_request

VM = dict(blueprint="vm-app", site="ldn1", region=None, target="vsphere")


def _at(bp, cidr: str, stack: str | None = None, pool: str | None = None):
    """The stack with its first placement moved to `cidr` (and renamed to `stack`), to set up ranges exactly."""
    p = bp.primary
    moved = p.model_copy(update={"network": p.network.model_copy(update={"cidr": IPv4Network(cidr)}),
                                 **({"pool": pool} if pool else {})})
    team = stack.removesuffix(f"-{bp.request.env}") if stack else bp.request.team
    request = bp.request.model_copy(update={"team": team})
    return bp.model_copy(update={"request": request, "placements": (moved, *bp.placements[1:])})


@pytest.fixture(scope="module")
def vm(catalog, sites):
    return resolve(make_request(team="vmteam", **VM), catalog, sites)


@pytest.fixture(scope="module")
def aws(catalog, sites):
    return resolve(make_request(team="awsteam", blueprint="web-service", target="aws"), catalog, sites)


def test_lines_sort_by_pool_then_numeric_address_then_size_then_stack(vm):
    stacks = [_at(vm, "10.80.10.0/26", "cc-dev"), _at(vm, "10.80.9.0/26", "bb-dev"), _at(vm, "10.80.9.0/25", "aa-dev"),
              _at(vm, "10.80.9.0/26", "aa2-dev"), _at(vm, "10.0.0.0/26", "zz-dev", pool="aaa-pool")]
    lines = ledger.entries(stacks)
    assert [ledger.stack_of(line) for line in lines] == ["zz-dev", "aa-dev", "aa2-dev", "bb-dev", "cc-dev"], lines
    assert lines[1] == f"{vm.primary.pool} 10.80.9.0/25 {vm.primary.network.vlan} aa-dev"


def test_a_placement_without_a_network_sorts_after_the_pools_networks_and_reads_as_dashes(vm, aws):
    bare = aws.model_copy(update={"placements": tuple(p.model_copy(update={"network": None}) for p in aws.placements)})
    pool = aws.primary.pool
    with_net = _at(vm, "10.0.0.0/26", "net-dev", pool=pool)
    assert ledger.entries([bare, with_net]) == [f"{pool} 10.0.0.0/26 {vm.primary.network.vlan} net-dev",
                                                f"{pool} - - {aws.stack}"]


def test_an_aws_network_has_no_vlan(aws):
    (line,) = ledger.entries([aws])
    assert line == f"{aws.primary.pool} {aws.primary.network.cidr} - {aws.stack}"


def test_two_branches_taking_the_same_range_insert_at_the_same_place(vm):
    """What makes git conflict: both new lines land between the same two neighbours."""
    base = [_at(vm, "10.80.0.0/26", "low-dev"), _at(vm, "10.80.0.128/26", "high-dev")]
    ours = ledger.entries([*base, _at(vm, "10.80.0.64/26", "ours-dev")])
    theirs = ledger.entries([*base, _at(vm, "10.80.0.64/26", "theirs-dev")])
    at = [i for i, line in enumerate(ours) if "ours-dev" in line]
    assert at == [i for i, line in enumerate(theirs) if "theirs-dev" in line] == [1]
    assert ours[0] == theirs[0] and ours[2] == theirs[2]


def test_the_ledger_round_trips_and_ignores_comments(tmp_path, vm, aws):
    path = ledger.write(tmp_path, [aws, vm])
    assert path == tmp_path / "allocations.txt" and path.read_text().startswith(ledger.HEADER)
    assert ledger.read(tmp_path) == ledger.entries([vm, aws])
    assert ledger.check(tmp_path, [vm, aws]) == []
    path.write_text(path.read_text() + "   # a note\n\n")
    assert ledger.check(tmp_path, [vm, aws]) == []


def test_a_line_no_stack_file_has_is_a_problem_named_by_its_stack(tmp_path, vm, aws):
    ledger.write(tmp_path, [vm, aws])
    problems = ledger.check(tmp_path, [vm])
    (line,) = ledger.entries([aws])
    assert problems == [(aws.stack, f"allocations.txt holds '{line}', which no stack file has; run `bp stacks ledger`")]


def test_a_stack_the_ledger_lacks_is_a_problem_and_so_is_a_changed_range(tmp_path, vm, aws):
    ledger.write(tmp_path, [vm])
    (line,) = ledger.entries([aws])
    assert ledger.check(tmp_path, [vm, aws]) == [(aws.stack, f"allocations.txt lacks '{line}'; run `bp stacks ledger`")]
    moved = _at(vm, "10.80.200.0/26")
    vlan = vm.primary.network.vlan
    assert ledger.check(tmp_path, [moved]) == [(vm.stack, (
        f"the file holds {vm.primary.pool} 10.80.200.0/26 {vlan}, allocations.txt recorded {vm.primary.pool} "
        f"{vm.primary.network.cidr} {vlan}: an allocation `bp new` did not make; restore the recorded one, or move it "
        "with `bp new --force --move-network` (`bp stacks ledger --accept-moves` only after checking the file "
        "is right)"))]


def test_rewriting_the_ledger_never_blesses_a_network_moved_by_hand_unless_told(tmp_path, vm, aws):
    path = ledger.write(tmp_path, [vm, aws])
    before = path.read_text()
    moved = _at(vm, "10.80.200.0/26")
    with pytest.raises(BadInput, match=rf"{vm.stack}: the file holds {vm.primary.pool} 10.80.200.0/26 .*"
                       rf"allocations.txt recorded {vm.primary.pool} {vm.primary.network.cidr} .*--accept-moves"):
        ledger.write(tmp_path, [moved, aws])
    assert path.read_text() == before
    ledger.write(tmp_path, [vm, aws])  # nothing moved: rewritten as it was
    assert path.read_text() == before
    ledger.write(tmp_path, [moved, aws], accept_moves=True)
    assert ledger.check(tmp_path, [moved, aws]) == []


def test_either_side_of_a_conflict_in_the_ledger_counts_as_recorded(tmp_path, vm, aws):
    moved = _at(vm, "10.80.200.0/26")
    (ours,), (theirs,), (other,) = ledger.entries([vm]), ledger.entries([moved]), ledger.entries([aws])
    ledger.ledger_path(tmp_path).write_text(f"{other}\n<<<<<<< HEAD\n{ours}\n=======\n{theirs}\n>>>>>>> branch\n")
    ledger.write(tmp_path, [moved, aws])
    assert ledger.check(tmp_path, [moved, aws]) == []


def test_a_missing_ledger_is_a_problem_only_when_there_are_stacks(tmp_path, vm):
    assert ledger.read(tmp_path) is None
    assert ledger.check(tmp_path, []) == []
    assert ledger.check(tmp_path, [vm]) == [("allocations.txt", "missing; run `bp stacks ledger` to write it from the stack files")]


@pytest.mark.parametrize("marker", ["<<<<<<< HEAD", "=======", ">>>>>>> branch"])
def test_conflict_markers_are_one_problem_of_the_file(tmp_path, vm, marker):
    path = ledger.write(tmp_path, [vm])
    path.write_text(path.read_text() + marker + "\n")
    assert ledger.check(tmp_path, [vm]) == [
        ("allocations.txt", "holds merge conflict markers: keep both sides' stack files, then run `bp stacks ledger`")]


def test_stack_of_is_the_last_word():
    assert ledger.stack_of("pool 10.0.0.0/26 7 shop-dev") == "shop-dev"
    assert ledger.stack_of("   ") == ""


# --- the lock ---------------------------------------------------------------------------------------------------

def test_a_second_holder_waits_its_timeout_and_is_told_who_holds_the_lock(tmp_path):
    with repo_lock(tmp_path):
        pid, host, since = lock_path(tmp_path).read_text().split()
        assert pid == str(os.getpid()) and abs(float(since) - time.time()) < 60
        started = time.monotonic()
        with pytest.raises(BadInput, match=rf"another bp holds the allocation lock \(pid {os.getpid()} on {host} since"):
            with repo_lock(tmp_path, timeout=0.3):
                pytest.fail("two holders at once")
        assert time.monotonic() - started >= 0.3, "gave up before its timeout"
    with repo_lock(tmp_path, timeout=0):
        pass  # released on leaving the block: taken at once


def test_a_waiting_holder_takes_the_lock_soon_after_it_is_released(tmp_path):
    import threading

    held, release = threading.Event(), threading.Event()

    def hold():
        with repo_lock(tmp_path):
            held.set()
            release.wait(5)

    other = threading.Thread(target=hold)
    other.start()
    held.wait(5)
    threading.Timer(0.1, release.set).start()
    started = time.monotonic()
    with repo_lock(tmp_path, timeout=5):
        waited = time.monotonic() - started
    other.join()
    assert 0.1 <= waited < 0.6, f"took the released lock after {waited:.2f}s"


def test_the_lock_file_is_readable_by_all_and_writable_by_its_owner(tmp_path):
    import stat

    umask = os.umask(0)
    os.umask(umask)
    with repo_lock(tmp_path):
        pass
    assert stat.S_IMODE(lock_path(tmp_path).stat().st_mode) == 0o644 & ~umask


def test_a_lock_released_by_an_exception_is_free_again(tmp_path):
    with pytest.raises(RuntimeError):
        with repo_lock(tmp_path):
            raise RuntimeError("boom")
    with repo_lock(tmp_path, timeout=0):
        pass


def test_a_garbled_holder_record_is_an_unknown_process(tmp_path):
    lock_path(tmp_path).write_text("not a record")
    assert holder(lock_path(tmp_path)) == "an unknown process"
    assert holder(tmp_path / "absent") == "an unknown process"


def test_a_lock_that_cannot_be_created_is_one_line(tmp_path):
    with pytest.raises(BadInput, match="cannot create the allocation lock"):
        with repo_lock(tmp_path / "no" / "such" / "dir"):
            pass


# --- amending the ledger: a change records its own lines and no one else's -----------------------------------------

def test_an_amended_ledger_replaces_the_changed_stacks_lines_and_keeps_the_rest_as_recorded(tmp_path, vm, aws):
    other = _at(vm, "10.80.9.0/26", "other-dev")
    ledger.write(tmp_path, [vm, other])
    hand_edited = _at(other, "10.80.99.0/26")  # another file edited by hand: its recorded line stays
    moved = _at(vm, "10.80.200.0/26")
    text = ledger.amended(tmp_path, [moved, aws], [moved, hand_edited, aws])
    assert text.startswith(ledger.HEADER)
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines == sorted(ledger.entries([moved, other, aws]), key=ledger._line_key) == [
        ledger.entries([other])[0], ledger.entries([moved])[0], ledger.entries([aws])[0]]


@pytest.mark.parametrize("marker", [None, "<<<<<<< HEAD", "=======", ">>>>>>> theirs"])
def test_without_a_usable_ledger_the_amended_one_is_written_from_the_stack_files(tmp_path, vm, aws, marker):
    if marker:
        path = ledger.write(tmp_path, [vm])
        path.write_text(path.read_text() + marker + "\n")
    assert ledger.amended(tmp_path, [aws], [vm, aws]) == ledger.render([vm, aws])


def test_ledger_lines_sort_numerically_and_a_line_without_a_network_last_in_its_pool(vm):
    lines = ["p 10.0.10.0/24 - b-dev", "p - - a-dev", "p 10.0.9.0/24 - c-dev", "p 10.0.9.0/25 - d-dev", "o - - e-dev"]
    assert sorted(lines, key=ledger._line_key) == [
        "o - - e-dev", "p 10.0.9.0/24 - c-dev", "p 10.0.9.0/25 - d-dev", "p 10.0.10.0/24 - b-dev", "p - - a-dev"]
    # A line that is not four words sorts by its text, never breaking the sort.
    assert sorted(["p 10.0.0.0/24 - a-dev", "garbage"], key=ledger._line_key) == ["garbage", "p 10.0.0.0/24 - a-dev"]
    assert ledger._line_key("not four words") == ("not four words", 2, 0, 0, "")


def test_two_moved_stacks_are_each_told_only_their_own_allocations(tmp_path, vm):
    first, second = _at(vm, "10.80.1.0/26", "first-dev"), _at(vm, "10.80.2.0/26", "second-dev")
    ledger.write(tmp_path, [first, second])
    problems = dict(ledger.check(tmp_path, [_at(first, "10.80.101.0/26"), _at(second, "10.80.102.0/26")]))
    assert set(problems) == {"first-dev", "second-dev"}
    assert "10.80.101.0/26" in problems["first-dev"] and "10.80.1.0/26" in problems["first-dev"]
    assert "10.80.102.0/26" not in problems["first-dev"] and "10.80.2.0/26" not in problems["first-dev"]
    assert "10.80.101.0/26" not in problems["second-dev"] and "10.80.1.0/26" not in problems["second-dev"]
