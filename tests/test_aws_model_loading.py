"""The AWS API models the provider rules read are the ones a botocore session gives (every service the rules ask),
read without its client machinery and parsed with orjson."""

from __future__ import annotations

import subprocess
import sys

import botocore.session
import pytest

from engine.provider_rules import aws_model


@pytest.mark.parametrize("service", ["ec2", "eks", "iam", "kafka", "kms", "logs", "rds", "resourcegroupstaggingapi",
                                     "secretsmanager"])
def test_a_service_model_is_the_sessions(service):
    ours, sessions = aws_model._service(service), botocore.session.get_session().get_service_model(service)
    assert ours._service_description == sessions._service_description, service
    assert ours.service_name == sessions.service_name


def test_reading_a_limit_does_not_import_the_session():
    code = ("import sys; from engine.provider_rules import aws_model; aws_model.shape('ec2', 'LaunchTemplateName'); "
            "print('botocore.session' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
