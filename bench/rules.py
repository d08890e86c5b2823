"""The cost of the provider rule checks as a share of preview time (target: under 10%).

    python -m bench.rules [--stacks N] [--out FILE]

Stamps N stacks of the fleet mix, then previews each in one warm process (the models botocore states limits in
loaded once, as in a fleet worker or the engine server), timing the whole run of each stack and, within it, every
call of the rule checker. The first load of botocore's service models is measured on its own: a single `bp preview`
pays it once, a fleet worker once per worker.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.fleet import main_for, stamp
from blueprints.sites import load_sites
from engine.provider_rules import aws_model
from engine.provider_rules.checker import RuleChecker
from engine.stacks import preview


def _models_load_seconds() -> float:
    """Loading botocore and the service models the table reads, from cold (in this process)."""
    start = time.perf_counter()
    for service in ("iam", "logs", "eks", "kms", "secretsmanager", "kafka", "resourcegroupstaggingapi", "ec2"):
        aws_model._service(service)
    return time.perf_counter() - start


def run(stacks: int) -> dict:
    """Preview `stacks` stamped stacks; the rule checks' share of the preview time."""
    spent = [0.0, 0]
    check = RuleChecker.check

    def timed(self, *args):
        start = time.perf_counter()
        try:
            return check(self, *args)
        finally:
            spent[0] += time.perf_counter() - start
            spent[1] += 1

    sites = load_sites()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        stamped = stamp(repo, stacks, sites)
        models_s = _models_load_seconds()
        preview(repo, stamped[0], sites)  # imports and first-run costs, outside the measurement
        RuleChecker.check = timed
        try:
            start = time.perf_counter()
            violations = sum(len(preview(repo, bp, sites).violations) for bp in stamped)
            total = time.perf_counter() - start
        finally:
            RuleChecker.check = check
    return {
        "stacks": len(stamped),
        "registrations_checked": spent[1],
        "violations": violations,
        "preview_s": round(total, 3),
        "rule_checks_s": round(spent[0], 4),
        "rule_checks_share_of_preview": round(spent[0] / total, 4),
        "us_per_registration": round(spent[0] / max(spent[1], 1) * 1e6, 1),
        "botocore_models_load_s_once_per_process": round(models_s, 3),
    }


if __name__ == "__main__":
    main_for(run, __doc__, 20, "rules")
