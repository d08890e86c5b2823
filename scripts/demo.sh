#!/usr/bin/env bash
# The offline demo: stamp team blueprints, validate, preview and audit them, in a scratch copy of the
# repository so the working tree stays clean.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/Pulumi.yaml" "$work/"
mkdir -p "$work/stacks"
cp "$here/stacks/__main__.py" "$work/stacks/"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "The catalog"
bp catalog list

step "A team asks for a web service in prod, in the AMER region on AWS"
bp --repo "$work" new payments --blueprint web-service --env prod --region amer --target aws \
  --size M --owner payments-lead@example.com --cost-center CC-4711 --contact '#payments-oncall'

step "And a data platform in a New York data center (vSphere)"
bp --repo "$work" new risk --blueprint data-platform --env dev --site ny1 \
  --owner risk-lead@example.com --cost-center CC-2001

step "Validate every stack: catalog, pools, overlaps, and an offline run of the program"
bp --repo "$work" validate --all

step "Preview payments-prod offline"
bp --repo "$work" preview payments-prod

step "Preview risk-dev offline"
bp --repo "$work" preview risk-dev | tail -n 40

step "A team on web-service@2.0.0 (vSphere) moves to 2.1.0: the offline diff, then the rewrite"
bp --repo "$work" new shop --blueprint web-service@2.0.0 --env dev --site ny1 \
  --owner shop-lead@example.com --cost-center CC-3001
bp --repo "$work" catalog show web-service --versions
bp --repo "$work" upgrade shop-dev --to web-service@2.1.0
bp --repo "$work" fleet versions

reports="${BP_DEMO_REPORTS:-${TMPDIR:-/tmp}/bp-demo-reports}"
mkdir -p "$reports"
step "Audit every stack against the policy packs (baseline, aws, kubernetes, vsphere) over the Analyzer protocol"
bp --repo "$work" audit --all --format html --output "$reports/audit.html"
bp --repo "$work" policy docs --format html --output "$reports/policy-docs.html"

step "The fleet: invariants across every stack, and the capacity report"
bp --repo "$work" fleet check
bp --repo "$work" fleet report --format html --output "$reports/fleet.html"

step "Audit what is deployed: payments-prod's exported state, drifted by hand (database public, unencrypted)"
python="$(dirname "$(command -v bp)")/python"
PYTHONPATH="$here" "$python" "$here/scripts/drifted_state.py" "$work" payments-prod "$reports/payments-prod.state.json"
# Exit 1 is the point here: the deployed database breaks two mandatory policies.
bp --repo "$work" audit --state "$reports/payments-prod.state.json" --against payments-prod || true

step "Evidence an auditor can file: OSCAL assessment results over the findings, SARIF and HTML, signed"
evidence="$reports/evidence"
key="$reports/evidence-key"
# An ed25519 key pair for the demo (a real platform keeps its signing key in a KMS or HSM).
"$python" - "$key" <<'PY'
import sys
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
key = Ed25519PrivateKey.generate()
open(sys.argv[1] + ".pem", "wb").write(key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))
open(sys.argv[1] + ".pub", "wb").write(key.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))
PY
bp policy docs --format oscal --output "$reports/component-definition.json"
bp --repo "$work" audit --all --attest "$key.pem" --evidence "$evidence"
# The scratch repository goes away with the demo: keep the audited stack files beside the evidence to verify against.
audited="$reports/audited-repo"
rm -rf "$audited" && mkdir -p "$audited/stacks"
cp "$work/Pulumi.yaml" "$audited/" && cp "$work"/stacks/Pulumi.*.yaml "$audited/stacks/"
bp --repo "$audited" audit verify "$evidence/attestation.dsse.json" --key "$key.pub"
# A copy with one character of the SARIF changed no longer verifies (exit 1), and says which file.
cp -r "$evidence" "$work/tampered" && sed -i '0,/bp audit/s//bp audiT/' "$work/tampered/audit.sarif"
bp --repo "$audited" audit verify "$work/tampered/attestation.dsse.json" --key "$key.pub" || true

cat <<MSG

Signed evidence (in-toto test-result statement in a DSSE envelope over the stack files and every report):
  $evidence/attestation.dsse.json
  with $evidence/assessment-results.json (OSCAL), audit.sarif, audit.html, findings.json
  verify: bp --repo $audited audit verify $evidence/attestation.dsse.json --key $key.pub
The OSCAL component definition of the packs: $reports/component-definition.json
The audit report (open it in a browser, it works offline): $reports/audit.html
The fleet report: $reports/fleet.html
The policy catalog with its control matrix: $reports/policy-docs.html

Where to look next:
  bp catalog show web-service          what a blueprint provisions, its contract and SLOs
  bp new --help                        every request option (or bp schema for the YAML request)
  bp preview <stack> --json            the full resource list for scripts and reviews
  bp policy list                       every policy with severity, enforcement and controls
  bp audit --all --format sarif        findings for code scanning (also json, junit, markdown, oscal, pulumi-events)
  bp audit --state FILE --against STACK   audit a pulumi stack export and its drift from the stack file
  stacks/Pulumi.<team>-<env>.yaml      what bp new writes; infrastructure staff run pulumi up -s <team>-<env>
MSG
