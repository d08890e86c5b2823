"""Mutation testing of the core with cosmic-ray: one module at a time, each mutant against that module's tests only.

    python -m bench.mutation                       # every module of bench/mutation_targets.toml, in its order
    python -m bench.mutation blueprints/placement.py lifecycle/rollout.py
    python -m bench.mutation --changed origin/main # only the modules changed since a ref (the incremental mode)
    python -m bench.mutation --report              # rewrite bench/MUTATION.md from the sessions kept

Mutants are made in a copy of the repository (.mutation/tree), never in the working tree, so editing and testing go on
while it runs. Each module keeps its cosmic-ray session in .mutation/ (git-ignored): a session is made anew when the
module changes, its survivors run again (first) when one of its test files changes, and an unfinished one resumes, so a
per-module time budget never loses work. The report, bench/MUTATION.md, counts killed, survived and timed-out mutants
per module and lists every survivor; those known to be equivalent (no behaviour can tell them apart) are listed in
bench/mutation_equivalent.toml with the reason.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime
import hashlib
import json
import queue
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bench import mutation_select

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "bench" / "mutation_targets.toml"
EQUIVALENT = ROOT / "bench" / "mutation_equivalent.toml"
REPORT = ROOT / "bench" / "MUTATION.md"
WORK = ROOT / ".mutation"
TREE = WORK / "tree"
WHOLE = False  # --whole: every mutant meets the module's whole test list at once (no selection)
BIN = Path(sys.executable).parent


@dataclass
class Tally:
    """One module's session, counted."""

    module: str
    total: int = 0
    killed: int = 0
    timed_out: int = 0
    incompetent: int = 0
    skipped: int = 0
    pending: int = 0
    survivors: list[tuple[int, str, str, str]] = field(default_factory=list)  # line, operator, mutant line, job id
    equivalent: list[tuple[int, str, str, str]] = field(default_factory=list)  # line, operator, mutant line, reason

    @property
    def score(self) -> float | None:
        """Killed over non-equivalent mutants that ran (timeouts count as killed, as cosmic-ray counts them)."""
        ran = self.killed + len(self.survivors)
        return self.killed / ran if ran else None


def slug(module: str) -> str:
    return module.replace("/", "__").removesuffix(".py")


def targets() -> tuple[dict, dict[str, dict]]:
    data = tomllib.loads(TARGETS.read_text())
    return data["settings"], data["modules"]


def digest(paths: list[str]) -> str:
    """What a session's results depend on: these files' names and contents."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.encode())
        h.update((ROOT / path).read_bytes() if (ROOT / path).exists() else b"")
    return h.hexdigest()


def sync_tree() -> None:
    """Bring the copy up to date with the working tree's files (tracked and new, not ignored)."""
    WORK.mkdir(exist_ok=True)
    (WORK / ".gitignore").write_text("*\n")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, copy = ROOT / name, TREE / name
        if source.is_file() and (not copy.exists() or copy.read_bytes() != source.read_bytes()):
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)


def lines_map(module: str) -> Path:
    return WORK / f"{slug(module)}.lines.json"


def test_command(module: str, tests: list[str]) -> str:
    # PYTHONPATH makes the pack processes the policy tests start import the mutated copy too.
    if WHOLE:
        return f"env PYTHONPATH={TREE} {BIN / 'python'} {' '.join(mutation_select.PYTEST)} -x {' '.join(tests)}"
    return (f"env PYTHONPATH={TREE} {BIN / 'python'} -m bench.mutation_select {lines_map(module)} -- -x "
            f"{' '.join(tests)}")


def config_text(module: str, tests: list[str], settings: dict, spec: dict) -> str:
    command = test_command(module, tests)
    excluded = json.dumps(spec.get("exclude_operators", settings["exclude_operators"]))
    return (f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = {spec.get("timeout_seconds", settings["timeout_seconds"])}\n'
            f'excluded-modules = []\ntest-command = "{command}"\n\n[cosmic-ray.distributor]\nname = "local"\n\n'
            f'[cosmic-ray.filters.operators-filter]\nexclude-operators = {excluded}\n')


def cr(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=TREE, text=True, capture_output=True, check=False, **kw)


def prepare(module: str, tests: list[str], settings: dict, spec: dict, fresh: bool) -> tuple[Path, Path]:
    """The module's config and session. A changed module gets a new session; changed tests re-run the survivors
    only (a mutant killed stays killed while tests are added; pass --fresh after taking tests away)."""
    config, session, stamp, recheck = (WORK / f"{slug(module)}{ext}" for ext in (".toml", ".sqlite", ".sha256", ".recheck"))
    config.write_text(config_text(module, tests, settings, spec))
    current = [digest([module]), digest(tests)]
    known = stamp.read_text().split() if stamp.exists() else []
    if fresh or not session.exists() or known[:1] != current[:1]:
        session.unlink(missing_ok=True)
        init = cr("cosmic-ray", "init", str(config), str(session))
        if init.returncode != 0:
            raise SystemExit(f"{module}: cosmic-ray init failed: {init.stderr.strip().splitlines()[-1:]}")
        cr("cr-filter-operators", str(session), str(config))
    elif known[1:] != current[1:]:
        with sqlite3.connect(session) as db:
            survived = [job for (job,) in db.execute("SELECT job_id FROM work_results WHERE test_outcome = 'SURVIVED'")]
            db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")
        earlier = recheck.read_text().split() if recheck.exists() else []
        recheck.write_text("".join(f"{job}\n" for job in dict.fromkeys(earlier + survived)))
    stamp.write_text("\n".join(current) + "\n")
    return config, session


def settled(module: str, tests: list[str]) -> Tally | None:
    """The session's tally when there is nothing to run: neither the module nor its tests changed since its session,
    which has every mutant's result; else None."""
    session, stamp, recheck = (WORK / f"{slug(module)}{ext}" for ext in (".sqlite", ".sha256", ".recheck"))
    if not (session.exists() and stamp.exists()) or stamp.read_text().split() != [digest([module]), digest(tests)]:
        return None
    if recheck.exists() and recheck.read_text().strip():
        return None
    t = tally(module, session)
    return t if t.pending == 0 else None


def run_module(module: str, spec: dict, settings: dict, fresh: bool = False, budget: int | None = None) -> str:
    """Mutate one module within its budget; returns a line saying how it went."""
    tests = [t for t in spec["tests"] if (ROOT / t).exists()]
    if not tests:
        return f"{module}: no test file exists, skipped"
    done = None if fresh else settled(module, tests)
    if done:
        return f"{module}: up to date ({done.killed} killed, {len(done.survivors)} survived)"
    sync_tree()
    if not mutation_select.record(TREE, module, tests, lines_map(module)):
        return f"{module}: its tests fail unmutated, skipped"
    config, session = prepare(module, tests, settings, spec, fresh)
    original = (TREE / module).read_bytes()
    budget = budget or spec.get("budget_seconds", settings["budget_seconds"])
    deadline = time.monotonic() + budget
    try:
        recheck_survivors(session, test_command(module, tests), spec.get("timeout_seconds", settings["timeout_seconds"]), deadline)
        left = int(deadline - time.monotonic())
        # SIGINT lets cosmic-ray put the module back itself; the check below covers the case where it could not.
        if left > 0:
            subprocess.run(["timeout", "-s", "INT", "-k", "30", str(left), str(BIN / "cosmic-ray"), "exec", str(config),
                            str(session)], cwd=TREE, capture_output=True, check=False)
    finally:
        if (TREE / module).read_bytes() != original:
            (TREE / module).write_bytes(original)
    t = tally(module, session)
    return f"{module}: {t.killed} killed ({t.timed_out} by timeout), {len(t.survivors)} survived, {t.pending} pending"


def recheck_survivors(session: Path, command: str, timeout: float, deadline: float) -> None:
    """Run first the mutants that survived before the tests changed, so a short budget settles them; the ones the
    deadline leaves stay listed in the session's .recheck file for the next run."""
    from cosmic_ray.mutating import mutate_and_test
    from cosmic_ray.work_db import WorkDB, use_db

    listed = session.with_suffix(".recheck")
    jobs = listed.read_text().split() if listed.exists() else []
    with use_db(str(session), WorkDB.Mode.open) as db, contextlib.chdir(TREE):
        pending = {item.job_id: item for item in db.pending_work_items}
        for job in list(jobs):
            if time.monotonic() >= deadline:
                break
            if job in pending:
                db.set_result(job, mutate_and_test(pending[job].mutations, command, timeout))
            jobs.remove(job)
    listed.write_text("".join(f"{job}\n" for job in jobs))


def equivalents() -> dict[tuple[str, str, str], str]:
    """(module, operator, the mutated line, stripped) -> why the mutant cannot change behaviour."""
    if not EQUIVALENT.exists():
        return {}
    return {(e["module"], e["operator"], e["mutant"].strip()): e["reason"]
            for e in tomllib.loads(EQUIVALENT.read_text()).get("equivalent", [])}


def mutated_line(diff: str | None) -> str:
    """The line a mutant puts in place of the original, from cosmic-ray's diff. Blank added lines are left out: a
    mutant of a file's last line also adds the newline the original lacked. A mutant that only removes (a decorator)
    is named by what it removes, so two removals in one module are never taken for each other."""
    lines = [line for line in (diff or "").splitlines() if not line.startswith(("+++", "---"))]
    added = [line[1:].strip() for line in lines if line.startswith("+") and line[1:].strip()]
    removed = [line[1:].strip() for line in lines if line.startswith("-") and line[1:].strip()]
    return " / ".join(added) if added or not removed else "without " + " / ".join(removed)


def tally(module: str, session: Path) -> Tally:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    known = equivalents()
    t = Tally(module)
    with use_db(str(session), WorkDB.Mode.open) as db:
        t.total = db.num_work_items
        done = {item.job_id for item, _ in db.completed_work_items}
        t.pending = sum(1 for item in db.work_items if item.job_id not in done)
        for item, result in db.completed_work_items:
            mutation = item.mutations[0]
            line, mutant = mutation.start_pos[0], mutated_line(result.diff)
            if result.worker_outcome in (WorkerOutcome.SKIPPED, WorkerOutcome.NO_TEST):
                t.skipped += 1
            elif result.test_outcome == TestOutcome.KILLED:
                t.killed += 1
                t.timed_out += result.output == "timeout"
            elif result.test_outcome == TestOutcome.INCOMPETENT:
                t.incompetent += 1
            elif (module, mutation.operator_name, mutant) in known:
                t.equivalent.append((line, mutation.operator_name, mutant, known[(module, mutation.operator_name, mutant)]))
            else:
                t.survivors.append((line, mutation.operator_name, mutant, item.job_id))
    return t


def _when(session: Path) -> str:
    return datetime.datetime.fromtimestamp(session.stat().st_mtime, datetime.UTC).strftime("%Y-%m-%d %H:%M")


def earlier(text: str) -> dict[str, tuple[str, list[str]]]:
    """module -> (its table row, its survivor lines) from a report written before, for modules measured on another
    machine whose session is not here. A row without a date column gets the report's own date."""
    found = re.search(r" on (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", text)
    rows: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        row = re.match(r"\| `([^`]+)` \|", line)
        if row and found:
            cells = line.strip().strip("|").split("|")
            rows[row[1]] = ("|" + "|".join(cells + [f" {found[1]} "] * (len(cells) == 9)) + "|", [])
    for line in text.splitlines():
        detail = re.match(r"- `([^`:]+):\d+`", line)
        if detail and detail[1] in rows:
            rows[detail[1]][1].append(line)
    return rows


def report(command: str) -> None:
    _, modules = targets()
    rows, details, unreached = [], [], []
    kept = earlier(REPORT.read_text()) if REPORT.exists() else {}
    for module in modules:
        session = WORK / f"{slug(module)}.sqlite"
        if not session.exists():
            if module in kept:
                rows.append(kept[module][0])
                details.extend(kept[module][1])
            else:
                unreached.append(module)
            continue
        t = tally(module, session)
        score = f"{t.score:.0%}" if t.score is not None else "-"
        rows.append(f"| `{module}` | {t.total - t.skipped} | {t.killed} | {t.timed_out} | {len(t.survivors)} | "
                    f"{len(t.equivalent)} | {t.incompetent} | {t.pending} | {score} | {_when(session)} |")
        for line, op, text, job in t.survivors:
            details.append(f"- `{module}:{line}` {op} → `{text}` (survived)")
        for line, op, text, why in t.equivalent:
            details.append(f"- `{module}:{line}` {op} → `{text}` (equivalent: {why})")
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    REPORT.write_text("\n".join([
        "# Mutation testing of the core",
        "",
        f"Written by `{command}` on {now} (cosmic-ray under `nice -n 19`, each mutant against the module's own",
        "test files from `bench/mutation_targets.toml`: first those that run its line, then all of them if those pass).",
        "Score = killed / (killed + survived);",
        "timeouts count as killed, equivalent mutants (bench/mutation_equivalent.toml) are left out of the score;",
        "incompetent = the mutant did not import; pending = not run yet within the module's time budget.",
        "`measured` is when the module's session last ran (UTC); a module whose session is not on this machine keeps",
        "the row and survivors of the report it was last measured in, and may have changed since.",
        "",
        "| module | mutants | killed | of which timed out | survived | equivalent | incompetent | pending | score | measured |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        "## Survivors and equivalent mutants",
        "",
        *(details or ["none"]),
        "",
        "## Not measured yet",
        "",
        *([f"- `{m}`" for m in unreached] or ["none"]),
        "",
    ]))


def changed_since(ref: str, modules: dict[str, dict]) -> list[str]:
    diff = subprocess.run(["git", "diff", "--name-only", ref], cwd=ROOT, capture_output=True, text=True, check=True)
    touched = set(diff.stdout.split())
    return [m for m, spec in modules.items() if m in touched or touched & set(spec["tests"])]


def in_parallel(chosen: list[str], args: argparse.Namespace) -> None:
    """Each module in a worker process of its own, each worker with its own copy of the tree: a mutant of one module
    must never be seen by another module's tests."""
    free = queue.SimpleQueue()
    for n in range(args.jobs):
        free.put("tree" if n == 0 else f"tree-{n + 1}")

    def one(module: str) -> None:
        tree = free.get()
        try:
            extra = [*(["--fresh"] * args.fresh), *(["--whole"] * args.whole),
                     *(["--budget", str(args.budget)] if args.budget else [])]
            run = subprocess.run([str(BIN / "python"), "-m", "bench.mutation", "--no-report", "--tree", tree, *extra,
                                  module], cwd=ROOT, capture_output=True, text=True, check=False)
            print(run.stdout.strip() or f"{module}: {(run.stderr.strip().splitlines() or ['failed'])[-1]}", flush=True)
        finally:
            free.put(tree)

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(one, chosen))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module paths (default: every module of the targets file)")
    parser.add_argument("--changed", metavar="REF", help="only modules (or their tests) changed since REF")
    parser.add_argument("--report", action="store_true", help="only rewrite bench/MUTATION.md")
    parser.add_argument("--fresh", action="store_true", help="start the modules' sessions anew")
    parser.add_argument("--budget", type=int, metavar="SECONDS", help="time per module this run (default: the targets')")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="modules mutated at once, each in its own copy")
    parser.add_argument("--whole", action="store_true",
                        help="every mutant meets its module's whole test list at once, without selection by line")
    parser.add_argument("--tree", default="tree", help=argparse.SUPPRESS)  # the copy a --jobs worker mutates in
    parser.add_argument("--no-report", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global TREE, WHOLE
    TREE, WHOLE = WORK / args.tree, args.whole
    settings, modules = targets()
    unknown = [m for m in args.modules if m not in modules]
    if unknown:
        print(f"modules: not in {TARGETS.relative_to(ROOT)}: {', '.join(unknown)}", file=sys.stderr)
        return 2
    chosen = args.modules or (changed_since(args.changed, modules) if args.changed else list(modules))
    if not args.report and args.jobs > 1:
        in_parallel(chosen, args)
    elif not args.report:
        for module in chosen:
            print(run_module(module, modules[module], settings, args.fresh, args.budget), flush=True)
    if args.no_report:
        return 0
    report("python -m bench.mutation " + " ".join(argv if argv is not None else sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
