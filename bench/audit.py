"""Audit throughput: resources x policies evaluated per second by the packs, measured apart from the engine's time.

    python -m bench.audit [--stacks N] [--fleet-jobs J] [--out FILE]

Stamps N stacks of the fleet mix, runs each in the offline engine (timed on its own), then audits every capture
through the packs over the Analyzer gRPC protocol (one process per pack, as `bp audit --conformance` does) and in
process (as `bp audit` and the fleet audit's workers do), so the protocol's cost shows as a ratio in the same run.
With --fleet-jobs, also times `bp fleet audit --jobs J` over the same stacks as a user runs it, cold and then warm
(every stack from the cache): wall time, CPU time of every process it starts (workers and fork server included), and
the peak proportional set size (PSS) of its process tree.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from audit.run import Auditor
from bench.fleet import main_for, stamp
from blueprints.sites import load_sites
from engine.stacks import preview


def _audit_seconds(auditor: Auditor, captures: list) -> tuple[float, int]:
    start = time.perf_counter()
    findings = sum(len(auditor.audit(c).findings) for c in captures)
    return time.perf_counter() - start, findings


# Runs a command as a child subreaper: whatever the command leaves behind (the fork server, a stray pack) is adopted
# and collected here, so RUSAGE_CHILDREN holds the CPU time of every process it started, and leftovers are counted.
_MEASURE = """
import ctypes, json, os, resource, signal, subprocess, sys, time
import psutil
ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
def pss():
    total = 0
    for p in psutil.Process().children(recursive=True):
        try:
            total += p.memory_full_info().pss
        except psutil.Error:
            pass  # gone between the listing and the reading
    return total
start = time.perf_counter()
command, peak = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL), 0
while command.poll() is None:
    peak = max(peak, pss())
    time.sleep(0.2)
rc = command.returncode
wall = time.perf_counter() - start
signal.alarm(60)  # a process that never ends is a bug to report, not a reason to wait forever
adopted = 0
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
    adopted += 1
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "adopted": adopted,
                  "peak_pss_mib": peak / 2**20}))
"""


def _measured(*args: str) -> dict:
    """`bp ARGS` as a user runs it: exit code, wall seconds, CPU seconds of it and all it started, processes adopted,
    and the peak of the summed proportional set size (PSS) of its process tree, sampled every 0.2 s."""
    bp = [sys.executable, "-c", "from cli.main import run; run()"]
    done = subprocess.run([sys.executable, "-c", _MEASURE, *bp, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def fleet_audit(repo: Path, stacks: int, resources: int, jobs: int) -> dict:
    """`bp fleet audit --jobs J` over a stamped repository: cold, then warm (every stack from the cache)."""
    cold, warm = (_measured("--repo", str(repo), "fleet", "audit", "--jobs", str(jobs)) for _ in range(2))
    return {
        "fleet_audit_jobs": jobs,
        "fleet_audit_exit_codes": [cold["rc"], warm["rc"]],
        "fleet_audit_cold_wall_seconds": round(cold["wall"], 2),
        "fleet_audit_cold_cpu_seconds": round(cold["cpu"], 2),
        "fleet_audit_cold_cpu_ms_per_stack": round(1000 * cold["cpu"] / stacks),
        "fleet_audit_cold_cpu_ms_per_resource": round(1000 * cold["cpu"] / resources, 2),
        "fleet_audit_warm_wall_seconds": round(warm["wall"], 2),
        "fleet_audit_warm_cpu_seconds": round(warm["cpu"], 2),
        "fleet_audit_cold_peak_pss_mib": round(cold["peak_pss_mib"]),
        # The fork server and its resource tracker end after `bp` does; a pack left behind would add to this.
        "fleet_audit_processes_left_behind": [cold["adopted"], warm["adopted"]],
    }


def run(stacks: int, fleet_jobs: int = 0) -> dict:
    """Stamp, run and audit `stacks` stacks (and time `bp fleet audit` with `fleet_jobs` workers); the measurements."""
    sites = load_sites()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        stamped = stamp(repo, stacks, sites)
        start = time.perf_counter()
        captures = [preview(repo, bp, sites) for bp in stamped]
        engine_s = time.perf_counter() - start
        resources = sum(len(c.resources) for c in captures)
        fleet = fleet_audit(repo, len(stamped), resources, fleet_jobs) if fleet_jobs else {}

    start = time.perf_counter()
    with Auditor() as grpc_auditor:
        startup_s = time.perf_counter() - start
        grpc_s, findings = _audit_seconds(grpc_auditor, captures)
        policies = len(grpc_auditor.policies)
    with Auditor(in_process=True) as direct:
        direct_s, _ = _audit_seconds(direct, captures)

    evaluations = resources * policies
    return {
        "stacks": stacks,
        "resources": resources,
        "policies": policies,
        "findings": findings,
        "engine_seconds": round(engine_s, 3),
        "pack_startup_seconds": round(startup_s, 3),
        "audit_seconds_grpc": round(grpc_s, 3),
        "audit_seconds_in_process": round(direct_s, 3),
        "resource_policy_evaluations_per_second_grpc": round(evaluations / grpc_s),
        "resource_policy_evaluations_per_second_in_process": round(evaluations / direct_s),
        "audit_ms_per_stack_grpc": round(1000 * grpc_s / stacks, 1),
        "audit_to_engine_time_ratio": round(grpc_s / engine_s, 3),
        "grpc_to_in_process_time_ratio": round(grpc_s / direct_s, 3),
        **fleet,
    }


def main() -> None:
    main_for(run, __doc__, 40, "audit",
             fleet_jobs=(int, 0, "Also time bp fleet audit with this many workers, cold and warm (default 0: no)."))


if __name__ == "__main__":
    main()
