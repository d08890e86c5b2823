"""A Postgres major upgrade in a fleet rollout: each pending stack's diff carries the offline-upgrade note."""

from __future__ import annotations

import json

from blueprints.placement.resolve import resolve
from tests.conftest import make_request
from tests.fleet_support import write_fleet


def _pg16(catalog, sites, team: str, target: str, **extra):
    where = {"site": "ny1", "region": None} if target == "vsphere" else {}
    return resolve(make_request(team=team, blueprint="web-service@2.0.0", target=target,
                                data_services=[{"kind": "postgres", "size": "S"}], **where, **extra), catalog, sites)


def test_the_fleet_upgrade_plan_carries_the_major_upgrade_note_per_stack(repo, catalog, sites, bp):
    write_fleet(repo, [_pg16(catalog, sites, "onprem", "vsphere"), _pg16(catalog, sites, "cloud", "aws")])
    result = bp("fleet", "upgrade", "plan", "--blueprint", "web-service", "--to", "2.1.0", "--waves", "dev",
                "--canary", "0%", "--json")
    assert result.exit_code == 0, result.output
    notes = {s["stack"]: s["notes"] for w in json.loads(result.output)["waves"] for s in w["stacks"]}
    [cnpg] = [n for n in notes["onprem-dev"] if n.startswith("major PostgreSQL upgrade 16 -> 17")]
    assert "offline" in cnpg and "backup first" in cnpg and "no rollback" in cnpg, cnpg
    assert any(n.startswith("major engine upgrade 16 -> 17") for n in notes["cloud-dev"]), notes["cloud-dev"]
    text = bp("fleet", "upgrade", "plan", "--blueprint", "web-service", "--to", "2.1.0", "--waves", "dev",
              "--canary", "0%")
    assert "note onprem-dev (wave 1): major PostgreSQL upgrade 16 -> 17" in " ".join(text.output.split()), text.output


def test_a_move_without_a_major_change_has_no_upgrade_note(repo, catalog, sites, bp):
    write_fleet(repo, [_pg16(catalog, sites, "kept", "vsphere", parameters={"postgres_version": "16"})])
    result = bp("fleet", "upgrade", "plan", "--blueprint", "web-service", "--to", "2.1.0", "--waves", "dev",
                "--canary", "0%", "--json")
    stacks = [s for w in json.loads(result.output)["waves"] for s in w["stacks"]]
    assert stacks and stacks[0]["counts"] is not None, result.output
    assert not [n for s in stacks for n in s["notes"] if "major" in n], stacks
