"""Look at a page as a person does: headless Chromium renders it to a PNG.

CI installs Chromium (see .ci/run); on a machine without it the tests that need it skip, except under CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)


def chromium() -> str:
    """Path of the Chromium binary; skips the test when absent outside CI, fails under CI."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed")
    return found


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 1600) -> Path:
    """Render `html` (a local file, no network) to `png`; returns the PNG's path."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium(), *_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
             f"--screenshot={png}", html.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )
    return png


def dump_dom(html: Path) -> str:
    """The DOM after Chromium has parsed and laid out the page (what a reader's browser would hold)."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium(), *_FLAGS, f"--user-data-dir={profile}", "--dump-dom", html.resolve().as_uri()],
            check=True, capture_output=True, text=True, timeout=120,
        )
    return done.stdout
