"""Pack processes shared by a whole test session: starting four Python processes once keeps the suite fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.run import Auditor


@pytest.fixture(scope="session")
def no_exemptions(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("exemptions") / "exemptions.yaml"
    path.write_text("exemptions: []\n")
    return path


@pytest.fixture(scope="session")
def auditor(no_exemptions):
    """Every pack, over gRPC, with no exemptions."""
    with Auditor(exemptions_file=no_exemptions) as running:
        yield running


@pytest.fixture(scope="session")
def stamped_repo(tmp_path_factory) -> Path:
    """A repository with every catalog blueprint stamped on every target it supports."""
    import shutil

    from typer.testing import CliRunner

    from cli.main import app
    from tests.conftest import ROOT
    from tests.test_blueprints_end_to_end import CASES

    repo = tmp_path_factory.mktemp("audit-repo")
    (repo / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", repo)
    shutil.copy(ROOT / "stacks" / "__main__.py", repo / "stacks")
    runner = CliRunner()
    for stack, (args, _) in CASES.items():
        team = stack.rsplit("-", 1)[0]
        result = runner.invoke(app, ["--repo", str(repo), "new", team, *args, "--owner", "lead@example.com", "--cost-center", "CC-9"])
        assert result.exit_code == 0, result.output
    return repo


@pytest.fixture(scope="session")
def fleet_report(stamped_repo, no_exemptions):
    """The audit of every stamped stack over gRPC."""
    from audit.run import run_audit
    from blueprints.sites import load_sites
    from store import stack_files

    return run_audit(stamped_repo, stack_files.read_all(stamped_repo), load_sites(), exemptions_file=no_exemptions)
