"""Pool choice: teams spread by the stated rule, existing stacks never move, HA spans two data centers."""

from __future__ import annotations

from blueprints.placement.pool_choice import Usage, judge
from blueprints.placement.resolve import resolve
from tests.conftest import make_request


def _eligible(sites, region: str, target: str, tier: str, zone: str = "general"):
    return [p for r, dc, p in sites.pools()
            if r.name == region and dc.target == target and p.tier == tier and zone in p.compliance_zones]


def test_a_sequence_of_teams_lands_on_the_least_committed_pool_each_time(catalog, sites):
    pools = {p.name: p for p in _eligible(sites, "emea", "vsphere", "prod")}
    stamped = []
    for i in range(9):
        bp = resolve(make_request(team=f"team{i}", env="prod", blueprint="vm-app", region="emea"), catalog, sites, stamped)
        # The rule, recomputed independently: the lowest share after adding this stack, ties in map order.
        used = {name: Usage() for name in pools}
        for other in stamped:
            for p in other.placements:
                used[p.pool] = used[p.pool].plus(other.size.vcpu, other.size.memory_gib)
        order = list(pools)
        expected = min(order, key=lambda n: (used[n].plus(bp.size.vcpu, bp.size.memory_gib).fraction(pools[n]),
                                             order.index(n)))
        assert bp.primary.pool == expected, f"team{i} went to {bp.primary.pool}, the rule says {expected}"
        stamped.append(bp)
    counts = {name: sum(bp.primary.pool == name for bp in stamped) for name in pools}
    assert len(pools) >= 3 and min(counts.values()) >= 2, f"teams did not spread: {counts}"


def test_a_bigger_pool_takes_more_teams(catalog, sites):
    stamped = []
    for i in range(30):
        stamped.append(resolve(make_request(team=f"t{i}", env="prod", blueprint="web-service", target="aws",
                                            region="amer", size="L"), catalog, sites, stamped))
    counts: dict[str, int] = {}
    for bp in stamped:
        counts[bp.primary.pool] = counts.get(bp.primary.pool, 0) + 1
    caps = {p.name: p.capacity.vcpu for p in _eligible(sites, "amer", "aws", "prod")}
    assert set(counts) == set(caps), f"some eligible pool got nobody: {counts}"
    big, small = max(caps, key=caps.get), min(caps, key=caps.get)
    if caps[big] > caps[small]:
        assert counts[big] > counts[small], f"{counts} against capacities {caps}"


def test_a_new_team_never_moves_an_existing_one(catalog, sites):
    stamped = []
    for i in range(6):
        stamped.append(resolve(make_request(team=f"team{i}", env="prod", blueprint="vm-app", region="emea"),
                               catalog, sites, stamped))
    before = [bp.placements for bp in stamped]
    resolve(make_request(team="newcomer", env="prod", blueprint="vm-app", region="emea"), catalog, sites, stamped)
    again = [resolve(bp.request, catalog, sites, stamped).placements for bp in stamped]
    assert [bp.placements for bp in stamped] == before
    assert again == before, "re-stamping an existing team after a newcomer moved it"


def test_ha_spreads_over_two_data_centers_and_the_partner_also_follows_the_rule(catalog, sites):
    stamped = []
    for i in range(4):
        bp = resolve(make_request(team=f"ha{i}", env="prod", blueprint="vm-app", region="emea",
                                  parameters={"ha": True}), catalog, sites, stamped)
        dcs = [p.data_center for p in bp.placements]
        assert len(set(dcs)) == 2 and {p.region for p in bp.placements} == {"emea"}, f"{bp.stack}: {dcs}"
        stamped.append(bp)
    # Three emea vSphere prod sites and eight placements: every site is used, none more than three times.
    per_dc: dict[str, int] = {}
    for bp in stamped:
        for p in bp.placements:
            per_dc[p.data_center] = per_dc.get(p.data_center, 0) + 1
    assert len(per_dc) == 3 and max(per_dc.values()) <= 3, per_dc


def test_every_pool_gets_a_verdict_and_fitting_ones_come_first(catalog, sites):
    request = make_request(env="prod", blueprint="vm-app", region="emea", target="vsphere")
    size = catalog.get("vm-app").sizes["M"]
    verdicts = judge(request, "prod", size, sites, {})
    assert len(verdicts) == len(list(sites.pools()))
    fits = [v.fits for v in verdicts]
    assert fits == sorted(fits, reverse=True), "a fitting pool came after one that does not fit"
    reasons = {v.pool.name: v.reason for v in verdicts}
    assert reasons["ny1-prod"] == "region amer, not emea"
    assert reasons["ldn1-nonprod"] == "tier nonprod, not prod"
    assert reasons["eu-west-1-prod"] == "target aws, not vsphere"
    assert reasons["ldn1-pci"] == "not certified for zone general"


def test_a_full_pool_says_how_much_is_free(catalog, sites):
    request = make_request(env="prod", blueprint="vm-app", site="ldn1", region=None, target="vsphere")
    _, _, pool = sites.find_pool("ldn1-prod")
    size = catalog.get("vm-app").sizes["M"]
    used = {"ldn1-prod": Usage(pool.capacity.vcpu - 1, 0)}
    verdict = next(v for v in judge(request, "prod", size, sites, used) if v.pool.name == "ldn1-prod")
    assert not verdict.fits and verdict.reason.startswith(f"full: needs {size.vcpu} vCPU"), verdict.reason
    assert "1 vCPU" in verdict.reason


def test_explain_names_the_chosen_pool_and_why_others_lost(bp):
    args = ("new", "pay", "-b", "vm-app", "-e", "prod", "--region", "emea", "--owner", "a@b.cd",
            "--cost-center", "CC-1", "--explain", "--dry-run")
    result = bp(*args)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "least committed fraction" in out
    assert "chosen:" in out and "ldn1-prod" in out
    assert "tier nonprod, not prod" in out and "region amer, not emea" in out


def test_explain_says_why_no_pool_fits(bp):
    result = bp("new", "huge", "-b", "vm-app", "-e", "prod", "--site", "ldn1", "--owner", "a@b.cd",
                "--cost-center", "CC-1", "--compliance-zone", "hipaa", "--explain", "--dry-run")
    assert result.exit_code == 2, result.output
    rows = [line for line in result.output.splitlines() if "ldn1-prod" in line]
    assert rows and "not certified for zone" in rows[0], result.output
    assert "site ny1, not ldn1" in result.output
    assert "chosen:" not in result.output
