"""The benchmarks keep working: the fleet report's table and sample from made-up figures, and two small runs.

The fleet benchmark itself runs `bp` commands for minutes; `python -m bench.fleet --quick` is its smoke run.
"""

from types import SimpleNamespace

from bench import table
from bench.stock import stratified


def _run(wall: float, cpu: float = 1.0, rc: int = 0, pss: float = 100.0) -> dict:
    return {"rc": rc, "wall": wall, "cpu": cpu, "peak_pss_mib": pss}


def _figures(stacks: int = 1495, audit_rc: int = 0) -> dict:
    size = {
        "requested": stacks, "stacks": stacks, "resources": 50 * stacks, "load": 1.5,
        "fleet_audit": _run(50.0, cpu=0.001 * 50 * stacks, rc=audit_rc, pss=550.0),
        "validate_cold": _run(30.0), "validate_warm": _run(2.0),
        # ours: (40 - 4) s over (50 * stacks - 500) resources; stock 2 ms a resource
        "fleet_preview": {**_run(20.0, cpu=40.0), "resources": 50 * stacks, "failed": 0},
        "preview_overhead": {**_run(3.0, cpu=4.0), "resources": 500},
        "stock": {"cpu": 10.0, "resources": 5000, "stacks": 100},
    }
    single = {"load": 1.2, "audit_warm": _run(0.4), "audit_cold": _run(1.6), "preview": _run(0.3),
              "validate": _run(0.45), "preview_first": _run(1.2), "validate_first": _run(1.3)}
    return {"started": "2026-12-05 06:00 UTC", "command": "python -m bench.fleet", "commit": "abc1234", "jobs": 2,
            "machine": "x86_64, 2 cores", "load_before": [1.0, 1.1, 1.2], "load_after": [1.9, 1.5, 1.3],
            "sizes": [size], "single": single}


def test_every_row_of_the_issue_table_is_judged_against_its_target():
    rows = table.rows(_figures())
    assert [row.met for row in rows] == [True, True, True, True, True, False, True, True, True, True], rows
    assert rows[0].target == "< 60 s" and rows[0].measured == "50.00 s", rows[0]
    assert rows[1].measured == "1.00 ms", rows[1]  # 74.75 s of CPU over 74,750 resources
    assert rows[5].what == "`bp audit ONE`, cold" and rows[5].measured == "1.60 s", rows[5]  # over 1.5 s
    expected = 2.0 / (1000 * 36.0 / (50 * 1495 - 500))  # stock 2 ms a resource over ours, imports left out
    assert rows[8].measured == f"{expected:.2f}x" == "4.12x", rows[8]


def test_wall_targets_scale_with_the_fleet_and_a_failed_command_never_meets_one():
    rows = table.rows(_figures(stacks=100, audit_rc=2))
    audit, audit_cpu, ratio, pss = rows[0], rows[1], rows[8], rows[9]
    assert audit.target.startswith("< 4.0 s (60 s at 1,495 stacks"), audit
    assert audit.measured == "failed (exit 2)" and not audit.met, audit
    assert not audit_cpu.met and not pss.met, (audit_cpu, pss)
    assert ratio.measured == "0.25x" and not ratio.met, ratio  # 36 s over 4,500 resources: 8 ms against 2 ms


def test_the_report_records_the_load_the_growth_and_the_table():
    text = table.report(_figures())
    assert "load average (1, 5, 15 min) before: 1.0, 1.1, 1.2, after: 1.9, 1.5, 1.3" in text, text
    assert "| 1,495 | 74,750 | 1.5 |" in text, text
    assert text.count("| yes |") + text.count("| NO |") == 10, text


def test_the_stock_sample_keeps_the_fleets_mix():
    def stack(i: int, blueprint: str, target: str, size: str):
        return SimpleNamespace(stack=f"s{i}", request=SimpleNamespace(blueprint=blueprint, target=target, size=size))

    fleet = [stack(i, "web-service", "aws", "S") for i in range(60)]
    fleet += [stack(60 + i, "vm-app", "vsphere", "M") for i in range(30)]
    fleet += [stack(90 + i, "k8s-cluster", "vsphere", "S") for i in range(10)]
    sample = stratified(fleet, 10)
    kinds = [s.request.blueprint for s in sample]
    assert (kinds.count("web-service"), kinds.count("vm-app"), kinds.count("k8s-cluster")) == (6, 3, 1), kinds
    assert [s.stack for s in sample if s.request.blueprint == "vm-app"] == ["s60", "s70", "s80"], sample
    assert stratified(fleet, 500) == fleet


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
