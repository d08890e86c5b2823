"""The fast writer (libyaml) writes stack files as ruamel does, and any plain data so that both readers read it back."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprints import stack_files, yaml_io
from blueprints.stamp import resolve
from tests.conftest import ROOT, make_request

TRICKY = ["on", "yes", "true", "12", "1.5", "~", "null", "2026-01-01", "", "<<", "=", "0o17", "0x1F", "1:30", ".inf",
          "-.5", "1e3", "+1", "a: b", "- x", "#c", "x #y", "@a", "%", "!x", "*x", "&x", "é", " lead", "trail ",
          "a" * 200 + " b", "NULL", "TRUE", ".NaN", "007", "1_000", "2001-12-14t21:59:43.10-05:00", "? x", "[a]", "a,b",
          '"q"', "tab\tx", "http://x/y?a=b#c", "0b101"]


def test_a_stack_file_is_written_as_ruamel_writes_it(catalog, sites):
    stamped = [resolve(make_request(team="hub", blueprint="network-hub", target="aws"), catalog, sites),
               resolve(make_request(blueprint="data-platform", target="vsphere", env="prod",
                                    parameters={"postgres_version": "16"}), catalog, sites)]
    stamped += [stack_files.read_stack(p) for p in stack_files.list_stack_files(ROOT)]
    for bp in stamped:
        config = {"config": json.loads(json.dumps(stack_files.config_of(bp)))}
        assert yaml_io.dump_data(config) == yaml_io.dump(config), bp.stack


def test_strings_are_quoted_where_ruamel_quotes_them():
    data = {"strings": TRICKY, "nested": {s: [s, {"k": s}] for s in TRICKY[:12]}, "empty": {}, "none": [], "n": 3}
    assert yaml_io.dump_data(data) == yaml_io.dump(data)


plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.sampled_from(TRICKY),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text() | st.sampled_from(TRICKY), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(min_size=1), plain, min_size=1, max_size=4))
def test_both_readers_read_back_what_the_fast_writer_wrote(tmp_path: Path, data):
    path = tmp_path / "data.yaml"
    path.write_text(yaml_io.dump_data(data), encoding="utf-8")
    assert yaml_io.load_data(path) == data
    assert json.loads(json.dumps(yaml_io.load(path))) == data
