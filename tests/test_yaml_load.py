"""The fast stack-file reader reads what the line-aware reader reads, and errors still name the line."""

from __future__ import annotations

import json

import pytest
import yaml

from blueprints import yaml_io
from blueprints.errors import BadInput
from store.stack_files import read_stack, stack_path

SCALARS = """\
words: [on, off, yes, no, y, n, ~, null, Null]
bools: [true, false, True, FALSE]
ints: [0, 12, -3, +4, 0755, 0x1F, 1:30]
floats: [1.5, 1e3, -.5, .inf, -.Inf, 2.]
strings: ['010', "true", 10.0.0.0/16, 2001:db8::/32]
nested: {a: [1, {b: c}], d: ''}
"""


def plain(data):
    return json.loads(json.dumps(data, default=str))


def test_the_fast_reader_reads_yaml_1_2_like_the_line_aware_reader(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(SCALARS)
    assert plain(yaml_io.load_data(path)) == plain(yaml_io.load(path))


def test_a_stamped_stack_reads_the_same_either_way(bp, repo):
    assert bp("new", "payments", "--blueprint", "web-service", "--env", "dev", "--region", "amer",
              "--owner", "lead@example.com", "--cost-center", "CC-1").exit_code == 0
    path = stack_path(repo, "payments-dev")
    assert plain(yaml_io.load_data(path)) == plain(yaml_io.load(path))


@pytest.mark.parametrize("change, line_text", [
    (("vcpu: 8", "vcpu: lots"), "vcpu: lots"),
    (("cost_center: CC-1", "cost_center: CC-1\n     bad: indent"), "bad: indent"),
])
def test_errors_in_a_stack_file_still_name_its_line(bp, repo, change, line_text):
    assert bp("new", "payments", "--blueprint", "web-service", "--env", "dev", "--region", "amer",
              "--owner", "lead@example.com", "--cost-center", "CC-1").exit_code == 0
    path = stack_path(repo, "payments-dev")
    text = path.read_text().replace(*change, 1)
    path.write_text(text)
    with pytest.raises(BadInput) as err:
        read_stack(path)
    expected = next(i for i, line in enumerate(text.splitlines(), 1) if line_text in line)
    assert err.value.line == expected, str(err.value)


class _General(yaml.CSafeLoader):
    """The same scalars as the fast reader, built by PyYAML's general constructor."""

    yaml_implicit_resolvers = yaml_io._CoreLoader.yaml_implicit_resolvers
    yaml_constructors = yaml_io._CoreLoader.yaml_constructors


@pytest.mark.parametrize("text", [
    SCALARS,
    "a: &x [1, {b: c}]\nb: *x\n",
    "base: &b {k: v, n: 1}\nmerged: {<<: *b, n: 2}\n",
    "&a [*a]\n",
    "a: &a {b: *a}\n",
    "1: one\n2: [2.5, true, null, 2026-01-02, 2001-12-14t21:59:43.10-05:00]\n",
    "a: !!set {x, y}\nb: !!binary aGk=\nc: !!str 12\nd: !!int '12'\ne: !!float 1\n",
    "? [a]\n: b\n",
    "a: !custom 1\n",
    "!!map x\n",
    "a: =\n",
    "",
])
def test_the_fast_reader_builds_what_pyyamls_general_constructor_builds(tmp_path, text):
    def read(loader):
        try:
            return repr(yaml.load(text, Loader=loader))
        except yaml.YAMLError as exc:
            return type(exc).__name__

    assert read(yaml_io._CoreLoader) == read(_General)


def test_aliases_stay_shared_so_an_alias_bomb_stays_small(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcde", "bcdef")]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    data = yaml_io.load_data(path)
    assert data["f"][0] is data["f"][1]
