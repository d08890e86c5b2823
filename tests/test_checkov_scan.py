"""The Terraform plan `python -m tests.checkov_scan` hands Checkov says what the program renders, in Terraform's words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.checkov_scan import TF_TYPES, block_name, judged, plan_json, terraform
from tests.fleet_renders import renders


def test_every_aws_type_a_prod_render_makes_has_its_terraform_type():
    for bp, capture in renders().values():
        if bp.request.target == "aws" and bp.prod:
            plan_json(capture)
    capture = next(c for bp, c in renders().values() if bp.request.target == "aws")
    odd = replace(capture.resources[-1], type="aws:new/thing:Thing")
    with pytest.raises(SystemExit, match="no Terraform type for"):
        plan_json(replace(capture, resources=[*capture.resources, odd]))


def test_repeated_blocks_take_terraforms_singular_and_objects_become_blocks():
    assert block_name("rules", [{"id": "x"}]) == "rule" and block_name("parameters", [{"name": "a"}]) == "parameter"
    assert block_name("ingress", [{"fromPort": 1}]) == "ingress"
    assert block_name("blockDeviceMappings", [{"deviceName": "/dev/xvda"}]) == "block_device_mappings"
    assert block_name("subnetIds", ["subnet-1"]) == "subnet_ids"
    assert terraform({"metadataOptions": {"httpTokens": "required"}}) == {"metadata_options": [{"http_tokens": "required"}]}
    assert terraform({"tags": {"costCenter": "x"}}) == {"tags": {"costCenter": "x"}}


def test_a_bucket_setting_refers_to_its_bucket_so_graph_checks_see_it():
    _, capture = next((bp, c) for bp, c in renders().values()
                       if bp.request.target == "aws" and c.by_type("aws:s3/bucketVersioning:BucketVersioning"))
    plan = plan_json(capture)
    (versioning,) = [r for r in plan["configuration"]["root_module"]["resources"]
                     if r["type"] == "aws_s3_bucket_versioning"]
    (bucket,) = [r["address"] for r in plan["planned_values"]["root_module"]["resources"] if r["type"] == "aws_s3_bucket"]
    assert bucket in versioning["expressions"]["bucket"]["references"]


def test_every_judged_check_says_why():
    assert judged() and all(len(reason) > 80 for reason in judged().values())
    assert len(TF_TYPES) == len(set(TF_TYPES.values()))
