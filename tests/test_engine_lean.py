"""The lean engine captures exactly what the SDK as shipped captures, for every catalog blueprint on every target."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from blueprints.catalog import Catalog
from blueprints.models import BlueprintRequest
from blueprints.placement.resolve import resolve
from engine.stacks import preview

CASES = [(entry.ref, target) for entry in Catalog().entries for target in entry.targets]


@pytest.mark.parametrize("ref, target", CASES)
def test_lean_and_plain_runs_capture_the_same_resources(repo, catalog, sites, ref, target):
    request = BlueprintRequest(team="equal", env="prod", blueprint=ref, target=target, region="amer",
                               owner="lead@example.com", cost_center="CC-1")
    resolved = resolve(request, catalog, sites, refuse_ended=False)  # every version, also past its support end
    lean, plain = preview(repo, resolved, sites), preview(repo, resolved, sites, plain=True)
    assert len(lean.resources) > 5, [r.urn for r in lean.resources]
    for mine, theirs in zip(lean.resources, plain.resources, strict=True):
        assert mine == theirs, mine.urn
    assert (lean.reads, lean.component_outputs, lean.stack_outputs) == (
        plain.reads, plain.component_outputs, plain.stack_outputs), resolved.stack


def test_a_run_leaves_nothing_behind(repo, catalog, sites):
    """A fleet worker runs thousands of stacks: each run's objects must be gone once it ends."""
    import gc

    request = BlueprintRequest(team="leak", env="dev", blueprint="web-service", target="aws", region="amer",
                               owner="lead@example.com", cost_center="CC-1")
    resolved = resolve(request, catalog, sites)
    counts = []
    for _ in range(4):
        preview(repo, resolved, sites)
        gc.collect()
        counts.append(len(gc.get_objects()))
    assert counts[-1] - counts[1] < 200, counts


def _shipped():
    from pulumi import _types, log
    from pulumi.output import Output
    from pulumi.runtime import resource as sdk_resource
    from pulumi.runtime import rpc

    return (rpc.serialize_property, rpc.deserialize_properties, rpc.transfer_properties, rpc.translate_output_properties,
            rpc.contains_unknowns, _types.unwrap_type, _types.unwrap_optional_type, sdk_resource.create_urn,
            Output._track, Output._untrack, log.debug, sdk_resource.prepare_resource, rpc.serialize_properties,
            rpc.resolve_outputs, _types.resource_types, _types.resource_pulumi_to_py_names)


def test_a_lean_run_puts_the_sdk_back_as_shipped(repo, catalog, sites):
    """The shortcuts hold for a lean run only: a plain run, or anything else in the process, gets the SDK as shipped."""
    from engine import sdk_inputs, sdk_shortcuts

    request = BlueprintRequest(team="back", env="dev", blueprint="web-service", target="aws", region="amer",
                               owner="lead@example.com", cost_center="CC-1")
    shipped = _shipped()
    preview(repo, resolve(request, catalog, sites), sites)
    assert _shipped() == shipped
    with sdk_shortcuts.installed(), sdk_inputs.installed():
        assert all(now is not then for now, then in zip(_shipped(), shipped))
    assert _shipped() == shipped


@pytest.mark.parametrize("state", [
    {"port": 5432, "ratio": 0.5, "on": True, "name": "db", "gone": None},
    {"tags": {"a": "1", "empty": None}, "list": [1, None, {"x": 2.0}], "pair": ("a", 3), "nothing": {}},
])
def test_an_answer_reads_back_as_the_sdk_reads_it_from_the_wire(state):
    from pulumi.runtime import rpc

    from engine import sdk_shortcuts
    from engine.capture import wire_struct

    def typed(value):  # 5432 and 5432.0 are equal, but a program formatting the port would print them differently
        return json.dumps(value, sort_keys=True)

    with sdk_shortcuts.installed():
        answer = sdk_shortcuts.answer("urn:x", "id-1", state)
        assert typed(rpc.deserialize_properties(answer.object)) == typed(rpc.deserialize_properties(wire_struct(state)))
    assert (answer.urn, answer.id) == ("urn:x", "id-1")


def test_an_answer_that_is_not_plain_data_goes_on_the_wire():
    from enum import Enum

    from pulumi.runtime import rpc

    from engine import sdk_shortcuts

    class Tier(str, Enum):
        GOLD = "gold"

    with sdk_shortcuts.installed():
        for state in ({"password": rpc.wrap_rpc_secret("s3cret")}, {"arn": rpc.UNKNOWN}, {"tier": Tier.GOLD},
                      {"nested": [{"password": rpc.wrap_rpc_secret("s3cret")}]}, {"when": object()}):
            assert sdk_shortcuts.answer("urn:x", "id-1", state) is None, state
    assert sdk_shortcuts.answer("urn:x", "id-1", {"port": 1}) is None  # not installed: the wire


def _things():
    import pulumi

    plain = pulumi.CustomResource("test:index:Thing", "plain", {"port": 5432, "tags": {"a": "1", "gone": None},
                                                                "ids": [1, None]})
    pulumi.CustomResource("test:index:Thing", "secret", {"password": pulumi.Output.secret("s3cret"), "port": 1})
    pulumi.export("from-inputs", pulumi.Output.all(plain.tags, plain.ids))  # the answer leaves them out


def _answer_without_tags_and_ids(new_resource):
    def answer(self, args):
        id_, state = new_resource(self, args)
        return id_, {k: v for k, v in state.items() if k not in ("tags", "ids")}
    return answer


def test_plain_inputs_are_handed_to_the_monitor_and_the_rest_go_in_the_struct(monkeypatch):
    from engine import sdk_inputs
    from engine.mocks import FleetMocks
    from engine.runner import run

    monkeypatch.setattr(FleetMocks, "new_resource", _answer_without_tags_and_ids(FleetMocks.new_resource))

    seen, hand = {}, sdk_inputs.handed_inputs

    def handed_inputs(request):
        inputs = hand(request)
        seen[request.name] = (inputs is not None, len(request.object))
        return inputs
    monkeypatch.setattr(sdk_inputs, "handed_inputs", handed_inputs)
    lean, plain = run(_things), run(_things, plain=True)
    assert (seen["plain"], seen["secret"]) == ((True, 0), (False, 2))
    assert (lean.resources, lean.stack_outputs) == (plain.resources, plain.stack_outputs)
    assert lean.stack_outputs["from-inputs"] == [{"a": "1"}, [1, None]]


def test_the_monitor_takes_handed_inputs_only_for_the_request_they_were_handed_over_for():
    from types import SimpleNamespace

    from engine import sdk_inputs

    assert sdk_inputs.handed_inputs(SimpleNamespace(parent="p", type="t", name="n")) is None  # nothing handed over
    sdk_inputs._handed = (("p", "t", "n"), {"port": 1.0})
    assert sdk_inputs.handed_inputs(SimpleNamespace(parent="p", type="t", name="n")) == {"port": 1.0}
    sdk_inputs._handed = (("p", "t", "n"), {"port": 1.0})  # its registration failed before its request
    assert sdk_inputs.handed_inputs(SimpleNamespace(parent="p", type="t", name="other")) is None
    assert sdk_inputs._handed is None



def _failing_apply():
    import pulumi

    thing = pulumi.CustomResource("test:index:Thing", "t", {"port": 1})
    thing.urn.apply(lambda _: 1 / 0)  # nobody awaits it: only the end-of-run wait can raise it


@pytest.mark.parametrize("plain", [False, True])
def test_an_output_that_fails_fails_the_run(plain):
    from engine.runner import ProgramError, run

    with pytest.raises(ProgramError, match="ZeroDivisionError"):
        run(_failing_apply, plain=plain)


class _Answers:
    """Mocks answering a function with a dict, or with a dict and check failures."""

    def call(self, args):
        answer = {"id": "ami-1", "size": 8, "tags": {"a": "1"}, "gone": None}
        return answer if args.token == "test:index:plain" else (answer, [("size", "too small")])

    def new_resource(self, args):
        return "id-1", dict(args.inputs)


@pytest.mark.parametrize("token", ["test:index:plain", "test:index:failing"])
def test_an_invoke_is_answered_as_the_stock_monitor_answers_it(token):
    from pulumi.runtime import mocks
    from pulumi.runtime.proto import resource_pb2

    from engine.capture import CapturingMonitor, wire_struct
    from engine.captured import Capture

    request = resource_pb2.ResourceInvokeRequest(tok=token, args=wire_struct({"owner": "me", "n": 2}))
    monitor = CapturingMonitor(_Answers(), Capture(stack="s"))
    assert monitor.Invoke(request) == mocks.MockMonitor(_Answers()).Invoke(request)


def test_the_first_run_freezes_what_is_alive_and_later_runs_collect_their_own():
    """A one-stack command does not scan every imported module to free one run's garbage; a fleet worker frees each
    later run's."""
    code = """
import gc, pulumi
from engine import run
seen = []
gc.callbacks.append(lambda phase, info: phase == "stop" and seen.append(info["generation"]))
def program():
    pulumi.export("answer", 42)
for _ in range(3):
    seen.clear()
    run(program)
    print(sorted(set(seen)), gc.get_freeze_count() > 0)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["[] True", "[1] True", "[1] True"], done.stdout + done.stderr
