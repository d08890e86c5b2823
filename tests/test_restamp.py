"""Re-stamps keep what exists: placement, network and every key and comment Pulumi or a person added."""

from __future__ import annotations

from store.stack_files import read_stack
from tests.conftest import ROOT

VM = ["--blueprint", "vm-app", "--env", "dev", "--site", "ny1", "--owner", "lead@example.com", "--cost-center", "CC-1"]
AWS = ["--blueprint", "web-service", "--env", "prod", "--region", "amer", "--target", "aws",
       "--owner", "lead@example.com", "--cost-center", "CC-1"]

# What `pulumi stack init` and `pulumi config set --secret` add to a stack file.
FOREIGN_TOP = "secretsprovider: awskms://alias/pulumi?region=us-east-1\nencryptedkey: AQICAHh0c2VjcmV0a2V5\n"
FOREIGN_CONFIG = (
    "  # set by the team, keep it\n"
    "  aws:region: us-east-1\n"
    "  cloud-blueprints:api-token:\n"
    "    secure: v1:AAAABBBBCCCC\n"
)


def add_foreign_keys(path):
    text = path.read_text()
    head, sep, rest = text.partition("config:\n")
    path.write_text(FOREIGN_TOP + head + sep + FOREIGN_CONFIG + rest + "# trailing note\n")


def stack(repo, name):
    return repo / "stacks" / f"Pulumi.{name}.yaml"


def test_a_restamp_keeps_the_network_after_a_neighbour_left(bp, repo):
    assert bp("new", "alpha", *VM).exit_code == 0
    assert bp("new", "beta", *VM).exit_code == 0
    before = read_stack(stack(repo, "beta-dev")).primary.network
    stack(repo, "alpha-dev").unlink()
    assert bp("new", "beta", *VM, "--size", "L", "--force").exit_code == 0
    after = read_stack(stack(repo, "beta-dev"))
    assert after.primary.network == before and after.request.size == "L"


def test_a_restamp_keeps_foreign_keys_and_comments_byte_for_byte(bp, repo):
    assert bp("new", "payments", *AWS).exit_code == 0
    path = stack(repo, "payments-prod")
    add_foreign_keys(path)
    net = read_stack(path).primary.network
    result = bp("new", "payments", *AWS[:-1], "CC-2", "--size", "L", "--force")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.startswith(FOREIGN_TOP)
    assert FOREIGN_CONFIG in text and text.endswith("# trailing note\n")
    assert read_stack(path).primary.network == net
    assert read_stack(path).request.cost_center == "CC-2"


def test_dry_run_on_an_existing_stack_prints_a_diff_and_writes_nothing(bp, repo):
    assert bp("new", "beta", *VM).exit_code == 0
    before = stack(repo, "beta-dev").read_text()
    result = bp("new", "beta", *VM[:-1], "CC-9", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "--- a/stacks/Pulumi.beta-dev.yaml" in result.stdout
    assert "-      cost_center: CC-1" in result.stdout and "+      cost_center: CC-9" in result.stdout
    assert stack(repo, "beta-dev").read_text() == before


def test_a_resize_that_no_longer_fits_says_so(bp, repo, tmp_path):
    # ny1-nonprod shrunk to 64 vCPU: two S stacks fit, an XL beside an S does not.
    small = tmp_path / "small-sites.yaml"
    text = (ROOT / "blueprints" / "sites" / "demo-fleet.yaml").read_text()
    at = text.index("- name: ny1-nonprod")
    small.write_text(text[:at] + text[at:].replace("vcpu: 6000", "vcpu: 64", 1))
    assert bp("--sites", str(small), "new", "alpha", *VM, "--size", "S").exit_code == 0
    assert bp("--sites", str(small), "new", "beta", *VM, "--size", "S").exit_code == 0
    before = stack(repo, "beta-dev").read_text()
    result = bp("--sites", str(small), "new", "beta", *VM, "--size", "XL", "--force")
    assert result.exit_code == 2
    assert "no longer fits pool ny1-nonprod" in result.output and "--move-network" in result.output
    assert stack(repo, "beta-dev").read_text() == before


def test_moving_a_network_needs_a_flag_and_prod_needs_two(bp, repo):
    assert bp("new", "payments", *AWS).exit_code == 0
    result = bp("new", "payments", *AWS, "--force", "--site", "us-west-2")
    assert result.exit_code == 2 and "--move-network" in result.output
    result = bp("new", "payments", *AWS, "--force", "--move-network")
    assert result.exit_code == 2 and "--i-understand-prod-network-move" in result.output
    result = bp("new", "payments", *AWS, "--force", "--move-network", "--i-understand-prod-network-move")
    assert result.exit_code == 0, result.output


def test_retiring_a_stack_keeps_foreign_keys(bp, repo):
    assert bp("new", "payments", *AWS).exit_code == 0
    path = stack(repo, "payments-prod")
    add_foreign_keys(path)
    assert bp("retire", "payments-prod", "--reason", "moved to payments2").exit_code == 0
    text = path.read_text()
    assert text.startswith(FOREIGN_TOP) and FOREIGN_CONFIG in text and text.endswith("# trailing note\n")
    assert read_stack(path).retired
