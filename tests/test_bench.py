"""A small fleet run, so the benchmark keeps working; the fleet-scale figures come from `make bench`."""

from bench.fleet import MIX, run


def test_a_small_fleet_stamps_and_previews():
    figures = run(len(MIX))
    assert figures["stacks"] == len(MIX)
    assert figures["resources"] > 20 * len(MIX), figures
