"""Measure a `bp` command as a user runs it: wall time, the CPU time and peak memory of every process it starts.

The command runs under a small Python parent that makes itself a child subreaper: whatever the command leaves
behind (a fork server, a pack, a background engine server it started) is adopted there, so RUSAGE_CHILDREN holds
the CPU time of the whole tree once it is reaped, and the proportional set size (PSS: shared pages split between
the processes that share them) of every live process in the tree is sampled while it runs. A process that stays
on purpose (the engine server a command starts) is not waited for: its CPU is not counted, its memory is while
the command runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.server_dir import MARKER

_PARENT = r"""
import ctypes, json, os, resource, subprocess, sys, time
import psutil
ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
me = psutil.Process()
start = time.perf_counter()
out = open(sys.argv[2], "wb")
child = subprocess.Popen(sys.argv[3:], stdout=out, stderr=subprocess.PIPE)
peak = 0
stay = set(json.loads(sys.argv[1]))
def read(proc, what):
    try:
        return what(proc)
    except psutil.Error:
        return None  # ended between the listing and the reading

while child.poll() is None:
    pss = [read(proc, lambda p: p.memory_full_info().pss) for proc in me.children(recursive=True)]
    peak = max(peak, sum(filter(None, pss)))
    time.sleep(0.1)
wall = time.perf_counter() - start
err = child.stderr.read().decode(errors="replace")[-2000:]  # small: the commands write findings to stdout
# Wait for what the command left behind, except a server it started on purpose (matched by command line).
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    left = [p for p in me.children() if not any(word in " ".join(read(p, psutil.Process.cmdline) or []) for word in stay)]
    if not left:
        break
    psutil.wait_procs(left, timeout=1)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": child.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "peak_pss": peak, "stderr": err}))
"""

STAYS = (MARKER,)
"""Command-line words of a process that outlives the command on purpose (the engine server)."""


@dataclass(frozen=True)
class Measured:
    """One command's run."""

    rc: int
    wall: float
    cpu: float
    peak_pss_mib: float
    stderr: str
    last_line: str
    """The last line the command printed (a --json summary)."""

    def to_json(self) -> dict:
        return {"rc": self.rc, "wall": round(self.wall, 3), "cpu": round(self.cpu, 3),
                "peak_pss_mib": round(self.peak_pss_mib, 1)}


def bp_command(*args: str) -> list[str]:
    """`bp ARGS` with this interpreter, so the worktree's code is what runs."""
    return [sys.executable, "-c", "from cli.main import run; run()", *args]


def measured(args: list[str], env: dict[str, str], cwd: Path) -> Measured:
    """Run `args` (a whole command line) as described above."""
    with tempfile.NamedTemporaryFile() as out:
        done = subprocess.run([sys.executable, "-c", _PARENT, json.dumps(STAYS), out.name, *args], cwd=cwd, env=env,
                              capture_output=True, text=True, check=True)
        lines = Path(out.name).read_text(errors="replace").strip().splitlines()
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Measured(data["rc"], data["wall"], data["cpu"], data["peak_pss"] / 2**20, data["stderr"],
                    lines[-1] if lines else "")


def bp(env: dict[str, str], cwd: Path, *args: str) -> Measured:
    """`measured` for a `bp` command."""
    return measured(bp_command(*args), env, cwd)


def bp_env(cache: Path, **extra: str) -> dict[str, str]:
    """This process's environment for `bp` runs: caches under `cache`, no CI unless given, the worktree importable."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    env["XDG_CACHE_HOME"] = str(cache)
    env.update(extra)
    return env
