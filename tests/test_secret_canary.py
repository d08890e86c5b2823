"""Secrets never leave through bp: parameters that look like secrets are refused, and a generated secret
(the mock's RandomPassword result, the canary) appears in no command's output and no cache file."""

from __future__ import annotations

import pytest

from blueprints import free_text
from blueprints.sites import load_sites
from engine.runner import run_stack
from engine.stacks import context_for
from store.stack_files import config_of, read_each
from tests.conftest import run_bp
from tests.test_cli_robustness import NEW, one_line_error

PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----"
SECRETS = [PRIVATE_KEY, "-----BEGIN RSA PRIVATE KEY-----", "AKIAIOSFODNN7EXAMPLE", "ghp_" + "a1B2" * 9,
           "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
           "password=hunter2", "postgres://app:hunter2@db.example:5432/app", "xoxb-1234567890-abcdefghij"]
NOT_SECRETS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHc1bGF0Zm9ybS1icmVhay1nbGFzcy1rZXktZGVtbw platform-break-glass",
               "ingress-nginx", "10.0.0.0/16", "https://objects.ny1.corp.example", "password-reset-service"]


@pytest.mark.parametrize("value", SECRETS)
def test_secret_shapes_are_refused(value):
    assert free_text.secret_problem(value), value


@pytest.mark.parametrize("value", NOT_SECRETS)
def test_ordinary_values_pass(value):
    assert free_text.secret_problem(value) is None, value


def test_bp_new_refuses_a_private_key_parameter_in_one_line_and_writes_nothing(repo):
    result = run_bp(repo, *NEW, "--param", f"ssh_public_key={PRIVATE_KEY}")
    one_line_error(result, "--param ssh_public_key", "looks like a private key")
    assert "b3BlbnNzaC1rZXkt" not in result.stderr + result.stdout, "the refusal echoed the secret"
    assert not list((repo / "stacks").glob("Pulumi.*.yaml")), "a stack file was written"


def _canary(repo) -> str:
    """The generated Redis password of the stamped stack, as the offline engine produces it."""
    sites = load_sites()
    (bp,), _ = read_each(repo)
    capture = run_stack(repo / "stacks", bp.stack, config_of(bp), context_for(bp, sites))
    (password,) = capture.by_type("random:index/randomPassword:RandomPassword")
    return password.outputs["result"]


def test_no_generated_secret_in_any_command_output_or_the_cache(repo):
    stamped = run_bp(repo, "new", "shop", "--blueprint", "web-service", "--env", "dev", "--site", "ny1",
                     "--owner", "lead@example.com", "--cost-center", "CC-1")
    assert stamped.returncode == 0, stamped.stderr
    canary = _canary(repo)
    assert len(canary) >= 16
    commands = [["validate", "--all"], ["validate", "--all", "--json"], ["preview", "shop-dev"],
                ["preview", "shop-dev", "--json"], ["audit", "shop-dev"], ["audit", "shop-dev", "--format", "json"], ["audit", "shop-dev", "--format", "sarif"],
                ["fleet", "preview", "--json"], ["fleet", "preview", "--json"], ["fleet", "audit", "--json"],
                ["fleet", "report"], ["stacks", "list"]]
    for command in commands:
        result = run_bp(repo, *command)
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, (command, result.stderr)
        assert canary not in result.stdout + result.stderr, f"bp {' '.join(command)} printed the generated password"
    cached = [p for p in (repo / ".bp-cache").rglob("*") if p.is_file()]
    assert cached, "no cache written: the cache half of the check proved nothing"
    for path in [*cached, *(repo / "stacks").glob("*")]:
        if path.is_file():
            assert canary.encode() not in path.read_bytes(), path
