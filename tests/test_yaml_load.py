"""The fast stack-file reader reads what the line-aware reader reads, and errors still name the line."""

from __future__ import annotations

import json

import pytest

from blueprints import yaml_io
from blueprints.errors import BadInput
from blueprints.stack_files import read_stack, stack_path

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
