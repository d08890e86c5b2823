"""Preview fidelity: URNs formed as the real engine forms them, and previews that are byte-identical run to run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.captured import ROOT_STACK_TYPE, qualified_type

NEW = ["new", "payments", "--blueprint", "web-service", "--env", "prod", "--region", "amer", "--target", "aws",
       "--owner", "lead@example.com", "--cost-center", "CC-1"]


@pytest.fixture
def stamped(bp, repo):
    assert bp(*NEW).exit_code == 0
    return repo


def test_every_urn_carries_its_whole_parent_chain(stamped):
    from engine import run_stack
    from store.stack_files import config_of, read_stack, stack_path

    capture = run_stack(stamped / "stacks", "payments-prod", config_of(read_stack(stack_path(stamped, "payments-prod"))))
    by_urn = {r.urn: r for r in capture.resources}
    for r in capture.resources:
        # The engine's own rule (and its snapshot integrity check): the parent's qualified type, '$', the type.
        expected = r.type
        if r.parent and qualified_type(r.parent) != ROOT_STACK_TYPE:
            expected = f"{qualified_type(r.parent)}${r.type}"
            assert r.parent in by_urn, r.urn
        assert r.urn == f"urn:pulumi:payments-prod::cloud-blueprints::{expected}::{r.name}", r.urn
    nat = capture.by_type("aws:ec2/natGateway:NatGateway")[0]
    assert qualified_type(nat.urn) == (
        "cloud-blueprints:index:TeamBlueprint$cloud-blueprints:aws:NetworkFabric$aws:ec2/vpc:Vpc$aws:ec2/natGateway:NatGateway"
    ), nat.urn


def _preview_json(repo, seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    bp = Path(sys.executable).parent / "bp"
    out = subprocess.run([str(bp), "--repo", str(repo), "preview", "payments-prod", "--json"],
                         capture_output=True, env=env, check=True)
    assert b'"resources"' in out.stdout
    return out.stdout


def test_two_previews_are_byte_identical_in_one_process(stamped, bp):
    first, second = bp("preview", "payments-prod", "--json"), bp("preview", "payments-prod", "--json")
    assert first.exit_code == 0 and first.stdout == second.stdout


def test_previews_are_byte_identical_across_processes(stamped):
    assert _preview_json(stamped, "1") == _preview_json(stamped, "2")
