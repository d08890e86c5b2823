"""The fast writer (libyaml) writes stack files as ruamel does, and any plain data so that both readers read it back."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprints import yaml_io
from blueprints.placement.resolve import resolve
from store import stack_files
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


def _core(text: str):
    import yaml

    return yaml.load(text, Loader=yaml_io._CoreLoader)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1) | st.sampled_from(TRICKY), plain, min_size=1, max_size=4))
def test_rapidyaml_reads_what_the_core_schema_reads_or_declines(data):
    for text in (yaml_io.dump_data(data), yaml_io.dump(data)):
        try:
            fast = yaml_io._fast(text.encode())
        except Exception:  # declined (not plain, or rapidyaml cannot say): load_data gives it to the libyaml loader
            continue
        assert fast == _core(text)


def test_rapidyaml_reads_a_plain_stack_file_itself():
    """The comparison above would hold vacuously if the fast reader declined everything: it must not."""
    data = {"config": {"cloud-blueprints:team": "shop", "cloud-blueprints:size": 3, "on": "yes", "list": ["a", "b"]}}
    for text in (yaml_io.dump_data(data), yaml_io.dump(data)):
        assert yaml_io._fast(text.encode()) == _core(text) == data, text


def test_rapidyaml_declines_every_plain_scalar_it_cannot_tell_from_a_quoted_one():
    compared = 0
    for scalar in TRICKY:
        text = f"k: {scalar}\n"
        try:
            core = _core(text)
        except Exception:
            continue  # not YAML the core schema reads: nothing to compare
        try:
            fast = yaml_io._fast(text.encode())
        except Exception:
            continue  # the fast path declined it, which is the point
        assert fast == core, scalar
        compared += 1
    assert compared >= len(TRICKY) // 2, f"only {compared} of {len(TRICKY)} scalars were compared: the fast path declines too much"


def test_a_broken_stack_file_is_one_line_on_stderr(repo, catalog, sites):
    from tests.conftest import run_bp

    resolved = resolve(make_request(), catalog, sites)
    stack_files.write_stack(repo, resolved)
    path = stack_files.stack_path(repo, resolved.stack)
    path.write_text(path.read_text().replace("  team:", "  team: [unclosed", 1))
    result = run_bp(repo, "validate", resolved.stack)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and path.name in result.stderr, result.stderr
