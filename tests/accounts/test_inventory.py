"""`bp inventory` against moto: every kind of resource, with all three ownerships reconciled against
the repository's stacks, in table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json

import boto3
import pytest
from moto_support import REGION

from accounts.inventory import LISTERS

pytestmark = pytest.mark.usefixtures("mocked")

NEW = ["new", "payments", "--blueprint", "web-service", "--env", "prod", "--region", "amer",
       "--owner", "lead@example.com", "--cost-center", "CC-1"]
MANAGED = {"team": "payments", "env": "prod", "owner": "lead@example.com", "cost-center": "CC-1",
           "blueprint": "web-service@2.0.0", "managed-by": "cloud-blueprints"}
ORPHANED = {**MANAGED, "team": "billing"}
"""Tagged for billing-prod, a stack the repository no longer has."""


def ec2_tags(tags: dict, kind: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def build_estate() -> dict[str, str]:
    """One resource of every kind, some managed, some orphaned, some unowned; id -> expected ownership."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/21", TagSpecifications=ec2_tags(MANAGED, "vpc"))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", TagSpecifications=ec2_tags(ORPHANED, "subnet"))["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="hand-made", Description="made by hand", VpcId=vpc)["GroupId"]
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=subnet,
                                 TagSpecifications=ec2_tags({"Name": "legacy"}, "instance"))["Instances"][0]["InstanceId"]

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="payments-prod-assets")
    s3.put_bucket_tagging(Bucket="payments-prod-assets", Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in MANAGED.items()]})
    s3.create_bucket(Bucket="elsewhere-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_instance(DBInstanceIdentifier="billing-prod-db", Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="admin", ManageMasterUserPassword=True, AllocatedStorage=20,
                           Tags=[{"Key": k, "Value": v} for k, v in ORPHANED.items()])
    eks = boto3.client("eks", region_name=REGION)
    eks.create_cluster(name="payments-prod-eks", roleArn="arn:aws:iam::123456789012:role/eks",
                       resourcesVpcConfig={"subnetIds": [subnet]}, tags=MANAGED)
    cache = boto3.client("elasticache", region_name=REGION)
    cache.create_replication_group(ReplicationGroupId="old-cache", ReplicationGroupDescription="nobody's",
                                   Engine="redis", CacheNodeType="cache.t3.micro")
    kafka = boto3.client("kafka", region_name=REGION)
    kafka.create_cluster_v2(ClusterName="billing-prod-kafka", Tags=ORPHANED, Provisioned={
        "BrokerNodeGroupInfo": {"InstanceType": "kafka.m5.large", "ClientSubnets": [subnet]},
        "KafkaVersion": "3.6.0", "NumberOfBrokerNodes": 3})
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Tags=[{"TagKey": k, "TagValue": v} for k, v in MANAGED.items()])["KeyMetadata"]["KeyId"]
    return {vpc: "managed", subnet: "orphaned", group: "unowned", instance: "unowned", "payments-prod-assets": "managed",
            "billing-prod-db": "orphaned", "payments-prod-eks": "managed", "old-cache": "unowned",
            "billing-prod-kafka": "orphaned", key: "managed"}


def test_inventory_reconciles_every_kind_with_the_stacks(cli):
    assert cli(*NEW).exit_code == 0
    expected = build_estate()
    result = cli("inventory", "--region", REGION, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    found = {r["id"]: r for r in report["resources"]}
    assert {i: found[i]["ownership"] for i in expected} == expected
    assert {r["kind"] for r in report["resources"]} >= {
        "ec2-instance", "vpc", "subnet", "security-group", "s3-bucket", "rds-instance", "eks-cluster", "elasticache",
        "msk-cluster", "kms-key"}, "every kind the components build is listed"
    assert found[next(i for i, o in expected.items() if o == "managed")]["stack"] == "payments-prod"
    assert "elsewhere-bucket" not in found, "buckets of other regions are left out"
    assert all(report["counts"][kind] > 0 for kind in ("managed", "orphaned", "unowned"))
    assert found["billing-prod-db"]["missing_tags"] == [] and found["billing-prod-db"]["team"] == "billing"


def test_a_resource_that_lacks_some_ownership_tags_says_which(cli):
    assert cli(*NEW).exit_code == 0
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/21", TagSpecifications=ec2_tags({"team": "payments", "env": "prod"}, "vpc"))["Vpc"]["VpcId"]
    rows = {r["id"]: r for r in json.loads(cli("inventory", "--region", REGION, "--format", "json").stdout)["resources"]}
    assert rows[vpc]["ownership"] == "managed"
    assert rows[vpc]["missing_tags"] == ["owner", "cost-center", "blueprint", "managed-by"]


def test_csv_and_table_carry_the_same_rows(cli):
    assert cli(*NEW).exit_code == 0
    expected = build_estate()
    rows = list(csv.DictReader(io.StringIO(cli("inventory", "--region", REGION, "--format", "csv").stdout)))
    assert {r["id"]: r["ownership"] for r in rows if r["id"] in expected} == expected
    table = cli("inventory", "--region", REGION)
    assert table.exit_code == 0
    counts = json.loads(cli("inventory", "--region", REGION, "--format", "json").stdout)["counts"]
    assert f"{counts['managed']} managed, {counts['orphaned']} orphaned, {counts['unowned']} unowned" in table.output


def test_every_lister_pages_through_results(monkeypatch, cli):
    """Each kind is read through a paginator, so accounts larger than one page are listed whole."""
    build_estate()
    from accounts import inventory

    seen: list[str] = []
    original = inventory._pages

    def recording(client, operation, field, **kwargs):
        assert client.can_paginate(operation), f"{operation} has no paginator"
        seen.append(operation)
        return original(client, operation, field, **kwargs)

    monkeypatch.setattr(inventory, "_pages", recording)
    assert cli("inventory", "--region", REGION, "--format", "json").exit_code == 0
    assert len(set(seen)) >= len(LISTERS)
