"""A two-stack audit benchmark run, so the benchmark keeps working; figures come from `python -m bench.audit`."""

from bench.audit import run


def test_a_small_fleet_audits_and_reports_throughput():
    figures = run(2, fleet_jobs=1)
    assert figures["stacks"] == 2 and figures["policies"] >= 50 and figures["findings"] == 0, figures
    assert figures["resource_policy_evaluations_per_second_grpc"] > 0 and figures["engine_seconds"] > 0
    # bp fleet audit as a user runs it: clean, then all from the cache, and no pack left for anyone to collect.
    assert figures["fleet_audit_exit_codes"] == [0, 0] and figures["fleet_audit_processes_left_behind"] == [0, 0]
    assert figures["fleet_audit_warm_cpu_seconds"] < figures["fleet_audit_cold_cpu_seconds"]
    assert 0 < figures["fleet_audit_cold_peak_pss_mib"] < 2048 and figures["fleet_audit_cold_cpu_ms_per_resource"] > 0
