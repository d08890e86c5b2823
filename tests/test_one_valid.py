"""One definition of valid: `bp validate --all` and `bp fleet check` find the same things on the same fleet.

Only validate runs each stack's program, so its `program` findings are the one difference.
"""

from __future__ import annotations

import json

from store import stack_files
from tests.fleet_support import stamp_fleet, write_fleet


def _broken_fleet(repo, catalog, sites):
    """Five stacks: one overlapping another's network, one with a hand-edited size, one on an unknown version, one
    without an owner (unreadable: the ledger is then not judged, by either command)."""
    stacks = stamp_fleet(catalog, sites, 5)
    networked = [bp for bp in stacks if bp.primary.network]
    a, b = networked[0], networked[1]
    write_fleet(repo, stacks)
    placement = b.placements[0].model_copy(update={"network": a.placements[0].network})
    overlapping = b.model_copy(update={"placements": (placement, *b.placements[1:])})
    other = next(bp for bp in stacks if bp not in (a, b))
    bigger = other.model_copy(update={"size": other.size.model_copy(update={"vcpu": other.size.vcpu * 2})})
    for bp in (overlapping, bigger):
        stack_files.write_stack(repo, bp, force=True)
    last = stacks[-1]
    unknown = stack_files.stack_path(repo, last.stack)
    unknown.write_text(unknown.read_text().replace(last.blueprint_ref, f"{last.request.blueprint.split('@')[0]}@9.9.9"))
    ownerless = stack_files.stack_path(repo, next(bp for bp in stacks if bp not in (a, b, other, last)).stack)
    ownerless.write_text("\n".join(line for line in ownerless.read_text().splitlines() if "owner:" not in line) + "\n")


def _per_stack(findings):
    return sorted((stack, f["rule"], f["message"], f["severity"]) for f in findings for stack in f["stacks"])


def test_validate_all_and_fleet_check_give_the_same_findings(bp, repo, catalog, sites):
    _broken_fleet(repo, catalog, sites)
    checked = bp("fleet", "check", "--json")
    validated = bp("validate", "--all", "--json")
    assert checked.exit_code == validated.exit_code == 1, (checked.output, validated.output)
    fleet = _per_stack(json.loads(checked.stdout)["findings"])
    valid = sorted((f["stack"], f["rule"], f["message"], "error" if f["error"] else "warning")
                   for f in json.loads(validated.stdout)["findings"] if f["rule"] != "program")
    assert valid == fleet
    rules = {rule for _, rule, _, _ in fleet}
    assert {"network-overlap", "hand-edited", "stack", "missing-owner"} <= rules, rules


def test_a_named_stack_gets_the_fleet_findings_that_involve_it(bp, repo, catalog, sites):
    _broken_fleet(repo, catalog, sites)
    every = _per_stack(json.loads(bp("fleet", "check", "--json").stdout)["findings"])
    stack = next(s for s, rule, _, _ in every if rule == "network-overlap")
    result = bp("validate", stack, "--json")
    report = json.loads(result.stdout)
    named = sorted((f["stack"], f["rule"], f["message"], "error" if f["error"] else "warning")
                   for f in report["findings"] if f["rule"] != "program" and f["stack"] == stack)
    assert named == [f for f in every if f[0] == stack] and result.exit_code == 1
