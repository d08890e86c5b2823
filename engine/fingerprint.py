"""A digest of everything a stack's run reads besides its own files: code, program, library versions.

Kept free of heavy imports: the engine server's client computes it before every `bp preview`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

LIBRARY = Path(__file__).resolve().parent.parent
CODE_PACKAGES = ("blueprints", "components", "engine", "policy_packs")
DISTRIBUTIONS = ("pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-vsphere", "pulumi-random", "pulumiverse-time", "pulumi-policy", "pydantic")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def code_fingerprint(repo: Path, sites_text: str, evaluator: str) -> str:
    """What every stack's key shares: code, program, sites map, library versions, evaluator."""
    digest = hashlib.sha256()
    sources = {str(p.relative_to(LIBRARY)): p for pkg in CODE_PACKAGES for p in sorted((LIBRARY / pkg).rglob("*.py"))}
    sources["program"] = Path(repo) / "stacks" / "__main__.py"
    for name, path in sources.items():
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    versions = {dist: _version(dist) for dist in DISTRIBUTIONS}
    digest.update(json.dumps([versions, sys.version, sites_text, evaluator], sort_keys=True).encode())
    return digest.hexdigest()
