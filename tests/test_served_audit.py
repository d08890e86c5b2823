"""`bp audit ONE` answered by the engine server, whose packs stay warm: the report the Analyzer protocol gives, bad
input refused as in-process, and the run here when no server answers."""

from __future__ import annotations

import json

import pytest

from engine import server
from tests import test_engine_server
from tests.conftest import run_bp

# The engine server's fixtures: a repository with an AWS and a vSphere stack, and its server in a runtime folder.
runtime, served = test_engine_server.runtime, test_engine_server.served

CONFIG = {"cloudblueprints-ownership-resource-tags": {"costCenterPattern": "^XX-"},
          "aws-cloudwatch-loggroup-retention": {"minimumDays": 400}}
EXEMPTIONS = """\
exemptions:
  - policy: aws-cloudwatch-loggroup-retention
    stack: shop-*
    resource: "*"
    reason: Logs are exported nightly to the archive, which keeps them for seven years
    approver: ciso@example.com
    ticket: RISK-7
    expires: 2099-12-31
"""


@pytest.fixture
def options(tmp_path) -> list[str]:
    config, exemptions = tmp_path / "config.json", tmp_path / "exemptions.yaml"
    config.write_text(json.dumps(CONFIG))
    exemptions.write_text(EXEMPTIONS)
    return ["--config", str(config), "--exemptions", str(exemptions)]


def test_a_served_audit_reports_what_the_analyzer_protocol_finds(served, options):
    repo, stamped = served
    statuses = set()
    for resolved in stamped:  # an AWS stack with violations and exemptions, a vSphere stack without
        before = server.status(repo)["served"]
        here = run_bp(repo, "audit", resolved.stack, "--format", "json", *options)
        assert server.status(repo)["served"] == before + 1, "the server did not answer the audit"
        conformance = run_bp(repo, "audit", resolved.stack, "--format", "json", "--conformance", *options)
        assert here.returncode == conformance.returncode, (resolved.stack, here.stderr)
        report = json.loads(here.stdout)
        assert report == json.loads(conformance.stdout), resolved.stack
        statuses |= {f["status"] for s in report["stacks"] for f in s["findings"]}
    assert statuses == {"violation", "exempt"}

def test_bad_policy_config_through_the_server_is_one_line_and_exit_2(served, tmp_path):
    repo, stamped = served
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"aws-rds-instance-backup-retention": {"days": 3}}))
    result = run_bp(repo, "audit", stamped[0].stack, "--config", str(config))
    assert result.returncode == 2 and "unknown setting(s) days" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_without_a_server_the_audit_runs_here(served, options):
    repo, stamped = served
    server.stop(repo)
    try:
        result = run_bp(repo, "audit", stamped[0].stack, "--format", "json", *options)
        assert server.status(repo) is None
        assert result.returncode == 1 and json.loads(result.stdout)["summary"]["blocking"] > 0, result.stderr
    finally:
        server.start(repo)


def test_a_server_whose_policies_read_an_older_sites_map_gives_way(tmp_path, monkeypatch):
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text("first: 1\n")
    monkeypatch.setattr(server, "sites_path", lambda explicit=None: sites_file)
    monkeypatch.setattr(server, "_packs_sites", None)
    assert not server._sites_changed_under_packs() and not server._sites_changed_under_packs()
    sites_file.write_text("first: 1\nsecond: 2\n")
    assert server._sites_changed_under_packs()
    assert server.run_audit(tmp_path, "shop-dev", None, {}) == {"kind": "stale"}
