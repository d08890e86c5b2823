"""How a wave group is cut into days under a repave budget: first fit, largest first, per data center, and never two
replicas of one HA service on one day (lifecycle/waves.days)."""

from __future__ import annotations

import pytest

from blueprints.errors import BadInput
from lifecycle.waves import Member, Wave, days, plan_waves


def member(stack: str, *repaves: tuple[str, int], service: str | None = None) -> Member:
    return Member(stack=stack, env="prod", data_center=repaves[0][0] if repaves else "ny1", repaves=repaves,
                  service=service)


def names(cut: list[list[Member]]) -> list[list[str]]:
    return [sorted(m.stack for m in day) for day in cut]


def test_the_stack_that_replaces_most_goes_first_and_smaller_ones_fill_the_room_left():
    group = [member("small-1", ("ny1", 3)), member("big", ("ny1", 7)), member("small-2", ("ny1", 3)),
             member("small-3", ("ny1", 3))]
    first, second = names(days(group, 10))
    assert "big" in first and len(first) == 2 and len(second) == 2  # 7 + 3, then 3 + 3: not 3 + 3 + 3, then 7


def test_a_day_may_be_filled_exactly_to_the_budget_and_not_one_machine_over():
    assert names(days([member("a", ("ny1", 6)), member("b", ("ny1", 4))], 10)) == [["a", "b"]]
    assert names(days([member("a", ("ny1", 6)), member("b", ("ny1", 5))], 10)) == [["a"], ["b"]]


def test_the_budget_is_per_data_center():
    group = [member("a", ("ny1", 8)), member("b", ("ld1", 8)), member("c", ("ny1", 2), ("ld1", 3))]
    assert names(days(group, 10)) == [["a", "b"], ["c"]]
    assert names(days(group, 11)) == [["a", "b", "c"]]


def test_replicas_of_one_service_never_share_a_day_and_of_different_services_do():
    group = [member("pay-ny1", ("ny1", 1), service="pay"), member("pay-ld1", ("ld1", 1), service="pay"),
             member("shop-ny1", ("ny1", 1), service="shop")]
    cut = names(days(group, 10))
    assert len(cut) == 2 and sorted(map(len, cut)) == [1, 2]
    assert not any({"pay-ny1", "pay-ld1"} <= set(day) for day in cut)
    assert names(days([member("a", ("ny1", 1), service="a"), member("b", ("ny1", 1), service="b")], 10)) == [["a", "b"]]


def test_a_stack_over_the_budget_in_one_data_center_is_refused_by_name():
    with pytest.raises(BadInput, match=r"^--budget: big replaces 11 machines in ny1, more than the budget of 10 "):
        days([member("ok", ("ny1", 10)), member("big", ("ny1", 11))], 10)


def test_a_wave_of_a_rollout_without_a_budget_has_no_day():
    assert Wave(number=1, env="prod", kind="rest", stacks=("a",)).day == 0


def test_members_are_matched_to_their_hop_by_value_not_by_identity():
    minor = "".join(["1.", "33"])  # read from a stack file: equal to the plan's hop, not the same object
    members = [Member(stack="a", env="prod", data_center="ny1", hop=minor),
               Member(stack="b", env="prod", data_center="ny1", hop="1.34")]
    waves = plan_waves(members, ("prod",), 0, hops=("1.33", "1.34"))
    assert [(w.hop, w.stacks) for w in waves] == [("1.33", ("a",)), ("1.34", ("b",))]
