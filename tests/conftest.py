"""Shared fixtures: a scratch repository, the CLI runner, the catalog, the sites map and requests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blueprints.catalog import Catalog
from blueprints.clock import CLOCK_ENV
from blueprints.models import BlueprintRequest
from blueprints.sites import load_sites

ROOT = Path(__file__).resolve().parent.parent
SESSION_DAY = date(2026, 12, 5)
"""The day the tests run on, whatever the machine's clock says: support ends, pins and sunsets are dated data."""
os.environ[CLOCK_ENV] = SESSION_DAY.isoformat()  # before any CLI subprocess inherits the environment
# No command of a test starts an engine server by itself (one would outlive the test); the tests of the automatic
# start (tests/test_engine_server.py) turn it on where they clean up after it.
os.environ["BP_ENGINE_AUTOSTART"] = "0"
# The console-script entry point, as a separate process (pipes, signals and exit codes as a shell sees them).
BP = [sys.executable, "-c", "from cli.main import run; run()"]


def run_bp(repo: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """`bp --repo REPO ARGS` in a subprocess, run from inside the repository."""
    return subprocess.run([*BP, "--repo", str(repo), *args], capture_output=True, text=True, cwd=repo, **kwargs)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog()


@pytest.fixture(scope="session")
def sites():
    return load_sites()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the real Pulumi.yaml and stack program and no stacks yet."""
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "__main__.py", tmp_path / "stacks" / "__main__.py")
    return tmp_path


@pytest.fixture
def bp(repo: Path):
    """Run `bp --repo <scratch repo> ...` in-process; returns the click Result."""
    from cli.main import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, ["--repo", str(repo), *args], input=input, catch_exceptions=False)

    return invoke


def make_request(**overrides) -> BlueprintRequest:
    """A valid request with sensible defaults."""
    fields = dict(team="payments", env="dev", blueprint="web-service", region="amer",
                  owner="lead@example.com", cost_center="CC-1")
    fields.update(overrides)
    return BlueprintRequest(**fields)
