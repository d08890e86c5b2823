"""One reading contract for every file: a key written twice and an impossible date are one line naming file and line,
in every reader, fast or not; a named input file that does not exist is exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audit.run import load_config
from blueprints import yaml_io
from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.sites import DEMO_SITES, load_sites
from policy_packs import exemptions
from store.pins import read_pin
from store.stack_files import read_stack, stack_path
from tests.conftest import ROOT
from tests.test_cli_robustness import NEW

EXEMPTION = """\
exemptions:
- policy: aws-s3-bucket-versioning
  stack: payments-*
  resource: '*'
  reason: a reviewed reason of some length
  approver: risk@example.com
  ticket: RISK-1
  expires: 2099-01-01
"""
PIN = """\
  cloud-blueprints:pin:
    reason: vendor freeze
    approver: ops@example.com
    expires: 2099-01-01
    version: vm-app@1.0.0
"""


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _refused(read, path: Path, line_text: str, *words: str) -> None:
    with pytest.raises(BadInput) as caught:
        read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{_line_of(path, line_text)}: "), message
    assert "\n" not in message
    for word in words:
        assert word in message, message


@pytest.fixture
def stack(bp, repo) -> Path:
    assert bp(*NEW).exit_code == 0
    path = stack_path(repo, "payments-dev")
    path.write_text(path.read_text().replace("config:\n", "config:\n" + PIN, 1))
    return path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _catalog_file(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "blueprints" / "catalog", tmp_path / "catalog")
    return tmp_path / "catalog" / "web-service" / "1.0.0.yaml"


def _sites_file(tmp_path: Path) -> Path:
    path = tmp_path / "sites.yaml"
    shutil.copy(DEMO_SITES, path)
    return path


def _exemptions_file(tmp_path: Path) -> Path:
    path = tmp_path / "exemptions.yaml"
    path.write_text(EXEMPTION)
    return path


def test_each_reader_reads_the_unedited_files(stack, tmp_path):
    assert read_stack(stack).request.owner == "lead@example.com" and read_pin(stack).approver == "ops@example.com"
    assert load_sites(_sites_file(tmp_path)).platform.admin_group == "platform-admins"
    assert exemptions.load(_exemptions_file(tmp_path))[0].ticket == "RISK-1"
    assert Catalog(_catalog_file(tmp_path).parent.parent).entries


@pytest.mark.parametrize("reader", ["stack file (fast reader)", "stack file (round-trip reader)", "pin"])
def test_a_key_written_twice_in_a_stack_file(stack, reader):
    if reader == "pin":
        _edit(stack, "    approver: ops@example.com\n", "    approver: ops@example.com\n    approver: evil@example.com\n")
        _refused(read_pin, stack, "evil@example.com", "duplicate key")
        return
    _edit(stack, "owner: lead@example.com\n", "owner: lead@example.com\n      owner: evil@example.com\n")
    read = read_stack if "fast" in reader else yaml_io.load
    _refused(read, stack, "evil@example.com", "duplicate key", '"owner"')


def test_a_key_written_twice_in_the_sites_map_catalog_and_exemptions(tmp_path):
    sites = _sites_file(tmp_path)
    _edit(sites, "  admin_group: platform-admins\n", "  admin_group: platform-admins\n  admin_group: evil-admins\n")
    _refused(load_sites, sites, "evil-admins", "duplicate key", '"admin_group"')
    entry = _catalog_file(tmp_path)
    _edit(entry, "successor: 2.1.0\n", "successor: 2.1.0\nsuccessor: 9.9.9\n")
    _refused(lambda p: Catalog(p.parent.parent).entries, entry, "9.9.9", "duplicate key")
    ex = _exemptions_file(tmp_path)
    _edit(ex, "  ticket: RISK-1\n", "  ticket: RISK-1\n  ticket: RISK-2\n")
    _refused(exemptions.load, ex, "RISK-2", "duplicate key")


def test_the_fast_readers_refuse_a_repeat_anywhere_in_a_plain_file(tmp_path):
    path = tmp_path / "x.yaml"
    for text, line in [("a: 1\nb: {c: 1, c: 2}\n", 2), ("a: [{k: 1}, {k: 2, k: 3}]\n", 1), ("a: 1\nb: 2\na: 3\n", 3)]:
        path.write_text(text)
        with pytest.raises(BadInput, match="duplicate key") as caught:
            yaml_io.load_data(path)
        assert caught.value.line == line, text


def test_a_key_written_twice_in_a_policy_config(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"aws-s3-bucket-versioning": "advisory", "aws-s3-bucket-versioning": "disabled"}')
    with pytest.raises(BadInput, match="duplicate key 'aws-s3-bucket-versioning'"):
        load_config(path)


@pytest.mark.parametrize("date, words", [("2026-02-30", "day is out of range"), ("2026-13-01", "month must be in 1..12")])
def test_an_impossible_date_in_each_kind_of_file(stack, tmp_path, date, words):
    _edit(stack, "expires: 2099-01-01", f"expires: {date}")
    for read in (read_stack, read_pin, yaml_io.load):
        _refused(read, stack, date, f"{date} is not a date", words)
    ex = _exemptions_file(tmp_path)
    _edit(ex, "expires: 2099-01-01", f"expires: {date}")
    _refused(exemptions.load, ex, date, f"{date} is not a date")
    entry = _catalog_file(tmp_path)
    _edit(entry, "sunset: 2027-03-31", f"sunset: {date}")
    _refused(lambda p: Catalog(p.parent.parent).entries, entry, date, f"{date} is not a date")
    sites = _sites_file(tmp_path)
    _edit(sites, "  team_group_prefix: team-\n", f"  team_group_prefix: team-\n  since: {date}\n")
    _refused(load_sites, sites, date, f"{date} is not a date")


def test_cli_commands_report_a_duplicate_key_and_a_bad_date_as_one_line(bp, stack):
    _edit(stack, "owner: lead@example.com\n", "owner: lead@example.com\n      owner: evil@example.com\n")
    result = bp("stacks", "list")
    assert result.exit_code == 2 and "duplicate key" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    _edit(stack, "      owner: evil@example.com\n", "")
    _edit(stack, "expires: 2099-01-01", "expires: 2026-02-30")
    result = bp("pin", "payments-dev", "--reason", "vendor freeze", "--approver", "ops@example.com",
                "--expires", "2099-01-01")
    assert result.exit_code == 2 and "2026-02-30 is not a date" in result.output, result.output


@pytest.mark.parametrize("args, words", [
    (["audit", "payments-dev", "--exemptions", "exemptoins.yaml"], "no such exemptions file"),
    (["fleet", "audit", "--exemptions", "exemptoins.yaml"], "no such exemptions file"),
    (["audit", "payments-dev", "--config", "missing.json"], "cannot read"),
    (["new", "x1", "--from", "missing.yaml"], "cannot read"),
    (["--sites", "missing.yaml", "sites", "list"], "cannot read"),
])
def test_a_named_input_file_that_does_not_exist_is_bad_input(bp, repo, args, words, monkeypatch):
    monkeypatch.chdir(repo)
    assert bp(*NEW).exit_code == 0
    result = bp(*args)
    assert result.exit_code == 2, result.output
    assert words in result.output and ("missing" in result.output or "exemptoins" in result.output)
