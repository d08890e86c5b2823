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

cat <<MSG

The audit report (open it in a browser, it works offline): $reports/audit.html
The fleet report: $reports/fleet.html
The policy catalog with its control matrix: $reports/policy-docs.html

Where to look next:
  bp catalog show web-service          what a blueprint provisions, its contract and SLOs
  bp new --help                        every request option (or bp schema for the YAML request)
  bp preview <stack> --json            the full resource list for scripts and reviews
  bp policy list                       every policy with severity, enforcement and controls
  bp audit --all --format sarif        findings for code scanning (also json, junit, markdown)
  stacks/Pulumi.<team>-<env>.yaml      what bp new writes; infrastructure staff run pulumi up -s <team>-<env>
MSG
