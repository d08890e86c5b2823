#!/usr/bin/env bash
# The offline demo: stamp a team blueprint, validate it and preview it, in a scratch copy of the
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

cat <<MSG

Where to look next:
  bp catalog show web-service          what a blueprint provisions, its contract and SLOs
  bp new --help                        every request option (or bp schema for the YAML request)
  bp preview <stack> --json            the full resource list for scripts and reviews
  stacks/Pulumi.<team>-<env>.yaml      what bp new writes; infrastructure staff run pulumi up -s <team>-<env>
MSG
