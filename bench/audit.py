"""Audit throughput: resources x policies evaluated per second by the packs, measured apart from the engine's time.

    python -m bench.audit [--stacks N] [--out FILE]

Stamps N stacks of the fleet mix, runs each in the offline engine (timed on its own), then audits every capture
through the packs over the Analyzer gRPC protocol (one process per pack, as `bp audit` does) and through the
in-process shortcut, so the protocol's cost shows as a ratio in the same run.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.fleet import main_for, stamp
from blueprints.sites import load_sites
from engine.stacks import preview
from policy_packs.audit import Auditor


def _audit_seconds(auditor: Auditor, captures: list) -> tuple[float, int]:
    start = time.perf_counter()
    findings = sum(len(auditor.audit(c).findings) for c in captures)
    return time.perf_counter() - start, findings


def run(stacks: int) -> dict:
    """Stamp, run and audit `stacks` stacks; returns the measurements."""
    sites = load_sites()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        stamped = stamp(repo, stacks, sites)
        start = time.perf_counter()
        captures = [preview(repo, bp, sites) for bp in stamped]
        engine_s = time.perf_counter() - start

    start = time.perf_counter()
    with Auditor() as grpc_auditor:
        startup_s = time.perf_counter() - start
        grpc_s, findings = _audit_seconds(grpc_auditor, captures)
        policies = len(grpc_auditor.policies)
    with Auditor(in_process=True) as direct:
        direct_s, _ = _audit_seconds(direct, captures)

    resources = sum(len(c.resources) for c in captures)
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
    }


def main() -> None:
    main_for(run, __doc__, 40, "audit")


if __name__ == "__main__":
    main()
