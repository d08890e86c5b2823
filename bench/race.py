"""Race every write command at once on the same stacks, round after round; nothing acknowledged may be lost.

    python -m bench.race [--rounds N] [--ops K] [--seed S]

Each round seeds a scratch repository with two web-service@2.0.0 stacks, then starts K `bp` processes at once,
drawn from every command that writes a stack file: `new` (a fresh stack), `new --force` (re-stamp to 2.1.0 with
another size and cost center), `upgrade`, `upgrade --unpin`, `pin`, `unpin`, `retire` and `fleet upgrade apply`.
An exit code 0 is an acknowledgement. Once all have exited, `verify` checks that every acknowledged change is in
the files and every invariant holds, and `bp validate --all` must pass. The property test
(tests/test_concurrent_changes.py) runs the same rounds with operations drawn by hypothesis.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BP = [sys.executable, "-c", "from cli.main import run; run()"]

TEAMS = ("aa", "bb", "cc")
SEEDED = ("aa", "bb")
KINDS = ("new", "restamp", "upgrade", "upgrade_unpin", "pin", "unpin", "retire", "wave")
REQUEST = ("-e", "dev", "--site", "ny1", "--owner", "lead@example.com")
FROM, TO = "web-service@2.0.0", "web-service@2.1.0"


@dataclass(frozen=True)
class Op:
    """One `bp` command of a round, and what came of it."""

    kind: str
    team: str
    size: str = "L"

    @property
    def stack(self) -> str:
        """The stack it changes (a wave may change several)."""
        return f"{self.team}-dev"

    def argv(self) -> list[str]:
        """Its command line."""
        cc = f"CC-{self.team.upper()}-{self.size}"
        return {
            "new": ["new", self.team, "-b", FROM, *REQUEST, "--cost-center", "CC-1"],
            "restamp": ["new", self.team, "--force", "-b", TO, *REQUEST, "--size", self.size, "--cost-center", cc],
            "upgrade": ["upgrade", self.stack, "--to", TO],
            "upgrade_unpin": ["upgrade", self.stack, "--to", TO, "--unpin"],
            "pin": ["pin", self.stack, "--reason", "race freeze", "--approver", "lead@example.com",
                    "--expires", "2999-01-01"],
            "unpin": ["unpin", self.stack],
            "retire": ["retire", self.stack, "--reason", "race"],
            "wave": ["fleet", "upgrade", "apply", "-b", "web-service", "--to", TO, "--waves", "dev", "--canary", "0%",
                     "--wave", "1", "--json"],
        }[self.kind]


@dataclass(frozen=True)
class Done:
    """An operation and how its process ended."""

    op: Op
    code: int
    out: str
    err: str

    @property
    def acknowledged(self) -> bool:
        """Exit 0: the command said it changed what it changes."""
        return self.code == 0


def seed(repo: Path) -> dict[str, tuple]:
    """A repository with the seeded stacks stamped; their allocations, by stack."""
    from blueprints.catalog import Catalog
    from blueprints.models import BlueprintRequest
    from blueprints.sites import load_sites
    from store.stamp import stamp

    (repo / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", repo / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "__main__.py", repo / "stacks" / "__main__.py")
    catalog, sites = Catalog(), load_sites()
    placed = {}
    for team in SEEDED:
        request = BlueprintRequest(team=team, env="dev", blueprint=FROM, site="ny1", owner="lead@example.com",
                                   cost_center="CC-1", size="M")
        done = stamp(repo, request, catalog, sites)
        placed[done.resolved.stack] = allocations_of(done.resolved)
    return placed


def allocations_of(stack) -> tuple:
    from store.change import allocations

    return tuple(allocations(stack))


def race(repo: Path, ops: list[Op]) -> list[Done]:
    """Start every operation at once; wait for all."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [(op, subprocess.Popen([*BP, "--repo", str(repo), *op.argv()], cwd=repo, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)) for op in ops]
    done = []
    for op, proc in procs:
        out, err = proc.communicate()
        done.append(Done(op, proc.returncode, out, err))
    return done


def _acked(done: list[Done], stack: str, *kinds: str) -> bool:
    return any(d.acknowledged and d.op.stack == stack and d.op.kind in kinds for d in done)


def _waved(done: list[Done]) -> set[str]:
    names = set()
    for d in done:
        if d.acknowledged and d.op.kind == "wave":
            names |= {n.removeprefix("Pulumi.").removesuffix(".yaml") for n in json.loads(d.out)["written"]}
    return names


def _exits(done: list[Done]) -> list[str]:
    problems = []
    for d in done:
        if d.code not in (0, 2) or "Traceback" in d.err:
            problems.append(f"{d.op}: exit {d.code}: {d.err.strip()[-300:]}")
        elif d.code == 2 and (len(d.err.strip().splitlines()) != 1 or not d.err.startswith("error:")):
            problems.append(f"{d.op}: exit 2 without one error line: {d.err!r}")
    return problems


def verify(repo: Path, placed: dict[str, tuple], done: list[Done]) -> list[str]:
    """Every acknowledged change is in the files, and every invariant holds; the problems found."""
    from store import ledger, stack_files
    from store.pins import read_pin

    problems = _exits(done)
    stacks = {bp.stack: bp for bp in stack_files.read_all(repo)}
    waved = _waved(done)
    for team in TEAMS:
        name = f"{team}-dev"
        made = name in placed or _acked(done, name, "new", "restamp")
        if name not in stacks:
            problems += [f"{name}: acknowledged as stamped, but its file is gone"] if made else []
            continue
        if not made:
            problems.append(f"{name}: a stack file no acknowledged command wrote")
        pin = read_pin(stack_files.stack_path(repo, name))
        problems += _kept(name, stacks[name], pin, done, name in waved)
        if name in placed and allocations_of(stacks[name]) != placed[name]:
            problems.append(f"{name}: moved from {placed[name]} to {allocations_of(stacks[name])} without --move-network")
    problems += [f"ledger: {stack}: {why}" for stack, why in ledger.check(repo / "stacks", list(stacks.values()))]
    problems += [f"left behind: stacks/{n}" for n in os.listdir(repo / "stacks") if n.startswith(".")]
    return problems


def _kept(name: str, final, pin, done: list[Done], waved: bool) -> list[str]:
    """What was acknowledged for one stack and is not in its file (retirement, pin, unpin, a move, a re-stamp)."""
    problems = []
    if _acked(done, name, "retire") and not final.retired:
        problems.append(f"{name}: retirement acknowledged, then lost")
    if _acked(done, name, "pin") and pin is None and not _acked(done, name, "unpin", "upgrade_unpin"):
        problems.append(f"{name}: pin acknowledged, then lost")
    if _acked(done, name, "unpin") and pin is not None and not _acked(done, name, "pin"):
        problems.append(f"{name}: unpin acknowledged, yet pinned")
    if (_acked(done, name, "upgrade", "upgrade_unpin", "restamp") or waved) and final.blueprint_ref != TO:
        problems.append(f"{name}: move to {TO} acknowledged, yet on {final.blueprint_ref}")
    restamps = [d.op for d in done if d.acknowledged and d.op.stack == name and d.op.kind == "restamp"]
    team = name.removesuffix("-dev")
    if restamps and (final.request.size, final.request.cost_center) != (restamps[0].size, f"CC-{team.upper()}-{restamps[0].size}"):
        problems.append(f"{name}: re-stamp to {restamps[0].size} acknowledged, yet size {final.request.size}")
    if pin is not None and pin.version != final.blueprint_ref:
        problems.append(f"{name}: pinned at {pin.version} while on {final.blueprint_ref}")
    return problems


def validate(repo: Path) -> list[str]:
    """`bp validate --all`: its complaints, none when it passes."""
    result = subprocess.run([*BP, "--repo", str(repo), "validate", "--all"], cwd=repo, text=True, capture_output=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    return [] if result.returncode == 0 else [f"bp validate --all: exit {result.returncode}: {result.stdout[-500:]}"]


def one_round(ops: list[Op]) -> tuple[list[Done], list[str]]:
    """Seed a scratch repository, race `ops` on it, verify and validate; what ran and the problems found."""
    with tempfile.TemporaryDirectory(prefix="bp-race-") as tmp:
        repo = Path(tmp)
        placed = seed(repo)
        done = race(repo, ops)
        return done, verify(repo, placed, done) + validate(repo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ops", type=int, default=len(KINDS), help="Processes started at once per round.")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started, acked, failed = time.monotonic(), 0, 0
    for n in range(args.rounds):
        # Every kind of write once per round (then random ones), on the same few stacks.
        kinds = [*KINDS, *rng.choices(KINDS, k=max(0, args.ops - len(KINDS)))][: args.ops]
        ops = [Op(kind, rng.choice(TEAMS), rng.choice(("S", "L"))) for kind in kinds]
        done, problems = one_round(ops)
        acked += sum(d.acknowledged for d in done)
        failed += bool(problems)
        print(f"round {n + 1}: {sum(d.acknowledged for d in done)}/{len(done)} acknowledged, "
              f"{'clean' if not problems else '; '.join(problems)}", flush=True)
    print(json.dumps({"rounds": args.rounds, "processes_per_round": args.ops, "acknowledged": acked,
                      "rounds_with_a_lost_change_or_failed_validation": failed,
                      "seconds": round(time.monotonic() - started, 1)}))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
