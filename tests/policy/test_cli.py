"""`bp audit` and `bp policy` through typer's runner: formats, files, exit codes and bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from policy_packs.packs import all_rules

STACK = "k8s-vs-dev"


@pytest.fixture(scope="module")
def bp(stamped_repo, no_exemptions):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["--repo", str(stamped_repo), *args], catch_exceptions=False)

    return invoke


def test_audit_table_passes_a_stamped_stack(bp, no_exemptions):
    result = bp("audit", STACK, "--exemptions", str(no_exemptions))
    assert result.exit_code == 0, result.output
    assert f"✓ {STACK}: 22 resources, 0 blocking" in result.output and "0 mandatory violations" in result.output


def test_audit_writes_each_file_format(bp, no_exemptions, tmp_path):
    for fmt, check in (("json", lambda t: json.loads(t)["summary"]["ok"]), ("sarif", lambda t: json.loads(t)["version"] == "2.1.0"),
                       ("junit", lambda t: "<testsuites" in t), ("markdown", lambda t: t.startswith("# Policy audit")),
                       ("html", lambda t: "<!DOCTYPE html>" in t)):
        out = tmp_path / f"report.{fmt}"
        result = bp("audit", STACK, "--format", fmt, "--output", str(out), "--exemptions", str(no_exemptions), "--pack", "baseline")
        assert result.exit_code == 0, result.output
        assert check(out.read_text()), fmt


def test_audit_json_on_stdout_is_only_json(bp, no_exemptions):
    result = bp("audit", STACK, "--format", "json", "--pack", "kubernetes", "--exemptions", str(no_exemptions))
    assert result.exit_code == 0 and json.loads(result.stdout)["summary"]["stacks"] == 1


def test_mandatory_level_from_config_fails_the_audit(bp, no_exemptions, tmp_path):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"kubernetes-operator-resource-replicas-by-tier": {"enforcementLevel": "mandatory"},
                                  "all": "mandatory"}))
    result = bp("audit", "web-vs-dev", "--pack", "kubernetes", "--config", str(config), "--exemptions", str(no_exemptions))
    data = bp("audit", "web-vs-dev", "--pack", "kubernetes", "--config", str(config), "--format", "json",
              "--exemptions", str(no_exemptions))
    levels = {p["enforcement"] for p in json.loads(data.stdout)["policies"].values()}
    assert levels == {"mandatory"} and result.exit_code == (1 if json.loads(data.stdout)["summary"]["blocking"] else 0)


@pytest.mark.parametrize("args, message", [
    (["audit"], "name at least one stack"),
    (["audit", "nobody-dev"], "no stack 'nobody-dev'"),
    (["audit", STACK, "--pack", "azure"], "no pack azure"),
    (["audit", STACK, "--output", "x.txt"], "--output needs a file format"),
])
def test_bad_input_exits_2_with_one_line(bp, args, message):
    result = bp(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_malformed_exemptions_exit_2_naming_file_and_line(bp, tmp_path):
    path = tmp_path / "exemptions.yaml"
    path.write_text("exemptions:\n  - policy: aws-kms-key-rotation\n    ticket: 7\n")
    result = bp("audit", STACK, "--exemptions", str(path))
    assert result.exit_code == 2 and f"{path}:2:" in result.output, result.output


def test_bad_config_json_exits_2(bp, tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    result = bp("audit", STACK, "--config", str(path))
    assert result.exit_code == 2 and f"{path}:1: malformed JSON" in result.output, result.output


def test_policy_list_json_has_every_policy_with_controls(bp):
    rows = json.loads(bp("policy", "list", "--json").stdout)
    assert {r["name"] for r in rows} == set(all_rules())
    assert all(r["controls"] and r["remediation"] and r["description"][0].isupper() for r in rows)
    assert {r["enforcement"] for r in rows if r["severity"] in ("high", "critical")} == {"mandatory"}
    assert sum(r["pack"] == "aws" for r in rows) >= 20 and sum(r["pack"] == "kubernetes" for r in rows) >= 10
    assert sum(r["pack"] == "vsphere" for r in rows) >= 6


def test_policy_impact_names_stacks_and_resources(bp):
    result = bp("policy", "impact", "--policy", "kubernetes-operator-resource-replicas-by-tier", "--level", "mandatory", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["stacks_audited"] == 8
    assert all(f["urn"].startswith(f"urn:pulumi:{f['stack']}::") for f in data["findings"])
    assert bp("policy", "impact", "--policy", "nope").exit_code == 2
