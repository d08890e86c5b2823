"""The portal template's form under react-jsonschema-form, the form library of Backstage's scaffolder: its validator
(@rjsf/validator-ajv8, ECMAScript regular expressions) accepts and refuses what `bp new` does, and the form renders
in Chromium.

Needs Node.js and `npm ci` in tests/portal_form (CI runs it); the tests skip without them, except under CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest
import yaml

from portal.templates import parameters
from tests.browser import dump_dom, screenshot
from tests.conftest import SESSION_DAY
from tests.test_portal import CASES, _case

FORM = Path(__file__).resolve().parent / "portal_form"


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (FORM / "node_modules" / "@rjsf" / "validator-ajv8").is_dir():
        if os.environ.get("CI"):
            pytest.fail("Node.js and tests/portal_form/node_modules are needed: run npm ci in tests/portal_form")
        pytest.skip("Node.js or tests/portal_form/node_modules (npm ci) is missing")
    return node


def _rjsf_errors(schema: dict, cases: list[dict]) -> list[list[str]]:
    done = subprocess.run([_node(), "validate.mjs"], input=json.dumps({"schema": schema, "cases": cases}),
                          capture_output=True, text=True, cwd=FORM, check=True, timeout=60)
    return json.loads(done.stdout)


def test_rjsf_validator_and_bp_new_agree(catalog, sites, bp, repo):
    requests = [_case(change) for change, _ in CASES]
    verdicts = []
    for request in requests:
        form = parameters(catalog.get(request["blueprint"]), sites, SESSION_DAY)
        verdicts.append(_rjsf_errors(form, [request])[0])
    for (change, good), request, errors in zip(CASES, requests, verdicts):
        path = repo / "request.yaml"
        path.write_text(yaml.safe_dump(request))
        result = bp("new", request["team"], "--from", str(path), "--dry-run")
        assert (not errors, result.exit_code == 0) == (good, good), (change, errors, result.output)


def _bundle(tmp_path: Path) -> str:
    _node()
    out = tmp_path / "render.js"
    subprocess.run([str(FORM / "node_modules" / ".bin" / "esbuild"), "render.jsx", "--bundle", "--format=iife",
                    "--minify", "--jsx=automatic", '--define:process.env.NODE_ENV="production"', f"--outfile={out}"],
                   cwd=FORM, check=True, capture_output=True, timeout=120)
    return out.read_text()


def test_the_form_renders_in_chromium_with_the_catalog_choices(catalog, sites, tmp_path):
    entry = catalog.get("web-service@2.1.0")
    data = {"title": f"Request {entry.ref}", "schema": parameters(entry, sites, SESSION_DAY),
            "formData": {**_case({}), "team": "9pay", "data_services": [{"kind": "postgres", "size": "M"}]}}
    page = tmp_path / "form.html"
    # </script> cannot appear inside the JSON: it is escaped by json.dumps only for '/', so close tags are split.
    payload = json.dumps(data).replace("</", "<\\/")
    page.write_text(f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{escape(data['title'])}</title>"
                    "<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:900px}"
                    "input,select{display:block;margin:4px 0 12px;padding:4px;min-width:320px}</style></head><body>"
                    f"<div id=\"root\"></div><script id=\"form-input\" type=\"application/json\">{payload}</script>"
                    f"<script>{_bundle(tmp_path)}</script></body></html>")
    dom = dump_dom(page)
    for label in ("Team", "Env", "Target", "Region", "Owner", "Cost Center", "postgres_version", "ingress_namespace"):
        assert label in dom, label
    form = dom.split('id="form-input"')[0]   # the rendered form, not the data it was given
    blueprint = re.search(r'<input[^>]*id="root_blueprint"[^>]*>', form)
    assert blueprint and 'type="hidden"' in blueprint.group(0), "the blueprint is fixed and hidden"
    assert "must match pattern" in form, "the wrong team is flagged"
    assert ">postgres</option>" in dom and ">kafka</option>" not in dom, "only the entry's data services are offered"
    png = screenshot(page, tmp_path / "form.png", height=2200)
    assert png.stat().st_size > 30_000
    shutil.copy(png, Path(os.environ.get("PORTAL_FORM_PNG", tmp_path / "copy.png")))
