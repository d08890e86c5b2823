"""Cost: every blueprint x target x size against figures worked out by hand from the price table; Infracost's JSON
shape; the budget warning; `bp new --dry-run` and `bp cost` print the monthly cost."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker

from blueprints.placement.resolve import resolve
from cost.budget import over_budget
from cost.estimate import NoPrices, estimate
from cost.infracost import document, project
from cost.lines import money
from store.stack_files import read_all, read_stack
from tests.conftest import ROOT, SESSION_DAY, make_request

H = Decimal(730)
INFRACOST_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "infracost.schema.json").read_text())


def d(x) -> Decimal:
    return Decimal(str(x))


def test_worked_examples_from_the_demo_fleet(sites):
    """Figures worked out by hand from blueprints/sites/demo-fleet.yaml's price table."""
    payments = estimate(read_stack(ROOT / "stacks" / "Pulumi.payments-prod.yaml"), sites)
    # web-service M on the shared cluster, us-east-1 prod: 8 vCPU x 730 h x 0.096/2 = 280.32; 3 NAT x 730 x 0.045
    # = 98.55; TGW attachment 730 x 0.05 = 36.50; RDS db.t4g.medium Multi-AZ 2 x 730 x 0.065 = 94.90, gp3 2 x 20
    # x 0.115 = 4.60; ElastiCache 3 x cache.t4g.medium 3 x 730 x 0.065 = 142.35. Total 657.22.
    assert money(payments.monthly) == Decimal("657.22")
    assert {c.name: money(c.monthly) for c in payments.components} == {
        "cluster": Decimal("280.32"), "network": Decimal("135.05"), "postgres": Decimal("99.50"), "redis": Decimal("142.35")}
    risk = estimate(read_stack(ROOT / "stacks" / "Pulumi.risk-dev.yaml"), sites)
    # data-platform M on a VKS cluster in ny1, nonprod rates: 48 vCPU x 14 = 672, 192 GiB x 1.75 = 336, node disks
    # (2 + 6) x 100 GiB = 800/1024 TiB x 60 = 46.875; Kafka 3 brokers + 3 controllers x 2 vCPU x 14 = 168, x 8 GiB x
    # 1.75 = 84, (3 x 500 + 3 x 10)/1024 x 60 = 89.6484375; Postgres 3 x 4 vCPU x 14 = 168, 3 x 16 x 1.75 = 84,
    # 3 x 500/1024 x 60 = 87.890625. Total 1736.4140625.
    assert risk.monthly == Decimal("1736.4140625")


def _expected_aws(bp, table, support, fleet) -> Decimal:
    """What an AWS stack costs, derived from the sites map's fleet tables and the price table, not from the plan."""
    size, spec = bp.size, bp.spec
    price = {k: d(v.usd) for k, v in table.instance_hour.items()}
    total = Decimal(0)
    if spec.cluster == "dedicated":
        # Kubernetes 1.34 left EKS standard support on 2026-12-02: the tests' day pays extended support.
        extended = SESSION_DAY > support.window("eks", spec.kubernetes_version).end_of_standard_support
        total += d((table.eks_extended_cluster_hour if extended else table.eks_cluster_hour).usd) * H
        machine = next(t.name for t in fleet.aws_instance_types
                       if t.vcpu >= size.node_vcpu and t.memory_gib >= size.node_memory_gib)
        system = fleet.eks_system_pool.prod if bp.prod else fleet.eks_system_pool.nonprod
        total += system.desired * (price[fleet.eks_system_pool.instance_types[0]] * H + size.disk_gib * d(table.ebs_gp3_gib_month.usd))
        for pool in spec.node_pools:
            nodes = pool.nodes or size.nodes
            total += nodes * (price[machine] * H + size.disk_gib * d(table.ebs_gp3_gib_month.usd))
    elif spec.cluster == "shared":
        smallest = fleet.aws_instance_types[0]
        total += size.vcpu * H * price[smallest.name] / smallest.vcpu
    zones = 3 if bp.prod or spec.ha_data_services else 2
    total += (zones if bp.prod else 1) * d(table.nat_gateway_hour.usd) * H
    total += d(table.transit_gateway_attachment_hour.usd) * H   # every demo region has a hub
    for ds in bp.data_services:
        n = ds.replicas
        if ds.kind == "postgres":
            total += n * (d(table.database_hour[ds.aws_class].usd) * H + ds.storage_gib * d(table.rds_gp3_gib_month.usd))
        elif ds.kind == "redis":
            total += n * d(table.cache_node_hour[ds.aws_class].usd) * H
        elif ds.kind == "kafka":
            total += n * (d(table.kafka_broker_hour[ds.aws_class].usd) * H + ds.storage_gib * d(table.msk_storage_gib_month.usd))
        else:
            total += ds.storage_gib * d(table.s3_standard_gib_month.usd)
    return total


def _expected_vsphere(bp, rates) -> Decimal:
    size, spec = bp.size, bp.spec
    per = (d(rates.vcpu_month), d(rates.memory_gib_month), d(rates.storage_tib_month) / 1024)
    total = Decimal(0)
    placed = spec.vm_pool or spec.cluster == "dedicated"
    for _ in bp.placements if placed else bp.placements[:1]:
        disks = size.nodes * size.disk_gib if spec.vm_pool else 0
        total += size.vcpu * per[0] + size.memory_gib * per[1] + disks * per[2]
    if spec.cluster == "dedicated":
        total += sum((pool.nodes or size.nodes) * size.disk_gib for pool in spec.node_pools) * per[2]
    for ds in bp.data_services:
        controllers = 3 if ds.kind == "kafka" and ds.replicas > 1 else 0
        pods = ds.replicas + controllers
        total += ds.vcpu * pods * per[0] + ds.memory_gib * pods * per[1]
        total += (ds.storage_gib * ds.replicas + 10 * controllers) * per[2]
    return total


MATRIX = [(ref, target, size, env, services)
          for ref, targets, services in (
              ("web-service@2.1.0", ("aws", "vsphere"), ("postgres", "redis")),
              ("data-platform@1.1.0", ("aws", "vsphere"), ("postgres", "kafka")),
              ("k8s-cluster@1.1.0", ("aws", "vsphere"), ()),
              ("vm-app@1.0.0", ("vsphere",), ()))
          for target in targets for size in ("S", "M", "L", "XL") for env in ("dev", "prod")]


@pytest.mark.parametrize("ref, target, size, env, services", MATRIX)
def test_cost_per_blueprint_target_and_size_matches_the_price_table(catalog, sites, ref, target, size, env, services):
    request = make_request(blueprint=ref, target=target, size=size, env=env,
                           data_services=tuple({"kind": k, "size": size} for k in services) or None)
    bp = resolve(request, catalog, sites)
    est = estimate(bp, sites)
    if target == "aws":
        table = sites.prices.aws[bp.primary.aws.region]
        assert not est.unpriced, [r.name for r in est.unpriced]
        assert est.monthly == _expected_aws(bp, table, sites.support, sites.fleet), est
    else:
        assert est.monthly == _expected_vsphere(bp, sites.prices.onprem["prod" if bp.prod else "nonprod"])
    assert est.monthly > 0


def test_eks_past_standard_support_pays_extended_support(catalog, sites, monkeypatch):
    bp = resolve(make_request(blueprint="data-platform@1.1.0", target="aws"), catalog, sites)
    extended = estimate(bp, sites).components[0].resources[0].lines[0]
    assert extended.price == Decimal("0.6") and "extended support, Kubernetes 1.34" in extended.name
    monkeypatch.setenv("BP_TODAY", "2026-12-02")   # the last day of standard support
    standard = estimate(bp, sites).components[0].resources[0].lines[0]
    assert standard.price == Decimal("0.1") and standard.name == "EKS cluster"


def test_a_price_the_table_lacks_is_shown_unpriced_never_free(catalog, sites):
    bp = resolve(make_request(blueprint="web-service@2.1.0", target="aws", region="emea"), catalog, sites)
    est = estimate(bp, sites)
    assert {r.name for r in est.unpriced} == {"payments-dev-postgres", "payments-dev-redis"}
    assert all(line.price is None for r in est.unpriced for line in r.lines if "instance" in line.name.lower()
               or "node" in line.name.lower())


def test_no_price_table_is_one_clear_error(catalog, sites):
    bp = resolve(make_request(), catalog, sites)
    with pytest.raises(NoPrices, match="prices"):
        estimate(bp, sites.model_copy(update={"prices": None}))


def test_infracost_json_matches_infracost_schema_and_totals_are_strings(sites):
    stacks = read_all(ROOT)
    ests = [estimate(bp, sites) for bp in stacks]
    projects = [project(e, f"stacks/Pulumi.{bp.stack}.yaml", bp.tags()) for e, bp in zip(ests, stacks)]
    from datetime import datetime, timezone
    doc = document(projects, ests, datetime(2026, 12, 5, tzinfo=timezone.utc))
    Draft4Validator(INFRACOST_SCHEMA, format_checker=FormatChecker()).validate(doc)
    assert Decimal(doc["totalMonthlyCost"]) == sum(e.monthly for e in ests)
    assert isinstance(doc["projects"][0]["breakdown"]["resources"][0]["costComponents"][0]["monthlyCost"], str)
    assert doc["diffTotalMonthlyCost"] == doc["totalMonthlyCost"] and doc["pastTotalMonthlyCost"] == "0"
    bad = json.loads(json.dumps(doc))
    bad["projects"][0]["breakdown"]["totalMonthlyCost"] = 657.22
    assert not Draft4Validator(INFRACOST_SCHEMA).is_valid(bad)


def test_infracost_diff_is_the_change_against_the_past(catalog, sites):
    small = resolve(make_request(size="S"), catalog, sites)
    large = resolve(make_request(size="L"), catalog, sites)
    before, after = estimate(small, sites), estimate(large, sites)
    proj = project(after, "stacks/Pulumi.payments-dev.yaml", large.tags(), past=before)
    assert Decimal(proj["diff"]["totalMonthlyCost"]) == after.monthly - before.monthly
    assert [r["name"] for r in proj["diff"]["resources"]] == ["cluster.payments-dev"]   # the shared-cluster share grows with the size


def test_budget_warning_past_the_catalog_limit(catalog, sites):
    entry = catalog.get("web-service@2.1.0")
    within = estimate(resolve(make_request(size="S"), catalog, sites), sites)
    over = estimate(resolve(make_request(size="S", data_services=({"kind": "postgres", "size": "XL"},)), catalog, sites),
                    sites)
    assert over_budget(entry, "S", within) is None
    warning = over_budget(entry, "S", over)
    assert warning and "$600.00 budget" in warning and "web-service@2.1.0 size S" in warning


def test_bp_new_dry_run_prints_cost_and_warns_past_budget(bp):
    args = ["new", "payments", "--blueprint", "web-service", "--env", "prod", "--region", "amer", "--target", "aws",
            "--size", "S", "--owner", "lead@example.com", "--cost-center", "CC-1", "--dry-run"]
    result = bp(*args)
    assert result.exit_code == 0 and "a month" in result.output and "NAT gateway" in result.output
    assert "budget" not in result.output
    result = bp(*args, "-d", "postgres:XL", "-d", "redis:XL")
    assert result.exit_code == 0 and "over the $600.00 budget" in result.output


def test_bp_cost_formats(bp, repo):
    for stack in ("payments-prod", "risk-dev"):
        (repo / "stacks" / f"Pulumi.{stack}.yaml").write_text((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    table = bp("cost", "payments-prod")
    assert table.exit_code == 0 and "$657.22 a month" in table.output
    data = json.loads(bp("cost", "risk-dev", "--format", "json").stdout)
    assert data["monthly"] == "1736.41" and data["components"][0]["name"] == "compute"
    infra = json.loads(bp("cost", "payments-prod", "-f", "infracost").stdout)
    Draft4Validator(INFRACOST_SCHEMA).validate(infra)
    assert bp("cost", "nobody-dev").exit_code == 2


def test_bp_upgrade_and_fleet_upgrade_plan_show_the_cost_change(bp, repo, sites):
    for team in ("alpha", "beta"):
        assert bp("new", team, "--blueprint", "web-service@2.0.0", "--env", "dev", "--region", "amer", "--target", "aws",
                  "--owner", "lead@example.com", "--cost-center", "CC-1").exit_code == 0
    before = estimate(read_stack(repo / "stacks" / "Pulumi.alpha-dev.yaml"), sites).monthly
    dry = bp("upgrade", "alpha-dev", "--to", "web-service@2.1.0", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    cost = json.loads(dry.output)["monthly_cost"]
    assert cost["before"] == str(money(before)) and Decimal(cost["change"]) == Decimal(cost["after"]) - Decimal(cost["before"])
    text = bp("upgrade", "alpha-dev", "--to", "web-service@2.1.0", "--dry-run")
    assert f"monthly cost: ${money(before):,} -> $" in text.output, text.output
    plan = bp("fleet", "upgrade", "plan", "--blueprint", "web-service", "--to", "2.1.0", "--waves", "dev", "--json")
    waves = json.loads(plan.output)["monthly_cost"]
    assert sum(Decimal(w["before"]) for w in waves.values()) == money(2 * before)
    table = bp("fleet", "upgrade", "plan", "--blueprint", "web-service", "--to", "2.1.0", "--waves", "dev")
    assert f"${money(2 * before):,} -> ${money(2 * before):,} a month (+$0.00)" in table.output, table.output


def test_bp_new_dry_run_on_an_existing_stack_shows_the_cost_change(bp):
    args = ["new", "payments", "--blueprint", "web-service", "--env", "dev", "--region", "amer", "--target", "aws",
            "--owner", "lead@example.com", "--cost-center", "CC-1"]
    assert bp(*args, "--size", "S").exit_code == 0
    resize = bp(*args, "--size", "L", "--force", "--dry-run")
    assert resize.exit_code == 0 and "size: L" in resize.output
    assert "monthly cost: $" in resize.output and "(+$" in resize.output, resize.output


def test_bp_cost_without_prices_is_one_line_exit_2(bp, repo, tmp_path):
    (repo / "stacks" / "Pulumi.payments-prod.yaml").write_text((ROOT / "stacks" / "Pulumi.payments-prod.yaml").read_text())
    text = (ROOT / "blueprints" / "sites" / "demo-fleet.yaml").read_text()
    bare = tmp_path / "sites.yaml"
    bare.write_text(text[:text.index("\n# Prices (issue 22)")] + "\n")
    result = bp("--sites", str(bare), "cost", "payments-prod")
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "prices:" in result.output, result.output


def test_bp_cost_writes_infracost_json_to_a_regular_file_only(bp, repo, tmp_path):
    (repo / "stacks" / "Pulumi.payments-prod.yaml").write_text((ROOT / "stacks" / "Pulumi.payments-prod.yaml").read_text())
    out = tmp_path / "cost.json"
    assert bp("cost", "payments-prod", "-f", "infracost", "-o", str(out)).exit_code == 0
    Draft4Validator(INFRACOST_SCHEMA).validate(json.loads(out.read_text()))
    assert bp("cost", "payments-prod", "-f", "infracost", "-o", str(tmp_path)).exit_code == 2
    assert bp("cost", "payments-prod", "-o", str(out)).exit_code == 2   # a table goes to the terminal


def test_bp_cost_all_is_one_infracost_project_per_stack(bp, repo, sites):
    for stack in ("payments-prod", "risk-dev"):
        (repo / "stacks" / f"Pulumi.{stack}.yaml").write_text((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    doc = json.loads(bp("cost", "--all", "-f", "infracost").stdout)
    Draft4Validator(INFRACOST_SCHEMA).validate(doc)
    assert [p["name"] for p in doc["projects"]] == ["payments-prod", "risk-dev"]
    assert Decimal(doc["totalMonthlyCost"]) == Decimal("657.22") + Decimal("1736.4140625")
    table = bp("cost", "--all")
    assert table.exit_code == 0 and "2 stacks: $2,393.63 a month" in table.output, table.output
    assert json.loads(bp("cost", "--all", "-f", "json").stdout)["monthly"] == "2393.63"
    assert bp("cost").exit_code == 2 and bp("cost", "risk-dev", "--all").exit_code == 2
