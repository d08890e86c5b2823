"""The bp CLI through typer's runner: the happy path, and every bad input exits 2 with nothing written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from store.stack_files import list_stack_files

NEW = ["new", "payments", "--blueprint", "web-service", "--env", "dev", "--region", "amer",
       "--owner", "lead@example.com", "--cost-center", "CC-1"]


def files(repo):
    return {p.name: p.read_text() for p in list_stack_files(repo)}


def test_new_writes_a_stack_and_prints_next_steps(bp, repo):
    result = bp(*NEW)
    assert result.exit_code == 0, result.output
    assert "bp preview payments-dev" in result.output
    text = (repo / "stacks" / "Pulumi.payments-dev.yaml").read_text()
    assert "blueprint: web-service@2.1.0" in text and "pulumi:disable-default-providers" in text


def test_an_existing_stack_is_never_overwritten_without_force(bp, repo):
    assert bp(*NEW).exit_code == 0
    before = files(repo)
    result = bp(*NEW[:-1], "CC-2")
    assert result.exit_code == 2 and "--force" in result.output
    assert files(repo) == before
    assert bp(*NEW[:-1], "CC-2", "--force").exit_code == 0
    assert "cost_center: CC-2" in files(repo)["Pulumi.payments-dev.yaml"]


def test_dry_run_writes_nothing(bp, repo):
    result = bp(*NEW, "--dry-run", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["request"]["blueprint"] == "web-service@2.1.0"
    assert files(repo) == {}


@pytest.mark.parametrize("change, message", [
    ({"--blueprint": "nope"}, "unknown blueprint 'nope'"),
    ({"--blueprint": "web-service@9.9.9"}, "has no version 9.9.9"),
    ({"team": "../x"}, "DNS-1123"),
    ({"team": "Payments"}, "DNS-1123"),
    ({"team": "p" * 31}, "at most"),
    ({"--region": "mars"}, "unknown region 'mars'"),
    ({"--env": "qa"}, "--env"),
    ({"--owner": "nobody"}, "e-mail"),
    ({"--size": "XXL"}, "--size"),
])
def test_bad_requests_exit_2_and_write_nothing(bp, repo, change, message):
    args = list(NEW)
    for key, value in change.items():
        if key == "team":
            args[1] = value
        elif key in args:
            args[args.index(key) + 1] = value
        else:
            args += [key, value]
    result = bp(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) <= 2, "errors are one line"
    assert files(repo) == {}
    assert not any(p.name.startswith(".") for p in (repo / "stacks").iterdir()), "a temporary file was left"


def test_unknown_site_and_parameter(bp, repo):
    args = [a for a in NEW if a not in ("--region", "amer")]
    assert "unknown site 'zz9'" in bp(*args, "--site", "zz9").output
    result = bp(*NEW, "--param", "colour=blue")
    assert result.exit_code == 2 and "--param colour: not a parameter of web-service@2.1.0" in result.output
    assert files(repo) == {}


def test_missing_values_fail_clearly_without_a_terminal(bp, repo):
    result = bp("new", "payments", "--blueprint", "web-service", "--env", "dev", "--region", "amer")
    assert result.exit_code == 2 and "--owner is required (no terminal to prompt on)" in result.output


def test_request_file_errors_name_the_file_line_and_field(bp, repo, tmp_path):
    request = tmp_path / "request.yaml"
    request.write_text("blueprint: web-service\nenv: dev\nregion: amer\nowner: a@b.cd\ncost_centre: CC-1\n")
    result = bp("new", "payments", "--from", str(request))
    assert result.exit_code == 2
    assert "request.yaml:5: cost_centre: unknown field" in result.output.replace("\n", "")
    request.write_text("blueprint: web-service\nenv: [dev\n")
    result = bp("new", "payments", "--from", str(request))
    assert result.exit_code == 2 and "request.yaml:3: malformed YAML" in result.output.replace("\n", "")
    assert files(repo) == {}


def test_a_malformed_stack_file_is_reported_with_its_line(bp, repo):
    assert bp(*NEW).exit_code == 0
    path = repo / "stacks" / "Pulumi.payments-dev.yaml"
    path.write_text(path.read_text().replace("      size: M\n", "      sise: M\n", 1))
    result = bp("validate", "payments-dev")
    assert result.exit_code == 2
    out = result.output.replace("\n", "")
    assert "Pulumi.payments-dev.yaml:" in out and "sise: unknown field" in out


def test_validate_catches_overlapping_networks(bp, repo):
    assert bp(*NEW).exit_code == 0
    other = [*NEW]
    other[1] = "orders"
    assert bp(*other).exit_code == 0
    a = (repo / "stacks" / "Pulumi.payments-dev.yaml").read_text()
    b = repo / "stacks" / "Pulumi.orders-dev.yaml"
    cidr_a = [line for line in a.splitlines() if "cidr: 10." in line][0]
    cidr_b = [line for line in b.read_text().splitlines() if "cidr: 10." in line][0]
    b.write_text(b.read_text().replace(cidr_b, cidr_a))
    result = bp("validate", "--all", "--json")
    assert result.exit_code == 1
    assert any("overlaps" in f["message"] for f in json.loads(result.stdout)["findings"])


def test_catalog_and_schema(bp):
    listed = json.loads(bp("catalog", "list", "--json").stdout)
    assert {"web-service", "vm-app"} <= {e["name"] for e in listed}
    assert json.loads(bp("catalog", "show", "vm-app", "--json").stdout)["targets"] == ["vsphere"]
    assert bp("catalog", "show", "nope").exit_code == 2
    schema = json.loads(bp("schema").stdout)
    assert set(schema["required"]) == {"team", "env", "blueprint", "owner", "cost_center"}


def test_help_does_not_load_the_provider_sdks():
    code = "import sys, cli.main; print(sorted(m for m in sys.modules if m.startswith('pulumi')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", f"bp --help imports {loaded}"
