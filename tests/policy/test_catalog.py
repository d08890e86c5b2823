"""The policies as data: names, descriptions, severities, levels, controls and config schemas follow the rules, and
each pack folder is what `pulumi preview --policy-pack` expects."""

from __future__ import annotations

import re

import pytest
from ruamel.yaml import YAML

from policy_packs.controls import NIST, THEMES
from policy_packs.packs import PACKS, all_rules, pack_dir, rules
from policy_packs.spec import CRITICAL, HIGH

NAME = re.compile(r"^(aws|kubernetes|vsphere|pulumi|cloudblueprints)(-[a-z0-9]+){3,}$")
VERB = re.compile(r"^(Require|Forbid|Block|Encrypt|Keep|Protect|Run|Let|Enable|Export|Serve|Restrict|Allow|Strip|Capture|"
                  r"Deploy|Rotate|Drop|Set|Pin|Enforce|Give|Deny|Back|Accept|Tag|Place|Reject|Cap|Spread|Verify|Fail|Send)\b")


@pytest.mark.parametrize("rule", list(all_rules().values()), ids=lambda r: r.name)
def test_policy_metadata(rule):
    assert NAME.match(rule.name), rule.name
    assert VERB.match(rule.description) and rule.description.endswith(".") and rule.description.count(". ") == 0, rule.description
    assert rule.remediation and rule.themes and all(t in THEMES for t in rule.themes), rule.name
    assert rule.controls.get(NIST), f"{rule.name} evidences no NIST SP 800-53 control"
    assert (rule.enforcement.value == "mandatory") == (rule.severity in (HIGH, CRITICAL)), rule.name
    for key, schema in rule.config.items():
        assert {"type", "default", "description"} <= set(schema), f"{rule.name}.{key}"


def test_pack_sizes_and_unique_names():
    names = [r.name for p in PACKS for r in rules(p)]
    assert len(names) == len(set(names))
    assert len(rules("aws")) >= 20 and len(rules("kubernetes")) >= 10 and len(rules("vsphere")) >= 6


@pytest.mark.parametrize("pack", PACKS)
def test_pack_folder_is_a_python_policy_pack(pack):
    folder = pack_dir(pack)
    manifest = YAML(typ="safe").load((folder / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python" and manifest["version"], manifest
    main = (folder / "__main__.py").read_text()
    assert f'serve("{pack}")' in main and "ValidationPolicy" not in main, "the pack folder only builds the pack"
