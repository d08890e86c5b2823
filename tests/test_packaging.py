"""A non-editable install carries its catalog, sites map and policy data: build a wheel, install it, run bp."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
from pathlib import Path

from tests.conftest import ROOT


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)


def test_the_wheel_installed_in_a_fresh_venv_works_from_an_empty_folder(tmp_path):
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp_path / "dist",
                ROOT, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("cloud_blueprints-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    own_site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # Dependencies come from the test environment (a plain path: its editable install of this repo is not loaded).
    (own_site / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    installed = run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel)
    assert installed.returncode == 0, installed.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    where = run(python, "-c", "import blueprints; print(blueprints.__file__)", cwd=empty).stdout
    assert where.startswith(str(env_dir)), f"blueprints imported from {where}, not the wheel"
    bp = env_dir / "bin" / "bp"
    listing = run(bp, "catalog", "list", "--json", cwd=empty)
    assert listing.returncode == 0, listing.stderr
    assert {"web-service", "vm-app", "network-hub"} <= {e["name"] for e in __import__("json").loads(listing.stdout)}
    stamped = run(bp, "new", "payments", "--blueprint", "vm-app", "--env", "dev", "--site", "ny1",
                  "--owner", "lead@example.com", "--cost-center", "CC-1", "--dry-run", cwd=empty)
    assert stamped.returncode == 0, stamped.stderr
    assert "Would write stacks/Pulumi.payments-dev.yaml" in stamped.stdout and "VLAN 1500" in stamped.stdout
    assert list(empty.iterdir()) == [], "a dry run writes nothing"
