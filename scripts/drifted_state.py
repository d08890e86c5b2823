"""For the demo: write what `pulumi stack export` would print for a stack after `pulumi up`, then drift it by hand.

The state comes from the offline engine (audit.deployed_state.export, version 3, secrets encrypted); the drift is
what an operator's console session leaves behind: the database opened to the internet and its encryption off.
Usage: python scripts/drifted_state.py REPO STACK OUTPUT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from audit.deployed_state import export
from store import stack_files
from blueprints.sites import load_sites
from engine.stacks import preview


def main(repo: Path, stack: str, output: Path) -> None:
    (bp,) = [b for b in stack_files.read_all(repo) if b.stack == stack]
    state = export(preview(repo, bp, load_sites()))
    for resource in state["deployment"]["resources"]:
        if resource["type"] == "aws:rds/instance:Instance":
            for props in (resource["inputs"], resource["outputs"]):
                props["publiclyAccessible"], props["storageEncrypted"] = True, False
    output.write_text(json.dumps(state, indent=2) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
