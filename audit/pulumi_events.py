"""The audit as Pulumi engine events: the JSON lines `pulumi preview --json --policy-pack` streams.

One `policyEvent` per reported policy result (a violation, or a policy the pack could not decide), then one
`summaryEvent`, each wrapped in an `EngineEvent` with its sequence and timestamp, in the field names of the Pulumi
service API (`sdk/go/common/apitype/events.go`: `EngineEvent`, `PolicyEvent`, `SummaryEvent`). Exempt results are
not-applicable answers to the engine, so they produce no event, as with the real CLI.
"""

from __future__ import annotations

import json
import time
from functools import cache
from typing import Any

from audit.run import AuditReport, Finding

NOTE, RESET = "<{%fg 7%}>", "<{%reset%}>"
"""The engine's colour commands around a policy message (`colors.SpecNote`, `colors.Reset`), sent with color `raw`."""


@cache
def pack_version(pack: str) -> str:
    """The version in the pack's PulumiPolicy.yaml, which the Pulumi CLI reports for the pack."""
    from blueprints import yaml_io
    from policy_packs.packs import pack_dir

    data = yaml_io.load(pack_dir(pack) / "PulumiPolicy.yaml") or {}
    return str(data.get("version", "0.0.1"))


def _diagnostic_message(f: Finding, description: str) -> str:
    """The message the pack sent: its description, a newline and the violation's own text (pulumi-policy's form)."""
    if f.status == "undecided" or f.message == description:
        return f.message
    return f"{description}\n{f.message}"


def _policy_event(f: Finding, description: str) -> dict[str, Any]:
    version = pack_version(f.pack)
    # As the engine's eventEmitter.policyViolationEvent writes it.
    event = {"message": f"{NOTE}{_diagnostic_message(f, description)}{RESET}\n",
             "color": "raw", "policyName": f.policy, "policyPackName": f"cloud-blueprints-{f.pack}",
             "policyPackVersion": version, "policyPackVersionTag": version, "enforcementLevel": f.enforcement}
    return {"resourceUrn": f.urn, **event} if f.urn else event


def events(report: AuditReport, started: float | None = None) -> list[dict[str, Any]]:
    """Every engine event of the audit, in the order the engine would emit them."""
    now = int(time.time())
    out: list[dict[str, Any]] = []
    for f in report.findings:
        if f.status != "exempt":
            description = report.policies[f.policy].description
            out.append({"sequence": len(out), "timestamp": now, "policyEvent": _policy_event(f, description)})
    packs = sorted({p.pack for p in report.policies.values()})
    out.append({"sequence": len(out), "timestamp": now, "summaryEvent": {
        "maybeCorrupt": False, "durationSeconds": int(time.time() - started) if started else 0,
        "resourceChanges": {"same": sum(r.resources for r in report.results)},
        "PolicyPacks": {f"cloud-blueprints-{p}": f"v{pack_version(p)}" for p in packs}, "isPreview": True}})
    return out


def to_lines(report: AuditReport, started: float | None = None) -> str:
    """The events as JSON lines."""
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events(report, started))
