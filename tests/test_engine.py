"""The offline engine: what it captures, that secrets stay secret, and how failures are reported."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from engine import SECRET, ProgramError, run


class Box(pulumi.ComponentResource):
    def __init__(self, name, fail=False, opts=None):
        super().__init__("cloud-blueprints:test:Box", name, None, opts)
        key = aws.kms.Key(f"{name}-key", enable_key_rotation=True, opts=pulumi.ResourceOptions(parent=self))
        if fail:
            aws.s3.BucketV2(f"{name}-bucket", bucket=None, tags={"a": 1 / 0}, opts=pulumi.ResourceOptions(parent=self))
        self.bucket = aws.s3.BucketV2(
            f"{name}-bucket",
            tags={"team": "t"},
            opts=pulumi.ResourceOptions(parent=self, protect=True, depends_on=[key], ignore_changes=["tags"]),
        )
        self.register_outputs({"bucket": self.bucket.id, "token": pulumi.Output.secret("hunter2")})


def program():
    box = Box("box")
    pulumi.export("bucket", box.bucket.id)
    pulumi.export("password", pulumi.Output.secret("s3cr3t"))


@pytest.fixture(scope="module")
def capture():
    return run(program, stack="payments-dev")


def test_urns_parents_and_options_are_captured(capture):
    box = capture.one("cloud-blueprints:test:Box")
    bucket = capture.one("aws:s3/bucketV2:BucketV2")
    key = capture.one("aws:kms/key:Key")
    assert box.urn == "urn:pulumi:payments-dev::cloud-blueprints::cloud-blueprints:test:Box::box"
    assert bucket.urn == "urn:pulumi:payments-dev::cloud-blueprints::cloud-blueprints:test:Box$aws:s3/bucketV2:BucketV2::box-bucket"
    assert bucket.parent == box.urn, bucket.urn
    assert bucket.protect and not key.protect, bucket.urn
    assert key.urn in bucket.dependencies, bucket.urn
    assert bucket.ignore_changes == ("tags",), bucket.urn
    assert key.inputs["enableKeyRotation"] is True, key.urn


def test_secrets_never_leave_the_engine(capture):
    assert capture.stack_outputs["password"] == SECRET
    assert capture.component_outputs[capture.one("cloud-blueprints:test:Box").urn]["token"] == SECRET
    assert "s3cr3t" not in repr(capture) and "hunter2" not in repr(capture)


def test_runs_in_one_process_do_not_mix(capture):
    other = run(lambda: Box("other"), stack="ledger-prod")
    assert {r.stack for r in [other]} == {"ledger-prod"}
    assert all(r.urn.startswith("urn:pulumi:ledger-prod::") for r in other.resources)
    assert len(capture.resources) == 3 and len(other.resources) == 3


def test_a_failure_names_stack_component_and_resource():
    with pytest.raises(ProgramError) as err:
        run(lambda: Box("broken", fail=True), stack="team-dev")
    message = str(err.value)
    assert "stack team-dev" in message
    assert "component cloud-blueprints:test:Box 'broken'" in message
    assert "ZeroDivisionError" in message


def test_an_unanswered_invoke_is_a_clear_error():
    with pytest.raises(ProgramError, match="no mock answers invoke aws:ec2/getVpc:getVpc"):
        run(lambda: aws.ec2.get_vpc(id="vpc-1"), stack="x-dev")
