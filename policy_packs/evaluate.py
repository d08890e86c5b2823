"""The packs evaluated in this process, on resources as plain data: what fleet workers and the engine server run.

The policies are the objects the pack processes serve (`Rule.to_policy`), called as pulumi-policy's analyzer
servicer calls them, with the same diagnostics, levels and not-applicable records (tests/policy/test_audit.py proves
it on every blueprint and target). Three things make it cheaper than a pack behind the Analyzer protocol:

- properties are converted once per resource (and once per stack), not once per policy, and never through protobuf;
- a resource is offered only to the policies of its type;
- a resource policy's verdict is remembered by (policy digest, digest of what the policy read of the resource), so
  a resource that reads the same to a policy, in this stack or another, is judged once. What a policy read is
  observed, not declared: the top-level properties it looked up (all of them if it listed them), and the URN, name,
  provider or options if it touched them. A check is a function of what it reads, so an answer given on the same
  readings is the answer. The cache holds digests and verdicts only, never a property's value.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.deserialize import SPECIAL_SIG_KEY, _deserialize_property
from pulumi_policy.policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
    _NotApplicableError,
    _PolicyAnalyzerServicer,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from blueprints.errors import BadInput
from policy_packs import exemptions as ex
from policy_packs.meta import LEVELS, Answer, Diagnostic, NotApplicable, PolicyError, PolicyMeta

VERSION = "0.0.1"
"""The version pulumi-policy gives a Python pack (PulumiPolicy.yaml may override it for the real CLI)."""
CACHE_LIMIT = 100_000
"""Verdicts a process keeps; past it the oldest go (a verdict is a few hundred bytes at most)."""

_LEVEL_OF = {v: k for k, v in LEVELS.items()}
_LEVEL = {pb.ADVISORY: EnforcementLevel.ADVISORY, pb.MANDATORY: EnforcementLevel.MANDATORY,
          pb.REMEDIATE: EnforcementLevel.REMEDIATE, pb.DISABLED: EnforcementLevel.DISABLED}
_WIRE_LEVEL = {v: k for k, v in _LEVEL.items()}


# --- what a policy is shown -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Provider:
    """A resource's provider as the engine describes it to analyzers."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """One resource as the engine describes it to analyzers (AnalyzeRequest, AnalyzerResource), as plain data."""

    type: str
    urn: str
    name: str
    inputs: Mapping[str, Any]
    """What resource policies see."""
    state: Mapping[str, Any]
    """Inputs and outputs: what stack policies see."""
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    delete_before_replace: bool | None = None
    parent: str = ""
    provider: Provider | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def as_sent(value: Any) -> Any:
    """A value as a policy receives it over the protocol: a protobuf Struct read back (numbers are doubles, tuples
    lists) and pulumi-policy's deserialisation (secrets unwrapped, assets and archives as objects)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        out = {k: as_sent(v) for k, v in value.items()}
        return _deserialize_property(out) if SPECIAL_SIG_KEY in out else out
    if isinstance(value, (list, tuple)):
        return [as_sent(v) for v in value]
    raise ValueError(f"Unexpected type {type(value).__name__}")  # as protobuf's Struct refuses it


def _props(values: Mapping[str, Any]):
    return unknown_checking_proxy({k: as_sent(v) for k, v in values.items()})


def _options(r: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(r.protect, list(r.ignore_changes), r.delete_before_replace, [],
                                 PolicyCustomTimeouts(0, 0, 0), [], r.parent or None)


def _provider(p: Provider | None) -> PolicyProviderResource | None:
    return PolicyProviderResource(p.type, _props(p.props), p.urn, p.name) if p else None


# --- observing what a resource policy reads ---------------------------------------------------------------------

_ALL = "*"
_IDENTITY = ("urn", "name", "opts", "provider", "stack_tags")


class _Reading(Mapping):
    """A resource's properties that note which top-level ones a policy looked up (_ALL when it listed them)."""

    def __init__(self, props: Mapping, read: set):
        self._props, self._read = props, read

    def __getitem__(self, key):
        self._read.add(key)
        return self._props[key]

    def __iter__(self):
        self._read.add(_ALL)
        return iter(self._props)

    def __len__(self):
        self._read.add(_ALL)
        return len(self._props)


def _noted(name: str) -> property:
    def get(self):
        self.read.add(name)
        return self.__dict__[name]

    def put(self, value):
        self.__dict__[name] = value

    return property(get, put)


class _ReadingArgs(ResourceValidationArgs):
    """The resource policy's arguments, noting what the policy reads of the resource's identity."""

    urn = _noted("urn")
    name = _noted("name")
    opts = _noted("opts")
    provider = _noted("provider")
    stack_tags = _noted("stack_tags")

    def __init__(self, *args, read: set, **kwargs):
        self.read = read
        super().__init__(*args, **kwargs)


class _Seen:
    """One resource, converted once and shared by every policy that inspects it; digests made on demand."""

    def __init__(self, r: Resource):
        self.r = r
        self.props = _props(r.inputs)
        self.opts = _options(r)
        self.provider = _provider(r.provider)
        self._digests: dict[Any, bytes] = {}

    def digest(self, what) -> bytes:
        """The digest of one reading: a top-level property (absent included), all of them, or an identity field."""
        if what not in self._digests:
            self._digests[what] = hashlib.blake2b(_canonical(self._reading(what)), digest_size=16).digest()
        return self._digests[what]

    def _reading(self, what) -> Any:
        r = self.r
        if what == _ALL:
            return r.inputs
        if what in _IDENTITY:
            return {"urn": r.urn, "name": r.name, "stack_tags": {},
                    "opts": [r.protect, r.ignore_changes, r.delete_before_replace, r.parent],
                    "provider": r.provider and [r.provider.type, r.provider.urn, r.provider.name, r.provider.props]}[what]
        return ["absent"] if what not in r.inputs else ["set", r.inputs[what]]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr).encode()


class VerdictCache:
    """Resource-policy verdicts by (policy digest, digest of the policy's readings of a resource).

    For each (policy, type) it keeps the shapes of reading seen (which properties, which identity fields); a resource
    is looked up under each shape. Bounded: the oldest verdicts go first.
    """

    def __init__(self, limit: int = CACHE_LIMIT):
        self.limit = limit
        self._shapes: dict[tuple[bytes, str], list[tuple]] = {}
        self._verdicts: dict[bytes, tuple] = {}
        self.hits = self.misses = 0

    @staticmethod
    def _key(policy: bytes, shape: tuple, seen: _Seen) -> bytes:
        h = hashlib.blake2b(policy, digest_size=20)
        h.update(seen.r.type.encode())
        for what in shape:
            h.update(str(what).encode() + b"\0" + seen.digest(what))
        return h.digest()

    def get(self, policy: bytes, seen: _Seen) -> tuple | None:
        for shape in self._shapes.get((policy, seen.r.type), ()):
            verdict = self._verdicts.get(self._key(policy, shape, seen))
            if verdict is not None:
                self.hits += 1
                return verdict
        self.misses += 1
        return None

    def put(self, policy: bytes, seen: _Seen, read: set, verdict: tuple) -> None:
        shape = (_ALL,) if _ALL in read else tuple(sorted(read, key=str))
        shapes = self._shapes.setdefault((policy, seen.r.type), [])
        if shape not in shapes:
            shapes.append(shape)
        if len(self._verdicts) >= self.limit:
            del self._verdicts[next(iter(self._verdicts))]
        self._verdicts[self._key(policy, shape, seen)] = verdict


CACHE = VerdictCache()
"""This process's verdicts, shared by every pack and stack it evaluates."""


# --- a pack in this process -------------------------------------------------------------------------------------

@functools.cache
def _module_digest(module) -> bytes:
    return hashlib.sha256(inspect.getsource(module).encode()).digest()


def _source_digest(rule) -> bytes:
    """The code a rule runs: its check's module, and the module that turns rules into policies."""
    from policy_packs import spec

    return _module_digest(inspect.getmodule(rule.check)) + _module_digest(spec)


class InProcessPack:
    """One pack evaluated in this process: the Analyzer calls of `engine.analyzer.Analyzer`, and batched ones."""

    def __init__(self, pack: str, exemptions: list[ex.Exemption], cached: bool = True):
        from policy_packs.packs import rules  # the policy modules import the provider SDKs: only when a pack is built

        self.name = f"cloud-blueprints-{pack}"
        self.rules = rules(pack)
        self.exemptions = exemptions
        self.policies = [r.to_policy(exemptions) for r in self.rules]
        self.servicer = _PolicyAnalyzerServicer(self.name, VERSION, self.policies, EnforcementLevel.ADVISORY)
        self.cache = CACHE if cached else None
        self._levels: dict[str, EnforcementLevel] = {}
        self._config: dict[str, dict[str, Any]] = {}
        self._by_type: dict[str, list] = {}
        self._digests: dict[str, bytes] = {}

    # The protocol's calls, for describing and configuring the pack (once per audit).
    def info(self) -> pb.AnalyzerInfo:
        return self.servicer.GetAnalyzerInfo(None, None)

    def configure(self, request: pb.ConfigureAnalyzerRequest) -> None:
        """Levels and settings per policy, as the servicer's Configure reads them."""
        self.servicer.Configure(request, None)
        self._levels = {k: _LEVEL[v.enforcementLevel] for k, v in request.policyConfig.items()}
        self._config = {k: json_format.MessageToDict(v.properties) for k, v in request.policyConfig.items()}
        self._by_type.clear()
        self._digests = {r.name: self._digest(r) for r in self.rules}

    def _digest(self, rule) -> bytes:
        """Everything a resource policy's verdict depends on besides the resource: code, level, settings, exemptions."""
        mine = sorted(e.model_dump_json() + str(e.active()) for e in self.exemptions if e.policy == rule.name)
        return hashlib.sha256(b"\0".join([_source_digest(rule), rule.name.encode(), str(self._level(rule)).encode(),
                                          _canonical(self._config.get(rule.name)), _canonical(mine)])).digest()

    def close(self) -> None:
        pass

    def _level(self, policy) -> EnforcementLevel:
        level = self._levels.get(policy.name) or policy.enforcement_level or EnforcementLevel.ADVISORY
        # A policy that still fails after remediation is reported mandatory, as the servicer does.
        return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level

    def _settings(self, policy) -> dict[str, Any] | None:
        return dict(self._config[policy.name]) if self._config.get(policy.name) else None

    def _for_type(self, type_: str) -> list:
        """The enabled resource policies that inspect a type, in pack order."""
        if type_ not in self._by_type:
            self._by_type[type_] = [
                (p, rule) for p, rule in zip(self.policies, self.rules)
                if isinstance(p, ResourceValidationPolicy) and self._level(p) != EnforcementLevel.DISABLED
                and (not rule.types or type_ in rule.types)]
        return self._by_type[type_]

    # Batched evaluation: a stack's resources, each converted once.
    def analyze_all(self, seen: list[_Seen]) -> Iterator[Answer]:
        """One Answer per resource, as Analyze would give for each."""
        for s in seen:
            answer = Answer()
            for policy, _ in self._for_type(s.r.type):
                for kind, item in self._verdict(policy, s):
                    (answer.diagnostics if kind == "d" else answer.not_applicable).append(item)
            yield answer

    def _verdict(self, policy, seen: _Seen) -> tuple:
        digest = self._digests[policy.name]
        cached = self.cache.get(digest, seen) if self.cache is not None else None
        if cached is not None:
            return cached
        read: set = set()
        args = _ReadingArgs(seen.r.type, _Reading(seen.props, read), seen.r.urn, seen.r.name, seen.opts,
                            seen.provider, self._settings(policy), read=read)
        verdict = tuple(self._run(policy, args, seen.r.urn))
        if self.cache is not None:
            self.cache.put(digest, seen, read, verdict)
        return verdict

    def analyze_stack_all(self, resources: list[PolicyResource]) -> Answer:
        """What AnalyzeStack answers, on the stack's resources as stack policies see them."""
        answer = Answer()
        for policy in self.policies:
            if isinstance(policy, StackValidationPolicy) and self._level(policy) != EnforcementLevel.DISABLED:
                args = StackValidationArgs(resources, self._settings(policy))
                for kind, item in self._run(policy, args, ""):
                    (answer.diagnostics if kind == "d" else answer.not_applicable).append(item)
        return answer

    def _run(self, policy, args, urn: str) -> list[tuple[str, Any]]:
        """The servicer's handling of one policy on one request: violations, unknowns and not-applicable."""
        level, out = _WIRE_LEVEL[self._level(policy)], []

        def report(message: str, at: str | None = None) -> None:
            text = policy.description + (f"\n{message}" if message else "")
            out.append(("d", Diagnostic(policy.name, text, policy.description, at or "", level)))

        try:
            result = policy.validate(args, report)
            if inspect.isawaitable(result):
                asyncio.new_event_loop().run_until_complete(result)
        except UnknownValueError as e:
            text = f"can't run policy '{policy.name}' from policy pack '{self.name}@v{VERSION}' during preview: {e.message}"
            out.append(("d", Diagnostic(policy.name, text, policy.description, "", pb.ADVISORY)))
        except _NotApplicableError as e:
            out.append(("n", NotApplicable(policy.name, e.reason or "")))
        except Exception as e:  # over the protocol this fails the call; here it names the policy
            raise PolicyError(f"policy {policy.name} failed on {urn or 'the stack'}: {type(e).__name__}: {e}") from e
        return out


def answers(packs: list[InProcessPack], resources: list[Resource]) -> list[list[Answer]]:
    """A stack in one batch: per pack, one Answer per resource (what Analyze gives), then the stack's (AnalyzeStack).

    Each resource is converted once for all packs' resource policies, and the stack once for all stack policies.
    """
    views = [_Seen(r) for r in resources]
    stack = _stack_resources(resources, views)
    return [[*pack.analyze_all(views), pack.analyze_stack_all(stack)] for pack in packs]


def _stack_resources(resources: list[Resource], views: list[_Seen]) -> list[PolicyResource]:
    """The stack as stack policies see it (inputs and outputs, parents and dependencies linked)."""
    out = [PolicyResource(r.type, _props(r.state), r.urn, r.name, v.opts, v.provider, None, [], {})
           for r, v in zip(resources, views)]
    by_urn = {p.urn: p for p in out}
    for r, p in zip(resources, out):
        p.parent = by_urn.get(r.parent)
        p.dependencies = [by_urn[d] for d in r.dependencies if d in by_urn]
        p.property_dependencies = {k: [by_urn[d] for d in v if d in by_urn] for k, v in r.property_dependencies.items()}
    return out


# --- configuring packs as the engine does -----------------------------------------------------------------------

def _entry(config: dict[str, Any], name: str, source: str) -> tuple[str | None, dict[str, Any]]:
    value = config.get(name)
    if value is None:
        return None, {}
    if isinstance(value, str):
        return value, {}
    if not isinstance(value, dict):
        raise BadInput(f"{name}: expected a level or an object", source)
    props = {k: v for k, v in value.items() if k != "enforcementLevel"}
    return value.get("enforcementLevel"), props


def configure_request(infos, config: dict[str, Any], source: str) -> tuple[pb.ConfigureAnalyzerRequest, dict[str, str]]:
    """What the engine sends Configure: every policy with its level and its settings (schema defaults filled in)."""
    all_level, _ = _entry(config, "all", source)
    request, levels = pb.ConfigureAnalyzerRequest(), {}
    for info in infos:
        level, props = _entry(config, info.name, source)
        level = level or all_level or LEVELS[info.enforcementLevel]
        if level not in _LEVEL_OF:
            raise BadInput(f"{info.name}: enforcementLevel {level!r} is not one of {sorted(_LEVEL_OF)}", source)
        schema = json_format.MessageToDict(info.configSchema.properties)
        settings = {k: v["default"] for k, v in schema.items() if "default" in v} | props
        unknown = set(props) - set(schema)
        if unknown:
            raise BadInput(f"{info.name}: unknown setting(s) {', '.join(sorted(unknown))}", source)
        if props:  # a policy's defaults alone meet its schema: tests/policy/test_policy_settings.py proves it for all
            _meet_schema(info.name, settings, schema, source)
        entry = pb.PolicyConfig(enforcementLevel=_LEVEL_OF[level])
        entry.properties.update(settings)
        request.policyConfig[info.name].CopyFrom(entry)
        levels[info.name] = level
    return request, levels


def _meet_schema(policy: str, settings: dict[str, Any], schema: dict[str, Any], source: str) -> None:
    """BadInput naming the setting that does not meet the policy's schema."""
    import jsonschema

    try:
        jsonschema.validate(settings, {"type": "object", "properties": schema})
    except jsonschema.ValidationError as exc:
        raise BadInput(f"{policy}.{'.'.join(map(str, exc.path))}: {exc.message}", source) from None


def check_settings(packs: list[str], config: dict[str, Any], source: str, exemptions: list[ex.Exemption],
                   exemptions_file: Path) -> None:
    """BadInput for an unknown pack, a config naming no policy of the packs, or an exemption naming no policy."""
    from policy_packs.packs import PACKS, rules

    unknown = [p for p in packs if p not in PACKS]
    if unknown:
        raise BadInput(f"--pack: no pack {', '.join(unknown)} (packs: {', '.join(PACKS)})")
    known = {r.name for p in PACKS for r in rules(p)}
    for e in exemptions:
        if e.policy not in known:
            raise BadInput(f"exemptions[].policy: no policy {e.policy!r}", exemptions_file, e.line)
    named = sorted(set(config) - {"all"} - {r.name for p in packs for r in rules(p)})
    if named:
        raise BadInput(f"no policy {', '.join(named)} in packs {', '.join(packs)}", source)


def configure(analyzers: dict, config: dict[str, Any], source: str) -> dict[str, PolicyMeta]:
    """Configure each pack (in this process or over the protocol); every policy as configured."""
    policies = {}
    for pack, analyzer in analyzers.items():
        info = analyzer.info()
        request, levels = configure_request(info.policies, config, source)
        analyzer.configure(request)
        policies.update({i.name: PolicyMeta.of(pack, i, levels[i.name]) for i in info.policies})
    return policies


@dataclass
class Configured:
    """Packs built and configured in this process, with the policies as configured and the exemptions applied."""

    packs: dict[str, InProcessPack]
    policies: dict[str, PolicyMeta]
    exemptions: list[ex.Exemption]


def configured(packs: list[str], config: dict[str, Any], source: str, exemptions_file: Path) -> Configured:
    """Build and configure packs in this process (BadInput as `bp audit` reports it)."""
    exemptions = ex.load(exemptions_file)
    check_settings(packs, config, source, exemptions, exemptions_file)
    built = {p: InProcessPack(p, exemptions) for p in packs}
    return Configured(built, configure(built, config, source), exemptions)


_warm: dict[str, Configured] = {}


def warm(packs: list[str], config: dict[str, Any], source: str, exemptions_file: Path) -> Configured:
    """`configured`, kept for the next request with the same settings (a long-lived process such as the engine
    server); built again when the exemptions file changes or a day passes (an exemption may have run out)."""
    import datetime as dt

    path = Path(exemptions_file).resolve()
    stat = path.stat() if path.exists() else None
    key = json.dumps([packs, config, source, str(path), stat and [stat.st_mtime_ns, stat.st_size],
                      str(dt.datetime.now(dt.timezone.utc).date())], sort_keys=True)
    if key not in _warm:
        _warm.clear()  # one configuration at a time: a server answers one user's repository
        _warm[key] = configured(packs, config, source, path)
    return _warm[key]
