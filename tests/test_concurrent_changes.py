"""Write commands racing on the same stacks in separate processes: nothing acknowledged is lost, invariants hold.

Each example seeds a scratch repository, starts every drawn `bp` command at once, waits for all, then checks
every acknowledged (exit 0) change against the files and runs `bp validate --all` (bench/race.py; its
`python -m bench.race --rounds N` runs many more rounds for the figure).
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from bench.race import KINDS, TEAMS, Op, one_round

ops = st.lists(st.builds(Op, st.sampled_from(KINDS), st.sampled_from(TEAMS), st.sampled_from(("S", "L"))),
               min_size=4, max_size=6)


# The race of the report: retire, pin, upgrade and a resize, all on one stack at once.
@example([Op("retire", "aa"), Op("pin", "aa"), Op("upgrade", "aa"), Op("restamp", "aa", "L"), Op("wave", "bb")])
@settings(max_examples=2, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_racing_write_commands_lose_no_acknowledged_change(race):
    done, problems = one_round(race)
    assert problems == [], "\n".join([*problems, *(f"{d.op} -> {d.code} {d.err.strip()}" for d in done)])
