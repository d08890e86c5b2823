"""The offline audit: evaluate captured stacks against the policy packs, one stack at a time.

`Auditor` builds the packs once and configures them as `pulumi preview --policy-pack-config` would: in this process
(policy_packs/evaluate.py), or each in its own process over the Analyzer protocol as the engine drives them (the
conformance path; a test proves both give the same findings). It turns each stack's Analyze / AnalyzeStack answers into
`Finding`s, with exemptions the packs applied decoded back. `audit_stacks` streams `StackResult`s for callers such as
`bp audit` and fleet runs; `served_audit` asks the engine server, whose packs stay warm between commands.

Light to import: the packs, pulumi and gRPC load only when an Auditor is built.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator

from blueprints.errors import BadInput
from policy_packs import exemptions as ex
from policy_packs.meta import LEVELS, PolicyMeta

SEVERITY_ORDER = ("critical", "high", "medium", "low", "unspecified")
UNDECIDED = "can't run policy"
"""How the pack words a policy it could not decide because a value is unknown during preview."""


@dataclass(frozen=True)
class Finding:
    """One policy result on one resource (or the whole stack when `urn` is empty)."""

    stack: str
    policy: str
    pack: str
    severity: str
    enforcement: str
    status: str
    """violation, exempt, or undecided (a value the policy needs is unknown)."""
    urn: str
    message: str
    exemption: str | None = None
    """The key (`ticket:policy`) of the exemption that covers an exempt finding."""

    @property
    def blocking(self) -> bool:
        """A violation that stops the deployment."""
        return self.status == "violation" and self.enforcement == "mandatory"

    @property
    def resource_type(self) -> str:
        return self.urn.split("::")[2].split("$")[-1] if self.urn else "pulumi:pulumi:Stack"

    @property
    def resource_name(self) -> str:
        return self.urn.rsplit("::", 1)[-1] if self.urn else self.stack

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "policy": self.policy, "pack": self.pack, "severity": self.severity,
                "enforcement": self.enforcement, "status": self.status, "urn": self.urn,
                "type": self.resource_type, "name": self.resource_name, "message": self.message,
                "exemption": self.exemption}

    @staticmethod
    def from_json(data: dict[str, Any]) -> "Finding":
        """The finding `to_json` wrote (a fleet worker's result, or the cache's)."""
        return Finding(**{name: data[name] for name in Finding.__dataclass_fields__})


@dataclass
class StackResult:
    """The audit of one stack."""

    stack: str
    source: str
    """The stack file audited."""
    resources: int = 0
    findings: list[Finding] = field(default_factory=list)
    not_applicable: list[tuple[str, str, str]] = field(default_factory=list)
    """(policy, urn, reason) the packs declared not applicable."""
    error: str | None = None
    """Why the stack could not be audited (its program failed)."""
    engine_seconds: float = 0.0
    audit_seconds: float = 0.0
    zone: str = ""
    """The stack's compliance zone (empty when its plan could not be made)."""
    mandatory: tuple[str, ...] = ()
    """Policies its zone and tier make mandatory for it, whatever their default level."""

    def failed(self, policy: str) -> bool:
        """Whether a policy has an open violation on this stack."""
        return any(f.policy == policy and f.status == "violation" for f in self.findings)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]


def _no_repeats(path: Path):
    """A JSON object hook refusing a name given twice (json keeps the last silently), as the YAML readers do."""
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set[str] = set()
            twice = next(k for k, _ in pairs if k in seen or seen.add(k))
            raise BadInput(f"duplicate key {twice!r}", path)
        return out
    return build


def load_config(path: Path) -> dict[str, Any]:
    """A policy config file: the JSON `pulumi preview --policy-pack-config` takes."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"), object_pairs_hook=_no_repeats(path))
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror}", path) from exc
    except json.JSONDecodeError as exc:
        raise BadInput(f"malformed JSON: {exc.msg}", path, exc.lineno) from exc
    if not isinstance(data, dict):
        raise BadInput("expected an object of policy name -> level or settings", path)
    return data


class Auditor:
    """Packs, built and configured once, that evaluate any number of stacks.

    Pack processes (`in_process=False`) live as long as the thread that created the Auditor; use it from any thread.
    """

    def __init__(self, packs: Iterable[str] | None = None, config: dict[str, Any] | None = None,
                 config_source: str = "--config", exemptions_file: Path | None = None, in_process: bool = False):
        from policy_packs import evaluate
        from policy_packs.packs import PACKS

        self.packs = list(packs or PACKS)
        self.in_process = in_process
        self.exemptions_file = Path(exemptions_file or ex.path_in_force())
        if in_process:
            ready = evaluate.configured(self.packs, config or {}, config_source, self.exemptions_file)
            self.analyzers, self.policies, self.exemptions, self._pool = ready.packs, ready.policies, ready.exemptions, None
        else:
            self.exemptions = ex.load(self.exemptions_file)
            evaluate.check_settings(self.packs, config or {}, config_source, self.exemptions, self.exemptions_file)
            self.analyzers = self._start()
            self._pool = ThreadPoolExecutor(len(self.packs))
            try:
                self.policies = evaluate.configure(self.analyzers, config or {}, config_source)
            except BaseException:
                self.close()
                raise

    def _start(self) -> dict:
        from engine.analyzer import PackProcess
        from policy_packs.packs import pack_dir

        env = {ex.ENV: str(self.exemptions_file.resolve())}
        launched = {p: PackProcess(pack_dir(p), env) for p in self.packs}
        try:
            return {p: process.connect() for p, process in launched.items()}
        except BaseException:
            for process in launched.values():
                process.close()
            raise

    def audit(self, capture, source: str = "") -> StackResult:
        """Evaluate one captured run: Analyze for each resource, then AnalyzeStack, in every pack."""
        from engine.analyzer import policy_resources
        from engine.captured import PROJECT

        started = time.perf_counter()
        resources = policy_resources(capture, PROJECT)
        result = StackResult(capture.stack, source, resources=len(capture.resources))
        collect(result, self.policies, zip(self.analyzers, self.answers(capture.stack, resources)),
                [r.urn for r in resources])
        result.audit_seconds = time.perf_counter() - started
        return result

    def answers(self, stack: str, resources: list) -> list[list]:
        """Per pack, in pack order: the answer to each resource's Analyze, then to AnalyzeStack."""
        if self.in_process:
            from policy_packs.evaluate import answers

            return answers(list(self.analyzers.values()), resources)
        from engine.analyzer import requests_for

        requests = requests_for(stack, resources)

        def ask(analyzer) -> list:
            return [*map(analyzer.analyze, requests.analyze), analyzer.analyze_stack(requests.analyze_stack)]

        # Packs are separate processes: ask them all at once, read their answers in pack order.
        return list(self._pool.map(ask, self.analyzers.values()))

    def unused_exemptions(self, results: Iterable[StackResult]) -> list[ex.Exemption]:
        """Exemptions that exempted nothing in the audited stacks."""
        return unused(self.exemptions, results)

    def close(self) -> None:
        if getattr(self, "_pool", None):
            self._pool.shutdown()
        for analyzer in getattr(self, "analyzers", {}).values():
            analyzer.close()

    def __enter__(self) -> "Auditor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def unused(exemptions: list[ex.Exemption], results: Iterable[StackResult]) -> list[ex.Exemption]:
    """Active exemptions that exempted nothing in the stacks audited."""
    used = {f.exemption for r in results for f in r.findings if f.exemption}
    return [e for e in exemptions if e.key not in used and e.active()]


def collect(result: StackResult, policies: dict[str, PolicyMeta], per_pack, urns: list[str]) -> None:
    """Every pack's answers (one per resource, then the stack's) as the result's findings."""
    rank = {name: i for i, name in enumerate(policies)}
    for pack, responses in per_pack:
        for response, urn in zip(responses, [*urns, ""]):
            _collect(result, policies, rank, pack, response, urn)


def _collect(result: StackResult, policies: dict[str, PolicyMeta], rank: dict[str, int], pack: str, response,
             urn: str) -> None:
    """One answer's findings, in a canonical order: a pack's reports on one request come in the order its
    properties happen to be listed, which the protocol's maps do not keep."""
    found, skipped = [], []
    for d in response.diagnostics:
        meta = policies[d.policyName]
        message = d.message.removeprefix(d.description).strip() or d.description
        undecided = d.message.startswith(UNDECIDED)
        # The level the pack reported, as the engine reads it (remediate comes back as mandatory).
        found.append(Finding(
            stack=result.stack, policy=d.policyName, pack=pack, severity=meta.severity,
            enforcement=LEVELS[d.enforcementLevel], status="undecided" if undecided else "violation",
            urn=d.urn or urn, message=message,
        ))
    for na in response.not_applicable:
        meta = policies[na.policy_name]
        exempted = ex.decode_exempt(na.reason)
        if exempted is None:
            skipped.append((na.policy_name, urn, na.reason))
            continue
        found += [Finding(stack=result.stack, policy=na.policy_name, pack=pack, severity=meta.severity,
                          enforcement=meta.enforcement, status="exempt", urn=hit["urn"], message=hit["message"],
                          exemption=hit["exemption"]) for hit in exempted]
    result.findings += sorted(found, key=lambda f: (rank[f.policy], f.urn, f.status, f.message, f.exemption or ""))
    result.not_applicable += sorted(skipped, key=lambda n: (rank[n[0]], n[2]))


def audit_stacks(repo: Path, resolved: Iterable, sites, auditor: Auditor) -> Iterator[StackResult]:
    """Run each stack in the offline engine and audit it, yielding one result at a time (nothing held back)."""
    from engine import ProgramError
    from engine.stacks import preview
    from store.stack_files import stack_path

    for bp in resolved:
        source = str(stack_path(repo, bp.stack).relative_to(repo))
        started = time.perf_counter()
        try:
            capture = preview(repo, bp, sites)
        except ProgramError as exc:
            yield StackResult(bp.stack, source, error=str(exc), engine_seconds=time.perf_counter() - started)
            continue
        engine_seconds = time.perf_counter() - started
        result = enforce_for_stack(auditor.audit(capture, source), bp)
        result.engine_seconds = engine_seconds
        yield result


def enforce_for_stack(result: StackResult, bp) -> StackResult:
    """The stack's own enforcement: whatever its plan makes mandatory (the compliance zone's policies, and the
    data-protection ones in prod) blocks there, whatever the policy's default level."""
    from blueprints.plan import PlanError, plan

    try:
        zone = plan(bp).zone
    except PlanError:
        return result  # the run above already refused what the plan refuses
    return _enforce(result, zone.name, tuple(zone.mandatory_policies))


def _enforce(result: StackResult, zone: str, mandatory: tuple[str, ...]) -> StackResult:
    result.zone, result.mandatory = zone, mandatory
    result.findings = [replace(f, enforcement="mandatory")
                       if f.policy in mandatory and f.enforcement == "advisory" else f for f in result.findings]
    return result


@dataclass
class AuditReport:
    """A whole audit: every stack's result, the policies as configured, and the exemptions in force."""

    results: list[StackResult]
    policies: dict[str, PolicyMeta]
    exemptions: list[ex.Exemption]
    unused: list[ex.Exemption]
    exemptions_file: str = ""

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    @property
    def failed(self) -> bool:
        """A mandatory violation remains, or a stack could not be audited."""
        return any(r.blocking or r.error for r in self.results)

    def exemption(self, key: str | None) -> ex.Exemption | None:
        return next((e for e in self.exemptions if e.key == key), None)


def run_audit(repo: Path, resolved: list, sites, *, packs: Iterable[str] | None = None, config: dict[str, Any] | None = None,
              config_source: str = "--config", exemptions_file: Path | None = None, in_process: bool = False,
              on_result=None) -> AuditReport:
    """Audit stacks end to end: start the packs, stream each stack through engine and packs, collect the report."""
    from blueprints.yaml_io import collector_paused

    # The packs, the provider SDKs and the report live as long as the command: the collector would only re-scan
    # them. Each program run still collects its own garbage (engine/lean.py).
    with collector_paused(), Auditor(packs, config, config_source, exemptions_file, in_process) as auditor:
        results = []
        for result in audit_stacks(repo, resolved, sites, auditor):
            results.append(result)
            if on_result:
                on_result(result)
        return AuditReport(results, auditor.policies, auditor.exemptions, auditor.unused_exemptions(results),
                           str(auditor.exemptions_file))


def served_audit(repo: Path, stack: str, sites_file: Path | None, *, packs: Iterable[str] | None = None,
                 config: dict[str, Any] | None = None, config_source: str = "--config",
                 exemptions_file: Path | None = None) -> AuditReport | None:
    """One stack's audit answered by the repository's engine server, whose packs stay warm between commands (the
    in-process evaluation, run there); None when no server answers, and the caller audits here."""
    from engine import server
    from engine.server_dir import UnsafeFolder
    from policy_packs.meta import Answer

    path = Path(exemptions_file or ex.path_in_force())
    settings = {"packs": list(packs or []), "config": config or {}, "config_source": config_source,
                "exemptions": str(path.resolve())}
    try:
        reply = server.served_audit(repo, stack, sites_file, settings)
    except UnsafeFolder:
        return None
    if reply is None:
        return None
    policies = {p["name"]: PolicyMeta.from_json(p) for p in reply["policies"]}
    result = StackResult(reply["stack"], reply["source"], resources=reply.get("resources", 0), error=reply.get("error"))
    if result.error is None:
        answers = [[Answer.from_json(a) for a in per_pack] for per_pack in reply["answers"]]
        collect(result, policies, zip(reply["packs"], answers), reply["urns"])
        _enforce(result, reply["zone"], tuple(reply["mandatory"]))
    exemptions = ex.load(path)
    return AuditReport([result], policies, exemptions, unused(exemptions, [result]), str(path))
