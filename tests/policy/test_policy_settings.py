"""Every policy's default settings meet its own schema, so an audit checks only the settings a user gives."""

from __future__ import annotations

import pytest
from google.protobuf import json_format

from blueprints.errors import BadInput
from policy_packs.evaluate import InProcessPack, _meet_schema
from policy_packs.packs import PACKS


@pytest.mark.parametrize("pack", PACKS)
def test_every_policy_s_defaults_meet_its_schema(pack):
    for info in InProcessPack(pack, []).info().policies:
        schema = json_format.MessageToDict(info.configSchema.properties)
        _meet_schema(info.name, {k: v["default"] for k, v in schema.items() if "default" in v}, schema, pack)


def test_a_setting_outside_its_schema_is_refused_by_name():
    with pytest.raises(BadInput, match="p.days: 'seven' is not of type 'integer'"):
        _meet_schema("p", {"days": "seven"}, {"days": {"type": "integer", "default": 7}}, "pack")
