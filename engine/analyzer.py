"""A client of the Analyzer gRPC protocol, as the Pulumi engine drives policy packs.

`PackProcess` starts a pack the way the engine does (`python -u -m pulumi.policy <engine> <pack dir>`), reads the
port the pack prints, and speaks GetAnalyzerInfo / Configure / Analyze / AnalyzeStack to it; one process serves any
number of stacks. `policy_resources` describes a captured run as the engine describes it to analyzers (type, URN, name,
properties, options, provider, parent, dependencies and property dependencies), and `requests_for` turns that into the
requests the engine would send, secrets marked; in-process evaluation (policy_packs/evaluate.py) takes it as it is.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc

from engine.captured import SECRET, Capture, CapturedResource
from policy_packs.evaluate import Provider, Resource
from policy_packs.meta import PackError

STARTUP_SECONDS = 60
CALL_SECONDS = 300
"""Longest a pack may take over one call; a hung pack becomes an error instead of a hung audit."""
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024), ("grpc.max_send_message_length", 400 * 1024 * 1024)]


# `python -m pulumi.policy`, after asking Linux for SIGKILL when the launching thread ends (PR_SET_PDEATHSIG,
# which survives exec). Set by the pack's own interpreter, not in a preexec_fn: running code between fork and
# exec in a process with gRPC threads deadlocked pack starts now and then (gRPC's fork handlers).
_LAUNCH = (
    "import ctypes, runpy, signal, sys\n"
    "if sys.platform.startswith('linux'): ctypes.CDLL('libc.so.6').prctl(1, signal.SIGKILL)\n"
    "runpy.run_module('pulumi.policy', run_name='__main__', alter_sys=True)\n"
)


class Analyzer(Protocol):
    """What the audit needs from a pack, whichever way it is reached."""

    def info(self) -> pb.AnalyzerInfo: ...
    def configure(self, request: pb.ConfigureAnalyzerRequest) -> None: ...
    def analyze(self, request: pb.AnalyzeRequest) -> pb.AnalyzeResponse: ...
    def analyze_stack(self, request: pb.AnalyzeStackRequest) -> pb.AnalyzeResponse: ...
    def close(self) -> None: ...


class PackProcess:
    """A policy pack running as its own process, reached over gRPC on the port it printed."""

    def __init__(self, pack_dir: Path, env: dict[str, str] | None = None):
        """Launch the pack; `connect` then waits for its port, so several packs can start side by side.

        The pack dies with the thread that launched it (Linux), so a killed audit leaves no pack behind.
        """
        self.pack_dir = Path(pack_dir)
        # Like the engine: the pack's folder is the program, run by the pulumi.policy launcher, unbuffered.
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-c", _LAUNCH, "127.0.0.1:0", str(self.pack_dir)],
            cwd=self.pack_dir, env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.stub = None

    def connect(self) -> "PackProcess":
        """Read the port the pack prints and open the channel."""
        port = self._read_port()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_GRPC_OPTIONS)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        return self

    def _read_port(self) -> int:
        ready, _, _ = select.select([self.process.stdout], [], [], STARTUP_SECONDS)
        line = self.process.stdout.readline().decode().strip() if ready else ""
        if not line.isdigit():
            self.process.kill()
            _, err = self.process.communicate(timeout=10)
            last = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
            raise PackError(f"policy pack {self.pack_dir.name} did not start: {last}")
        return int(line)

    def _call(self, method, request):
        try:
            return method(request, timeout=CALL_SECONDS)
        except grpc.RpcError as exc:
            raise PackError(f"policy pack {self.pack_dir.name}{self._exit_note()}: {exc.details()}") from None

    def _exit_note(self) -> str:
        """Why the pack stopped answering, when it is because it is gone."""
        code = self.process.poll()
        if code is None:
            return ""
        return f" stopped (killed by signal {-code})" if code < 0 else f" stopped (exit code {code})"

    def info(self) -> pb.AnalyzerInfo:
        return self._call(self.stub.GetAnalyzerInfo, empty_pb2.Empty())

    def configure(self, request: pb.ConfigureAnalyzerRequest) -> None:
        self._call(self.stub.Configure, request)

    def analyze(self, request: pb.AnalyzeRequest) -> pb.AnalyzeResponse:
        return self._call(self.stub.Analyze, request)

    def analyze_stack(self, request: pb.AnalyzeStackRequest) -> pb.AnalyzeResponse:
        return self._call(self.stub.AnalyzeStack, request)

    def close(self) -> None:
        """Stop the pack (the engine kills its plugins the same way)."""
        if self.stub is not None:
            self.channel.close()
        self.process.kill()
        self.process.communicate(timeout=10)


# --- what the engine sends -------------------------------------------------------------------------------------

def _wire(value: Any) -> Any:
    """A captured value as the engine marshals it: secrets wrapped in the secret signature, unknowns as sentinels."""
    if value == SECRET:
        return {rpc._special_sig_key: rpc._special_secret_sig, "value": SECRET}
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    return value


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(_wire(props))
    return out


@dataclass(frozen=True)
class StackRequests:
    """Everything the engine sends analyzers for one stack: one Analyze per resource, then one AnalyzeStack."""

    stack: str
    analyze: list[pb.AnalyzeRequest]
    analyze_stack: pb.AnalyzeStackRequest


def _provider(r: CapturedResource, by_urn: dict[str, CapturedResource], stack: str, project: str) -> Provider | None:
    """The resource's provider; a custom resource without an explicit one gets the engine's default provider."""
    if not r.custom or r.type.startswith("pulumi:providers:"):
        return None
    if r.provider:
        urn = r.provider.rsplit("::", 1)[0]
        own = by_urn.get(urn)
        return Provider(urn.split("::")[2].split("$")[-1], urn, urn.rsplit("::", 1)[-1], own.inputs if own else {})
    package = r.type.split(":", 1)[0]
    urn = f"urn:pulumi:{stack}::{project}::pulumi:providers:{package}::default"
    return Provider(f"pulumi:providers:{package}", urn, "default")


def policy_resources(capture: Capture, project: str) -> list[Resource]:
    """A captured run as the engine describes it to analyzers: type, URN, name, properties, options, provider,
    parent, dependencies and property dependencies, in registration order (plain data; `requests_for` sends it)."""
    by_urn = {r.urn: r for r in capture.resources}
    return [Resource(
        type=r.type, urn=r.urn, name=r.name, inputs=r.inputs, state={**r.inputs, **r.outputs}, protect=r.protect,
        ignore_changes=tuple(r.ignore_changes), delete_before_replace=r.delete_before_replace or None,
        parent=r.parent or "", provider=_provider(r, by_urn, capture.stack, project),
        dependencies=tuple(r.dependencies), property_dependencies=dict(r.property_dependencies),
    ) for r in capture.resources]


def _options(r: Resource) -> pb.AnalyzerResourceOptions:
    return pb.AnalyzerResourceOptions(
        protect=r.protect, ignoreChanges=list(r.ignore_changes), deleteBeforeReplace=bool(r.delete_before_replace),
        deleteBeforeReplaceDefined=bool(r.delete_before_replace), parent=r.parent,
    )


def _pb_provider(p: Provider | None) -> pb.AnalyzerProviderResource | None:
    return p and pb.AnalyzerProviderResource(type=p.type, urn=p.urn, name=p.name, properties=_struct(p.props))


def requests_for(stack: str, resources: list[Resource]) -> StackRequests:
    """The Analyze and AnalyzeStack requests the engine would send for a stack's resources."""
    analyze, stack_resources = [], []
    for r in resources:
        provider = _pb_provider(r.provider)
        analyze.append(pb.AnalyzeRequest(type=r.type, urn=r.urn, name=r.name, properties=_struct(r.inputs),
                                         options=_options(r), provider=provider))
        stack_resources.append(pb.AnalyzerResource(
            type=r.type, urn=r.urn, name=r.name, properties=_struct(r.state), options=_options(r),
            provider=provider, parent=r.parent, dependencies=list(r.dependencies),
            propertyDependencies={k: pb.AnalyzerPropertyDependencies(urns=list(v)) for k, v in r.property_dependencies.items()},
        ))
    return StackRequests(stack, analyze, pb.AnalyzeStackRequest(resources=stack_resources))
