"""Shell completion offers stack names, blueprint refs and the request's choices."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_bp


def complete(repo, words: str) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword), "_BP_COMPLETE": "complete_bash"}
    # The shell asks the installed script; its name picks the _BP_COMPLETE variable.
    out = subprocess.run([str(Path(sys.executable).parent / "bp")], capture_output=True, text=True, cwd=repo, env=env)
    return out.stdout.split()


@pytest.mark.parametrize("words, expected", [
    ("bp new x --blueprint web", {"web-service", "web-service@2.0.0"}),
    ("bp new x --site ny", {"ny1"}),
    ("bp new x --region ", {"amer", "emea", "apac"}),
    ("bp new x --size ", {"S", "M", "L", "XL"}),
    ("bp new x --env st", {"stage"}),
    ("bp new x --target ", {"aws", "vsphere"}),
])
def test_request_choices_complete(repo, words, expected):
    assert expected <= set(complete(repo, words))


def test_stack_names_complete(repo):
    assert run_bp(repo, "new", "payments", "--blueprint", "vm-app", "--env", "dev", "--site", "ny1",
                  "--owner", "lead@example.com", "--cost-center", "CC-1").returncode == 0
    assert complete(repo, "bp preview pay") == ["payments-dev"]
    assert complete(repo, "bp validate ") == ["payments-dev"]
