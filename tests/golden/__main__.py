"""Check or re-record the golden renders: `python -m tests.golden [--update]`."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from blueprints.catalog import Catalog
from blueprints.sites import load_sites
from tests.golden import FOLDER, cases, drift, path_of, render

ROOT = FOLDER.parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", action="store_true", help="Re-record every golden file (on purpose only).")
    args = parser.parse_args()
    catalog, sites = Catalog(), load_sites()
    drifted = 0
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "stacks").mkdir()
        shutil.copy(ROOT / "Pulumi.yaml", repo)
        shutil.copy(ROOT / "stacks" / "__main__.py", repo / "stacks")
        for entry, target in cases(catalog):
            path = path_of(entry, target)
            text = render(repo, entry, target, catalog, sites)
            recorded = path.read_text() if path.exists() else ""
            if recorded == text:
                continue
            if args.update:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                print(f"recorded {path.relative_to(ROOT)}")
            else:
                drifted += 1
                sys.stdout.write(drift(recorded, text, str(path.relative_to(ROOT))))
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main())
