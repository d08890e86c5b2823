"""Evaluations in forked children: same answers, a fresh child every few calls, a dead child fails only its call."""

from __future__ import annotations

import gc
import os

from engine.zygote import Zygote


def _where(value):
    if value == "die":
        os._exit(3)
    return {"value": value, "pid": os.getpid(), "collecting": gc.isenabled()}


def test_calls_run_in_children_a_few_at_a_time_with_the_collector_off():
    zygote = Zygote(_where, runs_per_child=2)
    answers = [zygote(n) for n in range(6)]
    assert [a["value"] for a in answers] == list(range(6))
    pids = [a["pid"] for a in answers]
    assert pids[0] == os.getpid()  # the first call warms the worker itself
    assert os.getpid() not in pids[1:] and pids[1] == pids[2] != pids[3] == pids[4] != pids[5]
    assert not any(a["collecting"] for a in answers[1:]) and gc.isenabled()
    zygote.close()


def test_a_child_that_dies_fails_its_call_only_and_leaves_no_zombie():
    zygote = Zygote(_where, runs_per_child=3)
    assert zygote(0)["pid"] == os.getpid()
    assert zygote(1)["value"] == 1
    failed = zygote("die")
    assert failed["ok"] is False and failed["transient"] is True
    assert zygote(2)["value"] == 2  # a fresh child
    zygote.close()
    try:
        assert os.waitpid(-1, os.WNOHANG) == (0, 0)
    except ChildProcessError:  # no children at all
        pass
