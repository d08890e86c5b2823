"""Allocations never collide: concurrent `bp new`, branches merged in git, and the checks that catch the rest."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from ipaddress import ip_network
from pathlib import Path

import pytest

from blueprints.errors import BadInput
from store import ledger
from store.lock import lock_path, repo_lock
from store.stack_files import read_all
from tests.conftest import run_bp


def new_args(team: str, *extra: str) -> list[str]:
    return ["new", team, "--blueprint", "vm-app", "--env", "dev", "--site", "ny1",
            "--owner", "lead@example.com", "--cost-center", "CC-1", *extra]


def run_many(repo: Path, argvs: list[list[str]]) -> list[subprocess.CompletedProcess]:
    with ThreadPoolExecutor(len(argvs)) as pool:
        return list(pool.map(lambda argv: run_bp(repo, *argv), argvs))


def collisions(stacks) -> list[str]:
    placed = [(bp.stack, p) for bp in stacks for p in bp.placements if p.network]
    found = []
    for i, (a, pa) in enumerate(placed):
        for b, pb in placed[i + 1:]:
            if pa.network.cidr.overlaps(pb.network.cidr):
                found.append(f"{a} {pa.network.cidr} overlaps {b} {pb.network.cidr}")
            same_switch = pa.vsphere and pb.vsphere and pa.vsphere.distributed_switch == pb.vsphere.distributed_switch
            if same_switch and pa.network.vlan == pb.network.vlan:
                found.append(f"{a} and {b} share VLAN {pa.network.vlan}")
    return found


def test_twenty_concurrent_stamps_get_distinct_networks_and_vlans(repo):
    results = run_many(repo, [new_args(f"team{i:02d}") for i in range(20)])
    for r in results:
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
    stacks = read_all(repo)
    assert len(stacks) == 20, "every successful bp new has its file"
    assert collisions(stacks) == []
    assert len(ledger.read(repo / "stacks")) == 20
    assert ledger.check(repo / "stacks", stacks) == []


def test_the_same_team_stamped_concurrently_has_one_winner(repo):
    results = run_many(repo, [new_args("yak", "--cost-center", f"CC-{i}") for i in range(10)])
    winners = [r for r in results if r.returncode == 0]
    losers = [r for r in results if r.returncode != 0]
    assert len(winners) == 1, [r.stderr for r in results]
    for r in losers:
        assert r.returncode == 2 and "exists" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    winner_cc = winners[0].stdout  # the file holds the winner's request
    text = (repo / "stacks" / "Pulumi.yak-dev.yaml").read_text()
    assert any(f"cost_center: CC-{i}\n" in text for i in range(10)) and "Wrote" in winner_cc


def test_a_stale_lock_file_does_not_block_and_a_held_lock_names_its_holder(repo):
    lock_path(repo).write_text("999999 gone-host 0\n")  # left by a process that died
    with repo_lock(repo, timeout=1):
        with pytest.raises(BadInput, match=r"allocation lock \(pid \d+ on "):
            with repo_lock(repo, timeout=0.2):
                pass


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def git_repo(repo: Path) -> Path:
    assert git(repo, "init", "-q", "-b", "main").returncode == 0
    assert run_bp(repo, *new_args("alpha")).returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    return repo


def test_two_branches_taking_the_same_range_cannot_merge_silently(git_repo):
    repo = git_repo
    for branch, team in (("yak", "yak"), ("zebra", "zebra")):
        git(repo, "checkout", "-qb", branch, "main")
        assert run_bp(repo, *new_args(team)).returncode == 0
        assert run_bp(repo, "validate", f"{team}-dev").returncode == 0, "each branch is valid on its own"
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", team)
    git(repo, "checkout", "-q", "yak")
    merged = git(repo, "merge", "-q", "zebra", "-m", "merge")
    assert merged.returncode != 0 and "allocations.txt" in merged.stdout + merged.stderr, "the ledger must conflict"


def test_a_clean_merged_collision_fails_validation_naming_both_stacks(git_repo):
    repo = git_repo
    # Someone resolves the ledger conflict by taking both sides: the collision is still caught.
    for team in ("yak", "zebra"):
        git(repo, "checkout", "-qb", team, "main")
        assert run_bp(repo, *new_args(team)).returncode == 0
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", team)
    git(repo, "checkout", "-q", "yak")
    git(repo, "merge", "-q", "zebra", "-m", "merge")
    git(repo, "checkout", "zebra", "--", "stacks/Pulumi.zebra-dev.yaml")
    ours = (repo / "stacks" / "allocations.txt").read_text()
    lines = [ln for ln in ours.splitlines() if ln and not ln.startswith(("<<<<<<<", "=======", ">>>>>>>"))]
    (repo / "stacks" / "allocations.txt").write_text("\n".join(lines) + "\n")
    for name in ("zebra-dev", "yak-dev"):
        r = run_bp(repo, "validate", name, "--json")
        assert r.returncode == 1, r.stdout + r.stderr
        messages = [f["message"] for f in json.loads(r.stdout)["findings"] if f["stack"] == name]
        other = "yak-dev" if name == "zebra-dev" else "zebra-dev"
        assert any("overlaps" in m and other in m for m in messages), messages
        assert any("VLAN" in m and other in m for m in messages), messages
    r = run_bp(repo, "validate", "--all")
    assert r.returncode == 1


def test_ledger_lines_are_sorted_by_pool_and_range(repo):
    results = run_many(repo, [new_args(f"t{i}") for i in range(3)])
    assert all(r.returncode == 0 for r in results)
    lines = ledger.read(repo / "stacks")
    keys = [(ln.split()[0], ip_network(ln.split()[1])) for ln in lines]
    assert keys == sorted(keys)


def test_an_edited_ledger_is_a_finding(repo):
    assert run_bp(repo, *new_args("alpha")).returncode == 0
    path = repo / "stacks" / "allocations.txt"
    path.write_text(path.read_text().replace("alpha-dev", "ghost-dev"))
    r = run_bp(repo, "validate", "--all", "--json")
    assert r.returncode == 1
    messages = [f["message"] for f in json.loads(r.stdout)["findings"]]
    assert any("lacks" in m and "alpha-dev" in m for m in messages), messages
    assert run_bp(repo, "stacks", "ledger").returncode == 0
    assert run_bp(repo, "validate", "--all").returncode == 0
