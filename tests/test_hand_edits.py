"""`bp validate` recomputes what `bp new` decided and fails on a file edited by hand to say something else."""

from __future__ import annotations

import json
import re

from store import stack_files
from tests.conftest import run_bp

NEW = ("new", "cart", "-b", "web-service@2.0.0", "-e", "dev", "--site", "ny1", "--owner", "a@b.cd",
       "--cost-center", "CC-1")
VM = (*NEW[:3], "vm-app", *NEW[4:])  # vm-app has a network of its own


def messages(repo) -> tuple[int, list[str]]:
    result = run_bp(repo, "validate", "--all", "--json")
    return result.returncode, [f["message"] for f in json.loads(result.stdout)["findings"] if f["error"]]


def edit(repo, old: str, new: str, count: int = 1) -> None:
    path = stack_files.stack_path(repo, "cart-dev")
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def test_a_hand_widened_network_fails_even_after_the_ledger_is_rewritten(repo):
    assert run_bp(repo, *VM).returncode == 0
    assert messages(repo) == (0, [])
    cidr = stack_files.read_stack(stack_files.stack_path(repo, "cart-dev")).primary.network.cidr
    assert cidr.prefixlen == 26
    edit(repo, f"cidr: {cidr}", f"cidr: {cidr.supernet(new_prefix=24)}")

    code, found = messages(repo)
    assert code == 1 and any("allocates a /26" in m and "holds /24" in m for m in found), found
    assert any("allocations.txt recorded" in m and "did not make" in m for m in found), found

    refused = run_bp(repo, "stacks", "ledger")
    assert refused.returncode == 2 and "nothing written" in refused.stderr + refused.stdout, refused
    assert run_bp(repo, "stacks", "ledger", "--accept-moves").returncode == 0
    code, found = messages(repo)
    assert code == 1 and any("allocates a /26" in m for m in found), "a rewritten ledger must not bless the edit"


def test_a_moved_network_of_the_right_size_is_caught_by_the_ledger(repo):
    assert run_bp(repo, *VM).returncode == 0
    cidr = stack_files.read_stack(stack_files.stack_path(repo, "cart-dev")).primary.network.cidr
    moved = next(n for n in cidr.supernet(new_prefix=24).subnets(new_prefix=26) if n != cidr)
    edit(repo, f"cidr: {cidr}", f"cidr: {moved}")
    code, found = messages(repo)
    assert code == 1 and any("the file holds" in m and str(moved) in m and str(cidr) in m for m in found), found
    assert run_bp(repo, "stacks", "ledger").returncode == 2, "rewriting the ledger must not bless the move"
    assert messages(repo)[0] == 1


def test_a_size_asked_for_over_another_resolved_size_fails(repo):
    assert run_bp(repo, *NEW, "--size", "M").returncode == 0
    edit(repo, "size: M\n", "size: XL\n")
    code, found = messages(repo)
    assert code == 1 and any(re.search(r"asks for XL .*holds M", m) for m in found), found


def test_a_data_service_resized_by_hand_fails(repo):
    assert run_bp(repo, *NEW, "-d", "postgres:S").returncode == 0
    text = stack_files.stack_path(repo, "cart-dev").read_text()
    storage = re.search(r"storage_gib: (\d+)", text)[1]
    edit(repo, f"storage_gib: {storage}", f"storage_gib: {int(storage) * 10}")
    code, found = messages(repo)
    assert code == 1 and any("data_services postgres" in m for m in found), found


def test_a_pin_on_another_version_than_the_stack_fails(repo):
    assert run_bp(repo, *NEW).returncode == 0
    assert run_bp(repo, "pin", "cart-dev", "--reason", "freeze", "--approver", "lead@example.com",
                  "--expires", "2999-01-01").returncode == 0
    assert messages(repo) == (0, [])
    path = stack_files.stack_path(repo, "cart-dev")
    text = path.read_text()
    path.write_text(re.sub(r"(version: )'?web-service@2\.0\.0'?", r"\1web-service@2.1.0", text, count=1))
    code, found = messages(repo)
    assert code == 1 and any("pinned at web-service@2.1.0 but on web-service@2.0.0" in m for m in found), found


def test_fleet_check_names_the_same_contradictions(repo, catalog, sites):
    from fleet.invariants import check
    from fleet.stamped import load_fleet

    assert run_bp(repo, *NEW, "--size", "M").returncode == 0
    assert [f for f in check(load_fleet(repo, catalog, sites)) if f.error] == []
    edit(repo, "size: M\n", "size: XL\n")
    found = [f for f in check(load_fleet(repo, catalog, sites)) if f.error]
    assert [(f.rule, f.stacks) for f in found] == [("hand-edited", ("cart-dev",))], found


def test_stamping_another_stack_does_not_record_a_hand_edit_in_the_ledger(repo):
    assert run_bp(repo, *VM).returncode == 0
    cidr = stack_files.read_stack(stack_files.stack_path(repo, "cart-dev")).primary.network.cidr
    moved = next(n for n in cidr.supernet(new_prefix=24).subnets(new_prefix=26) if n != cidr)
    edit(repo, f"cidr: {cidr}", f"cidr: {moved}")
    other = (*VM[:1], "shop", *VM[2:])
    assert run_bp(repo, *other).returncode == 0
    recorded = [line for line in (repo / "stacks" / "allocations.txt").read_text().splitlines() if "cart-dev" in line]
    assert len(recorded) == 1 and f" {cidr} " in recorded[0], recorded
    code, found = messages(repo)
    assert code == 1 and any("recorded" in m and str(moved) in m for m in found), found
