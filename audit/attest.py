"""Signed evidence: an in-toto Statement (test-result predicate) in a DSSE envelope, and its verification.

The statement's subjects are the audited stack files and the report files, by sha256; its predicate records the
result, the tests passed, warned and failed (`<stack>/<policy>`), and the configuration: every pack with the digest
of the code it runs, and the exemptions file. Signing and verification go through securesystemslib (ed25519 or
ECDSA keys in PEM); nothing here builds or checks a signature by hand.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blueprints.errors import BadInput
from audit.run import AuditReport

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STACK, REPORT = "stack file", "report"
"""Subject kinds: a stack file is named relative to the repository, a report relative to the envelope's folder."""
_KIND = "bp.kind"


def sha256_file(path: Path) -> str:
    """The file's sha256, hex, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def pack_digest(pack: str) -> str:
    """sha256 over the code a pack runs: its folder, its policy modules and the shared rule machinery, by path."""
    from policy_packs import controls, exemptions, packs, spec

    files = sorted({*packs.pack_dir(pack).iterdir(), *(Path(m.__file__) for m in packs.PACKS[pack][1]),
                    *(Path(m.__file__) for m in (controls, exemptions, packs, spec))})
    digest = hashlib.sha256()
    for f in files:
        if f.is_file():
            digest.update(f"{f.relative_to(packs.ROOT)}\0{sha256_file(f)}\n".encode())
    return digest.hexdigest()


def _result(report: AuditReport) -> str:
    if report.failed:
        return "FAILED"
    return "WARNED" if any(f.status == "violation" for f in report.findings) else "PASSED"


def _tests(report: AuditReport) -> dict[str, list[str]]:
    """Every policy on every audited stack, as `<stack>/<policy>`, sorted into passed, warned and failed."""
    out: dict[str, list[str]] = {"passedTests": [], "warnedTests": [], "failedTests": []}
    for r in report.results:
        if r.error:
            out["failedTests"].append(f"{r.stack}/program")
            continue
        for name in sorted(report.policies):
            open_ = [f for f in r.findings if f.policy == name and f.status == "violation"]
            bucket = "failedTests" if any(f.blocking for f in open_) else "warnedTests" if open_ else "passedTests"
            out[bucket].append(f"{r.stack}/{name}")
    return out


def sha256_text(text: str) -> str:
    """The sha256 of a report's text as it is written (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stack_digest(path: Path) -> str:
    try:
        return sha256_file(path)
    except OSError as exc:
        raise BadInput(f"cannot read to sign it: {exc.strerror}", path) from None


def statement(report: AuditReport, repo: Path, reports: dict[str, str]) -> dict[str, Any]:
    """The in-toto Statement for an audit: subjects are the stack files and the reports (name -> sha256), by sha256.

    Report names are relative to the folder the envelope is written in.
    """
    subjects = [{"name": r.source, "digest": {"sha256": _stack_digest(repo / r.source)}, "annotations": {_KIND: STACK}}
                for r in report.results]
    subjects += [{"name": name, "digest": {"sha256": digest}, "annotations": {_KIND: REPORT}}
                 for name, digest in reports.items()]
    packs = sorted({p.pack for p in report.policies.values()})
    configuration = [{"name": f"policy-pack:{p}", "digest": {"sha256": pack_digest(p)}} for p in packs]
    if report.exemptions_file and Path(report.exemptions_file).is_file():
        configuration.append({"name": f"exemptions:{Path(report.exemptions_file).name}",
                              "digest": {"sha256": sha256_file(Path(report.exemptions_file))}})
    return {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": PREDICATE_TYPE,
            "predicate": {"result": _result(report), "configuration": configuration, **_tests(report)}}


# --- keys -------------------------------------------------------------------------------------------------------

def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror}", path) from None


def _check_type(key, path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if not isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey, ec.EllipticCurvePrivateKey,
                            ec.EllipticCurvePublicKey)):
        raise BadInput("expected an ed25519 or ECDSA key", path)


def load_signer(path: Path):
    """A securesystemslib signer for a PEM private key (unencrypted PKCS#8, ed25519 or ECDSA)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from securesystemslib.signer import CryptoSigner, SSlibKey

    try:
        private = load_pem_private_key(_read(path), password=None)
    except (ValueError, TypeError) as exc:
        raise BadInput(f"not an unencrypted PEM private key ({exc})", path) from None
    _check_type(private, path)
    return CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))


def load_public_key(path: Path):
    """A securesystemslib key for a PEM public key (ed25519 or ECDSA)."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.signer import SSlibKey

    try:
        public = load_pem_public_key(_read(path))
    except (ValueError, TypeError) as exc:
        raise BadInput(f"not a PEM public key ({exc})", path) from None
    _check_type(public, path)
    return SSlibKey.from_crypto(public)


# --- envelopes --------------------------------------------------------------------------------------------------

def sign(statement_: dict[str, Any], key_path: Path) -> dict[str, Any]:
    """The statement in a DSSE envelope signed with the key, as JSON-ready data."""
    from securesystemslib.dsse import Envelope

    envelope = Envelope(json.dumps(statement_, sort_keys=True).encode(), PAYLOAD_TYPE, {})
    envelope.sign(load_signer(key_path))
    return envelope.to_dict()


@dataclass
class Verification:
    """What `bp audit verify` found: the problems (empty when the evidence holds) and what was checked."""

    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    statement: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _load_envelope(path: Path):
    from securesystemslib.dsse import Envelope

    try:
        return Envelope.from_dict(json.loads(_read(path)))
    except KeyError as exc:
        raise BadInput(f"not a DSSE envelope (no {exc.args[0]!r})", path) from None
    except (ValueError, TypeError, AttributeError) as exc:
        raise BadInput(f"not a DSSE envelope ({exc})", path) from None


def _payload(envelope, path: Path, out: Verification) -> dict[str, Any] | None:
    if envelope.payload_type != PAYLOAD_TYPE:
        out.problems.append(f"{path}: payloadType is {envelope.payload_type!r}, expected {PAYLOAD_TYPE!r}")
        return None
    try:
        data = json.loads(envelope.payload)
    except ValueError:
        out.problems.append(f"{path}: the payload is not JSON")
        return None
    if data.get("_type") != STATEMENT_TYPE or data.get("predicateType") != PREDICATE_TYPE:
        out.problems.append(f"{path}: the payload is not an in-toto test-result statement")
        return None
    return data


def _check_subject(subject: dict[str, Any], repo: Path, base: Path, out: Verification) -> None:
    name = str(subject.get("name", ""))
    root = repo if subject.get("annotations", {}).get(_KIND) == STACK else base
    expected = subject.get("digest", {}).get("sha256")
    path = root / name
    if not name or not expected:
        out.problems.append(f"subject {name or '(unnamed)'}: no sha256 digest")
    elif not path.is_file():
        out.problems.append(f"{name}: missing (looked for {path})")
    elif (found := sha256_file(path)) != expected:
        out.problems.append(f"{name}: sha256 is {found}, the attestation says {expected}")
    else:
        out.checked.append(name)


def verify(envelope_path: Path, public_key_path: Path, repo: Path) -> Verification:
    """Check the envelope's signature with the public key, then every subject's sha256 against the files on disk.

    Stack files are looked up under `repo`, reports beside the envelope.
    """
    from securesystemslib.exceptions import VerificationError

    key = load_public_key(public_key_path)
    envelope = _load_envelope(envelope_path)
    out = Verification()
    try:
        envelope.verify([key], 1)
    except VerificationError:
        out.problems.append(f"{envelope_path}: the signature does not verify with key {key.keyid[:16]}… "
                            f"({public_key_path}); the envelope was changed or signed with another key")
        return out
    out.statement = _payload(envelope, envelope_path, out)
    if out.statement is not None:
        for subject in out.statement.get("subject", []):
            _check_subject(subject, repo, Path(envelope_path).resolve().parent, out)
    return out

