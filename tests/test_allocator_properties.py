"""Property: any sequence of stamps, re-stamps and retirements leaves no overlapping network and no VLAN twice on a switch."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprints.catalog import Catalog
from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from blueprints.sites import load_sites
from fleet.invariants import check_fleet
from tests.conftest import make_request

CATALOG, SITES = Catalog(), load_sites()

# Requests that share pools: vSphere VM segments in one site, AWS VPCs in one region.
KINDS = [dict(blueprint="vm-app", site="ny1", region=None), dict(blueprint="data-platform", site="ny1", region=None),
         dict(blueprint="web-service", target="aws", region="amer")]

step = st.one_of(
    st.tuples(st.just("new"), st.integers(0, 11), st.integers(0, len(KINDS) - 1), st.sampled_from("SMLX")),
    st.tuples(st.just("retire"), st.integers(0, 11), st.just(0), st.just("S")),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=20))
def test_no_sequence_of_requests_and_retirements_yields_a_collision(steps):
    stamped: dict[str, object] = {}
    asked = succeeded = 0
    for op, team, kind, size in steps:
        name = f"team{team:02d}"
        if op == "retire":
            stamped.pop(f"{name}-dev", None)
            continue
        request = make_request(team=name, size="XL" if size == "X" else size, **KINDS[kind])
        asked += 1
        try:
            bp = resolve(request, CATALOG, SITES, list(stamped.values()))
        except BadInput as refused:
            # Only a re-stamp is ever refused here (it no longer fits, or asks for another blueprint or target):
            # nothing moves. A new team always fits these pools.
            assert f"{name}-dev" in stamped and "--move-network" in str(refused), refused
            continue
        succeeded += 1
        previous = stamped.get(bp.stack)
        if previous is not None:
            assert [p.network for p in bp.placements] == [p.network for p in previous.placements], \
                f"{bp.stack}: a re-stamp moved its network"
        stamped[bp.stack] = bp
        assert check_fleet(list(stamped.values())) == [], [bp.stack for bp in stamped.values()]
    assert succeeded >= 1 or asked == 0, "every request was refused: the property checked nothing"
