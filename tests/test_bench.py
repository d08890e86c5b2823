"""A 20-stack benchmark run, so the benchmark keeps working; the fleet-scale figures come from `make bench`."""

from bench.fleet import run


def test_a_small_fleet_runs_every_measurement():
    figures = run(20, jobs=2, baseline_sample=2)
    assert figures["stacks"] == 20 and figures["refused_for_capacity"] == 0, figures
    assert figures["resources"] > 20 * 20 and figures["cold_preview_failed"] == 0, figures
    assert figures["validate_errors"] == 0 and figures["fleet_check_errors"] == 0, figures
    assert figures["warm_ran"] == 1, figures
    assert figures["baseline_ms_per_stack"] > 0 and figures["throughput_per_core_vs_baseline"] > 0, figures


def test_the_rule_checks_cost_under_a_tenth_of_preview_time():
    from bench.rules import run as rules

    figures = rules(3)
    assert figures["violations"] == 0 and figures["registrations_checked"] > 3 * 10, figures
    assert figures["rule_checks_share_of_preview"] < 0.10, figures


def test_the_patch_bench_plans_within_the_budget_in_the_fewest_days():
    from bench.patch import run

    figures = run(60, 5)
    assert figures["moving"] > 0 and figures["max_replaced_per_dc_day"] <= 5
    assert figures["days"] == figures["lower_bound_days"], figures
