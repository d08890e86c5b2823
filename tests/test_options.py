"""One output `Format` for every command: each command takes the formats it offers and refuses the others."""

from __future__ import annotations

import pytest

from cli.options import Format


@pytest.mark.parametrize("args, refused", [
    (("policy", "docs", "--format", "table"), "'table' is not one of 'markdown', 'html', 'oscal'"),
    (("fleet", "report", "--format", "csv"), "'csv' is not one of 'table', 'json', 'markdown', 'html'"),
    (("fleet", "audit", "--format", "json"), "'json' is not one of 'table', 'sarif', 'junit'"),
    (("cost", "--all", "--format", "xml"), "'xml' is not one of 'table', 'json', 'infracost'"),
])
def test_a_format_the_command_does_not_offer_is_refused_naming_the_flag(bp, args, refused):
    result = bp(*args)
    out = " ".join(result.output.split())
    assert result.exit_code == 2 and "Invalid value for '--format'" in out and refused in out, result.output


def test_an_offered_format_is_taken(bp, repo):
    result = bp("fleet", "report", "--format", "json")
    assert result.exit_code == 0, result.output
    assert {f.value for f in Format} >= {"table", "json", "csv", "markdown", "html", "sarif", "junit", "oscal",
                                         "pulumi-events", "infracost"}
