"""Every provider rule at its edges: the last value the provider accepts and the first it refuses, on each side.

Each rule carries one accepted and one refused example (tests/test_provider_rules.py); those sit anywhere inside and
outside the limit, so a limit that moved by one (a retention of 179 days for 180, a name of 62 characters for 63)
passed them. Here the values are the documented ones: a limit is right only if both sides of it are."""

from __future__ import annotations

import pytest

from engine.provider_rules.checker import judge
from engine.provider_rules.model import Example
from engine.provider_rules.table import RULES

BY_ID = {rule.id: rule for rule in RULES}
# CloudWatch Logs PutRetentionPolicy retentionInDays: the values the API documents (0: never expire, the provider's).
LOG_RETENTION = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                 3288, 3653)
ZONES = {"s-a": ("aws:ec2/subnet:Subnet", {"availabilityZone": "eu-west-1a"}),
         "s-a2": ("aws:ec2/subnet:Subnet", {"availabilityZone": "eu-west-1a"}),
         "s-b": ("aws:ec2/subnet:Subnet", {"availabilityZone": "eu-west-1b"})}
VPC = {"vpc-1": ("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/19"})}


def verdict(rule_id: str, example: Example, type_: str | None = None):
    rule = BY_ID[rule_id]
    return judge(rule, example.registration(type_ or rule.example_type, rule.prop))


EDGES = [
    # rule, accepted, refused (plain values; the registration holds nothing else)
    ("aws-iam-role-name", ["r" * 64, "r", "deploy+ci=x,y.z@w-1_2"], ["r" * 65, "", "deploy role", "rolé"]),
    ("aws-logs-retention", list(LOG_RETENTION), [2, 4, 179, 181, 364, 366, 730, 732, 3654, -1]),
    ("aws-eks-nodegroup-name", ["n" * 63, "n_", "0-a"], ["n" * 64, "_n", "-n", "n.n"]),
    ("aws-eks-nodegroup-scaling", [{"minSize": 0, "desiredSize": 0, "maxSize": 1}, {"minSize": 3, "desiredSize": 3, "maxSize": 3},
                                   {"minSize": 3, "desiredSize": 6, "maxSize": 6}],
     [{"minSize": 0, "desiredSize": 0, "maxSize": 0}, {"minSize": -1, "desiredSize": 0, "maxSize": 1},
      {"minSize": 3, "desiredSize": 7, "maxSize": 6}, {"minSize": 3, "desiredSize": 2, "maxSize": 6}]),
    ("aws-ec2-security-group-name", ["s" * 255, "sgx", "Sg-1", "a b.c_d-e:f/g(h)#i,j@k[l]m+n=o&p;q{r}s!t$u*"],
     ["s" * 256, "sg-1", "", "é"]),
    ("aws-vpc-cidr", ["10.0.0.0/16", "10.0.0.0/28"], ["10.0.0.0/15", "10.0.0.0/29", "10.0.0.1/16"]),
    ("aws-subnet-cidr", ["10.0.0.0/16", "10.0.0.0/28"], ["10.0.0.0/15", "10.0.0.0/29"]),
    ("aws-rds-identifier", ["a", "a" * 63, "a-1"], ["a" * 64, "", "a--b", "a-", "1a", "A"]),
    ("aws-rds-parameter-group-name", ["a.", "a" * 255, "a.b-c"], ["a" * 256, "a-", "a--b", ".a", "a_b"]),
    ("aws-rds-subnet-group-name", ["my default", "a" * 255, "a_b .-c", "defaults"], ["a" * 256, "default", "Default", ""]),
    ("aws-rds-backup-retention", [0, 35, 7], [-1, 36]),
    ("aws-rds-insights-retention", [7, 31, 62, 713, 731], [0, 6, 8, 30, 32, 714, 732, 744]),
    ("aws-elasticache-replication-group-id", ["a", "a" * 40, "a-1"], ["a" * 41, "a-", "a--b", "1a", ""]),
    ("aws-elasticache-engine-version", ["6.x", "6.2", "7.1", "9.10", "5.0.6", "2.8.24"], ["7", "5.0", "4.x", "6", "7.x.1.", 7.1]),
    ("aws-elasticache-subnet-group-name", ["a" * 255, "A-1"], ["a" * 256, "a_b", ""]),
    ("aws-msk-broker-count", [1, 15], [0, 16]),
    ("aws-s3-bucket-name", ["abc", "a" * 63, "1.a-b"], ["ab", "a" * 64, "-ab", "ab-", "aBc", "a_b"]),
    ("aws-s3-bucket-reserved", ["abc", "a" * 63, "xn-a", "sthree", "my-s3alias-x", "a.mrapx"],
     ["xn--a", "sthree-a", "amzn-s3-demo-a", "a-s3alias", "a--ol-s3", "a.mrap", "a--x-s3", "a--table-s3", "ab", "a" * 64]),
    ("aws-s3-bucket-prefix", ["p" * 37, "p"], ["p" * 38, "P"]),
    ("aws-eks-tags", [{f"k{i}": "v" for i in range(50)}], [{f"k{i}": "v" for i in range(51)}]),
    ("aws-secretsmanager-tags", [{"k" * 128: "v"}], [{"k" * 129: "v"}, {"": "v"}]),
    ("aws-kms-tags", [{"k": "v" * 256}, {"k": ""}], [{"k": "v" * 257}]),
    ("aws-tags", [{"awsx": "1", "team:aws": "1"}], [{"aws:team": "x"}, {"AWS:team": "x"}]),
    ("aws-rds-tags", [{"équipe": "Zürich 2 _.:/=+-@", "k": "v" * 256}], [{"k": "r&d"}, {"k": "a,b"}, {"k": "v" * 257}]),
    ("vsphere-vm-name", ["v" * 80, "v m"], ["v" * 81, ""]),
    ("k8s-namespace-name", ["a" * 63, "1a", "a-1"], ["a" * 64, "-a", "a-", "A", "a.b", ""]),
    ("k8s-service-name", ["a" * 63, "a-1"], ["a" * 64, "1a", "a-"]),
    ("k8s-object-name", ["a" * 253, "a.b", "1-a"], ["a" * 254, "a_b", ".a", "a."]),
    ("k8s-object-namespace", ["a" * 63], ["a" * 64]),
    ("k8s-statefulset-name", ["s" * 52], ["s" * 53]),
    ("k8s-labels", [{"example.com/team": "a", "team": "", "t": "v" * 63, "a.b_c-d": "A.b_c-1"}],
     [{"Example.com/team": "a"}, {"team": "v" * 64}, {"team": "-a"}, {"team": "a-"}, {"t" * 64: "a"},
      {"-team": "a"}, {"a/b/c": "x"}]),
]


@pytest.mark.parametrize("rule_id, accepted, refused", EDGES, ids=[e[0] for e in EDGES])
def test_a_rule_accepts_up_to_its_limit_and_refuses_just_past_it(rule_id, accepted, refused):
    for value in accepted:
        assert verdict(rule_id, Example(value)) is None, f"{rule_id} refuses {value!r}"
    for value in refused:
        assert verdict(rule_id, Example(value)), f"{rule_id} accepts {value!r}"


def test_a_subnet_may_fill_its_vpc_to_the_last_address_and_no_further():
    def judged(cidr: str, index=VPC):
        return verdict("aws-subnet-in-vpc", Example(cidr, state={"vpcId": "vpc-1"}, index=index))

    assert judged("10.0.0.0/19") is None and judged("10.0.31.0/24") is None
    assert judged("10.0.32.0/24") == "is not inside the VPC's 10.0.0.0/19"
    assert judged("9.255.255.0/24")
    assert judged("10.0.32.0/24", index={}) is None  # the VPC is not known to this run: nothing to compare
    assert judged("not-a-cidr") is None  # the CIDR rule says what is wrong with it


def test_a_db_subnet_group_needs_subnets_in_two_zones():
    def judged(subnets):
        return verdict("aws-rds-subnet-group-zones", Example(subnets, index=ZONES))

    assert judged(["s-a", "s-b"]) is None and judged(["s-a", "s-a2", "s-b"]) is None
    assert judged(["s-a", "s-a2"]) == ("its subnets cover 1 availability zone(s); a DB subnet group needs at least two")
    assert judged(["s-a", "s-unknown"]) is None  # a zone not known to this run: nothing to judge


def test_gp3_iops_or_throughput_need_400_gib():
    def judged(storage_type: str, **state):
        return verdict("aws-rds-gp3-provisioned", Example(storage_type, state=state))

    assert judged("gp3", allocatedStorage=400, iops=12000) is None
    assert judged("gp3", allocatedStorage=399, iops=12000) == "gp3 with iops at 399 GiB; IOPS and throughput are set only from 400 GiB"
    assert judged("gp3", allocatedStorage=399, storageThroughput=500)
    assert judged("gp3", allocatedStorage=401, storageThroughput=500) is None
    assert judged("gp3", allocatedStorage=20) is None
    for other in ("gp2", "io1", "io2", "standard"):  # their IOPS rules are others'; some sort after gp3
        assert judged(other, allocatedStorage=100, iops=1000) is None, other
    off_the_wire = "".join(["gp", "3"])  # a value read from the engine is equal to the literal, not the same object
    assert judged(off_the_wire, allocatedStorage=399, iops=12000)


def test_automatic_failover_needs_two_cache_clusters_and_multi_az_needs_failover():
    def failover(value, **state):
        return verdict("aws-elasticache-failover-nodes", Example(value, state=state))

    def multi_az(value, **state):
        return verdict("aws-elasticache-multi-az-failover", Example(value, state=state))

    assert failover(True, numCacheClusters=2) is None and failover(False, numCacheClusters=1) is None
    assert failover(True, numCacheClusters=1) == "automatic failover with 1 cache cluster(s); it needs at least 2"
    assert multi_az(True, automaticFailoverEnabled=True) is None and multi_az(False) is None
    assert multi_az(True, automaticFailoverEnabled=False) and multi_az(True)


def test_msk_brokers_are_a_multiple_of_the_zones_of_their_subnets():
    def judged(brokers, subnets, index=None):
        return verdict("aws-msk-brokers-per-zone",
                       Example(brokers, state={"brokerNodeGroupInfo": {"clientSubnets": subnets}}, index=index or {}))

    assert judged(3, ["a", "b", "c"]) is None and judged(6, ["a", "b", "c"]) is None
    assert judged(4, ["a", "b", "c"]) == "4 brokers over 3 zones: the broker count must be a multiple of the number of zones"
    assert judged(3, ["s-a", "s-a2"], ZONES) is None  # two subnets, one zone: any count is a multiple of one
    assert judged(3, ["s-a", "s-b"], ZONES)


def test_the_object_name_rule_leaves_namespaces_and_services_to_their_own():
    assert verdict("k8s-object-name", Example("a.b"), "kubernetes:core/v1:Namespace") is None
    assert verdict("k8s-object-name", Example("a_b"), "kubernetes:core/v1:Service") is None
    assert verdict("k8s-object-name", Example("a_b"), "kubernetes:apps/v1:Deployment")
