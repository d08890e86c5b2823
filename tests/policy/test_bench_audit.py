"""A two-stack audit benchmark run, so the benchmark keeps working; figures come from `python -m bench.audit`."""

from bench.audit import run


def test_a_small_fleet_audits_and_reports_throughput():
    figures = run(2)
    assert figures["stacks"] == 2 and figures["policies"] >= 50 and figures["findings"] == 0, figures
    assert figures["resource_policy_evaluations_per_second_grpc"] > 0 and figures["engine_seconds"] > 0
