"""`bp fleet audit`: the same findings as `bp audit`, on worker processes that own their packs; the cache and what
invalidates it; shards; exit codes; a pack that dies; and no pack process left behind."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from audit import fleet as fleet_audit
from audit.fleet import FleetAudit
from engine import fingerprint
from engine.cache import ResultCache
from engine.fleet import run_fleet
from policy_packs.exemptions import Exemption
from store.stack_files import list_stack_files, stack_name
from tests.test_fleet_preview import STACKS, fleet, lines  # noqa: F401 (fleet is a fixture)

SARIF_SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"

# Every tagged or labelled resource breaks a mandatory policy; one stack is exempt from it; an advisory one fires on AWS.
CONFIG = {"cloudblueprints-ownership-resource-tags": {"costCenterPattern": "^XX-"},
          "aws-cloudwatch-loggroup-retention": {"minimumDays": 400}}
EXEMPTIONS = """\
exemptions:
  - policy: cloudblueprints-ownership-resource-tags
    stack: k8s-test
    resource: "*"
    reason: Legacy cost centers until the finance migration
    approver: ciso@example.com
    ticket: RISK-7
    expires: 2099-12-31
"""


@pytest.fixture
def settings(tmp_path) -> tuple[Path, Path]:
    config, exemptions = tmp_path / "policy-config.json", tmp_path / "exemptions.yaml"
    config.write_text(json.dumps(CONFIG))
    exemptions.write_text(EXEMPTIONS)
    return config, exemptions


def audit(bp, *args: str):
    return bp("fleet", "audit", "--json", *args)


def test_workers_find_what_bp_audit_finds_per_stack_in_every_report(fleet, bp, settings, tmp_path):
    config, exemptions = settings
    options = ["--config", str(config), "--exemptions", str(exemptions)]
    sarif = tmp_path / "fleet.sarif"
    result = audit(bp, "--jobs", "2", *options, "--format", "sarif", "--output", str(sarif))
    rows, summary = lines(result)
    single = bp("audit", "--all", "--format", "json", *options)
    expected = {s["stack"]: s for s in json.loads(single.stdout)["stacks"]}
    assert result.exit_code == single.exit_code == 1, result.output
    assert set(rows) == set(STACKS) and summary["ran"] == 3 and summary["failed"] == 0, summary
    for stack, row in rows.items():
        assert row["ok"] and row["findings"] == expected[stack]["findings"], stack
        assert row["blocking"] == sum(f["status"] == "violation" and f["enforcement"] == "mandatory"
                                      for f in row["findings"]), stack
    assert rows["k8s-test"]["blocking"] == 0 and {f["status"] for f in rows["k8s-test"]["findings"]} == {"exempt"}
    assert rows["web-dev"]["blocking"] > 0 and summary["blocked_stacks"] == 1 and summary["by_kind"]["exempt"] > 0 and summary["by_kind"]["advisory"] > 0
    assert summary["blocking"] == sum(r["blocking"] for r in rows.values()) and summary["ok"] is False
    assert summary["unused_exemptions"] == []

    streamed = json.loads(sarif.read_text())  # the writer `bp audit --format sarif` uses too, fed stack by stack
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(streamed)
    results = streamed["runs"][0]["results"]
    assert sorted((r["properties"]["urn"], r["ruleId"], r["properties"]["status"]) for r in results) == sorted(
        (f["urn"], f["policy"], f["status"]) for row in rows.values() for f in row["findings"])
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        row["source"] for row in rows.values() if row["findings"]}

    junit = tmp_path / "fleet.xml"  # from the cache: the findings are kept with each cached result
    warm = audit(bp, *options, "--format", "junit", "--output", str(junit))
    assert lines(warm)[1]["cached"] == 3
    suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
    assert set(suites) == set(STACKS) and suites["k8s-test"].get("failures") == "0"
    assert int(suites["web-dev"].get("failures")) == 1


def test_the_cache_serves_an_unchanged_fleet_and_a_policy_or_exemption_change_runs_it_again(fleet, bp, settings):
    config, exemptions = settings
    config.write_text(json.dumps({"cloudblueprints-ownership-resource-tags": CONFIG["cloudblueprints-ownership-resource-tags"]}))
    options = ["--pack", "baseline", "--config", str(config), "--exemptions", str(exemptions)]
    first, summary = lines(audit(bp, "--jobs", "1", *options))
    assert summary["ran"] == 3
    again, summary = lines(audit(bp, "--jobs", "1", *options))
    assert summary["cached"] == 3 and all(r["cached"] for r in again.values())
    assert {s: r["findings"] for s, r in again.items()} == {s: r["findings"] for s, r in first.items()}

    exemptions.write_text(EXEMPTIONS.replace("stack: k8s-test", "stack: web-dev"))
    rows, summary = lines(audit(bp, "--jobs", "1", *options))
    assert summary["ran"] == 3 and rows["k8s-test"]["blocking"] > 0 and rows["web-dev"]["blocking"] == 0
    config.write_text(json.dumps({"cloudblueprints-ownership-resource-tags": "advisory"}))
    rows, summary = lines(audit(bp, "--jobs", "1", *options))
    assert summary["ran"] == 3 and summary["blocking"] == 0, summary


def test_an_exemption_running_out_changes_the_cache_key(settings, monkeypatch):
    _, exemptions = settings
    evaluator, _, _ = FleetAudit.prepare(["baseline"], None, "--config", exemptions)
    before = evaluator.cache_tag()
    monkeypatch.setattr(Exemption, "active", lambda self, today=None: False)
    assert evaluator.cache_tag() != before


def test_a_change_to_a_policy_module_changes_the_cache_key(tmp_path, monkeypatch, repo):
    import shutil

    for package in fingerprint.CODE_PACKAGES:
        shutil.copytree(fingerprint.LIBRARY / package, tmp_path / "lib" / package)
    monkeypatch.setattr(fingerprint, "LIBRARY", tmp_path / "lib")
    before = fingerprint.code_fingerprint(repo, "{}", "audit")
    policy = tmp_path / "lib" / "policy_packs" / "policies" / "baseline.py"
    policy.write_text(policy.read_text() + "\n# tightened\n")
    assert fingerprint.code_fingerprint(repo, "{}", "audit") != before


def test_shards_partition_the_fleet(fleet, bp):
    assert lines(audit(bp, "--pack", "baseline", "--jobs", "1"))[1]["ran"] == 3
    seen = []
    for i in (1, 2, 3):
        rows, summary = lines(audit(bp, "--pack", "baseline", "--shard", f"{i}/3"))
        assert summary["cached"] == summary["stacks"]  # a shard's key is its stack's, so the full run served it
        seen += rows
    assert sorted(seen) == sorted(STACKS)


def test_exit_0_on_a_clean_fleet_and_2_on_bad_input(fleet, bp, tmp_path):
    result = bp("fleet", "audit", "--pack", "baseline", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "3 stacks (3 run, 0 from the cache) against" in result.output and "0 mandatory violations" in result.output
    bad_config = tmp_path / "config.json"
    bad_config.write_text("{not json")
    for args, message in ((["--pack", "azure"], "no pack azure"), (["--output", "x.txt"], "--output needs a file format"),
                          (["--json", "--format", "sarif"], "pass --output"), (["--shard", "4/3"], "--shard"),
                          (["--config", str(bad_config)], f"{bad_config}:1: malformed JSON")):
        result = bp("fleet", "audit", *args)
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, (args, result.output)
    report = tmp_path / "out" / "fleet.sarif"
    report.parent.mkdir()
    assert bp("fleet", "audit", "--format", "sarif", "--output", str(report), "--shard", "0/3").exit_code == 2
    assert list(report.parent.iterdir()) == [], "a run that never finished left a report behind"


# --- worker processes evaluate the packs themselves ----------------------------------------------------------

def pack_pids(exemptions: Path) -> set[int]:
    """Live pack processes started with this exemptions file: the packs get its path in their environment."""
    marker = f"BP_EXEMPTIONS={exemptions.resolve()}".encode()
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "environ").read_bytes().split(b"\0"):
                found.add(int(proc.name))
        except OSError:
            continue
    return found


@pytest.fixture
def baseline_audit(settings) -> FleetAudit:
    return FleetAudit.prepare(["baseline"], None, "--config", settings[1])[0]


def test_workers_start_no_pack_processes(fleet, sites, baseline_audit):
    exemptions = Path(baseline_audit.exemptions_file)
    for result in run_fleet(fleet, list_stack_files(fleet), sites, baseline_audit, None, 2):
        assert result.data["ok"], result.data
        assert pack_pids(exemptions) == set(), "a worker started a pack process"


@dataclass(frozen=True)
class BreaksAPolicy(FleetAudit):
    """Makes a policy raise while auditing `victim`, as a bug in a policy would."""

    victim: str = ""

    def __call__(self, repo, stack_file, sites):
        pack = fleet_audit._packs(self).analyzers["baseline"]
        policy = next(p for p in pack.policies if p.name == "cloudblueprints-ownership-resource-tags")
        broken = stack_name(stack_file) == self.victim
        policy.__dict__.pop("validate", None)
        if broken:
            policy.validate = lambda args, report: 1 / 0
            pack.cache = None
        return super().__call__(repo, stack_file, sites)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_policy_that_raises_fails_its_stack_only_and_is_not_cached(fleet, sites, baseline_audit, jobs, tmp_path):
    files = list_stack_files(fleet)
    evaluator = BreaksAPolicy(*(getattr(baseline_audit, f) for f in ("packs", "config", "config_source", "exemptions_file")),
                              victim=stack_name(files[0]))
    cache = ResultCache(tmp_path / "cache", "fingerprint")
    results = {r.stack: r.data for r in run_fleet(fleet, files, sites, evaluator, cache, jobs)}
    victim = results.pop(evaluator.victim)
    assert not victim["ok"] and "policy cloudblueprints-ownership-resource-tags failed on urn:pulumi:" in victim["error"], victim
    assert all(r["ok"] for r in results.values()), results
    assert [cache.get(cache.key(f)) is None for f in files] == [True, False, False]
