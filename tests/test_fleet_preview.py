"""`bp fleet preview`: every stack on worker processes, the content-hash cache, shards, and failures."""

from __future__ import annotations

import hashlib
import json

import pytest

from engine.fleet import shard
from engine.stacks import preview
from store.stack_files import list_stack_files, read_stack, stack_path

OWNER = ["--owner", "lead@example.com", "--cost-center", "CC-1"]
STACKS = {
    "web-dev": ["--blueprint", "web-service", "--env", "dev", "--region", "amer", "--target", "aws"],
    "vm-prod": ["--blueprint", "vm-app", "--env", "prod", "--region", "emea"],
    "k8s-test": ["--blueprint", "k8s-cluster", "--env", "test", "--region", "apac", "--target", "vsphere"],
}


@pytest.fixture
def fleet(bp, repo):
    for stack, args in STACKS.items():
        team, env = stack.split("-")
        result = bp("new", team, "--env", env, *args, *OWNER)
        assert result.exit_code == 0, result.output
    return repo


def lines(result) -> tuple[dict[str, dict], dict]:
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {r["stack"]: r for r in rows[:-1]}, rows[-1]["summary"]


def test_every_stack_runs_on_workers_and_matches_a_single_preview(fleet, bp, sites):
    result = bp("fleet", "preview", "--json", "--jobs", "2")
    assert result.exit_code == 0, result.output
    rows, summary = lines(result)
    assert set(rows) == set(STACKS) and summary["failed"] == 0 and summary["ran"] == 3, summary
    for stack, row in rows.items():
        capture = preview(fleet, read_stack(stack_path(fleet, stack)), sites)
        digest = hashlib.sha256(json.dumps(capture.to_json(), sort_keys=True, default=str).encode()).hexdigest()
        assert row["ok"] and row["resources"] == len(capture.resources) and row["digest"] == digest, stack


def test_an_unchanged_stack_comes_from_the_cache_and_a_changed_one_runs_again(fleet, bp):
    first = lines(bp("fleet", "preview", "--json", "--jobs", "1"))[0]
    assert bp("new", "vm", "--env", "prod", *STACKS["vm-prod"], "--owner", "lead@example.com", "--cost-center", "CC-2",
              "--force").exit_code == 0
    rows, summary = lines(bp("fleet", "preview", "--json", "--jobs", "1"))
    assert {s for s, r in rows.items() if not r["cached"]} == {"vm-prod"}, rows
    assert (summary["ran"], summary["cached"]) == (1, 2)
    assert rows["web-dev"]["digest"] == first["web-dev"]["digest"]
    assert rows["vm-prod"]["digest"] != first["vm-prod"]["digest"]
    assert lines(bp("fleet", "preview", "--json", "--no-cache"))[1]["ran"] == 3


def test_shards_split_the_fleet_into_disjoint_stable_parts(fleet, bp, tmp_path):
    files = list_stack_files(fleet)
    parts = [shard(files, i, 3) for i in (1, 2, 3)]
    assert sorted(p for part in parts for p in part) == files
    # A stack's shard depends on its name only: more stacks never move it.
    more = files + [tmp_path / f"Pulumi.team{i}-dev.yaml" for i in range(20)]
    assert all(set(part) <= set(shard(more, i, 3)) for i, part in zip((1, 2, 3), parts))
    ran = set()
    for i in (1, 2, 3):
        result = bp("fleet", "preview", "--json", "--shard", f"{i}/3", "--no-cache")
        ran |= set(lines(result)[0])
    assert ran == set(STACKS)


@pytest.mark.parametrize("bad", ["0/2", "3/2", "x", "1/0"])
def test_a_bad_shard_exits_2(fleet, bp, bad):
    result = bp("fleet", "preview", "--shard", bad)
    assert result.exit_code == 2 and "--shard" in result.output


def test_a_failing_stack_is_reported_and_exits_1(fleet, bp):
    path = stack_path(fleet, "vm-prod")
    path.write_text(path.read_text().replace("vcpu:", "vcpu: lots #", 1))
    result = bp("fleet", "preview")
    assert result.exit_code == 1
    assert "failed vm-prod" in result.output and "vcpu" in result.output
    assert "2 failed" not in result.output and "1 failed" in result.output


def test_a_stacks_key_follows_the_catalog_entry_it_pins(fleet, tmp_path, monkeypatch):
    import shutil

    from engine import cache as cache_module
    from engine.cache import ResultCache

    catalog = tmp_path / "catalog"
    shutil.copytree(cache_module.CATALOG_DIR, catalog)
    monkeypatch.setattr(cache_module, "CATALOG_DIR", catalog)
    cache = ResultCache(tmp_path / "cache", "fingerprint")
    web, vm = stack_path(fleet, "web-dev"), stack_path(fleet, "vm-prod")
    before = cache.key(web), cache.key(vm)
    pinned = read_stack(web).request.blueprint
    entry = catalog / pinned.split("@")[0] / f"{pinned.split('@')[1]}.yaml"
    entry.write_text(entry.read_text() + "\n# a changed entry\n")
    assert cache.key(web) != before[0] and cache.key(vm) == before[1]
