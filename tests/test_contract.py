"""The stack file is the truth: for every catalog entry, target and size, what the stack program builds is what
the stack file promises (storage, class, versions, copies, retention, networks) under the same export names.

Each case is stamped and rendered once, through the real stack program (`stacks/__main__.py`), and every
assertion about it lives in one test, so the renders are shared and the suite stays fast. Sizes alternate
between dev and prod so that both tiers are covered without doubling the renders.
"""

from __future__ import annotations

import pytest

from blueprints.catalog import Catalog
from blueprints.models import DataServiceRequest
from blueprints.placement.resolve import ON_PREM_DATA_SERVICES, resolve
from blueprints.plan import plan
from blueprints.sites import load_sites
from components.contracts import export_names
from engine.stacks import preview
from tests.conftest import ROOT, make_request

CATALOG = Catalog()
SITES = load_sites()
TIER = {"S": "dev", "M": "prod", "L": "dev", "XL": "prod"}
CASES = [
    (entry.ref, target, size)
    for entry in CATALOG.entries if not entry.deprecated
    for target in entry.targets
    for size in ("S", "M", "L", "XL")
    if not (entry.spec.network_hub and size != "M")  # the hub has no size-dependent resource
]


def render(ref: str, target: str, size: str):
    entry = CATALOG.get(ref)
    services = tuple(DataServiceRequest(kind=k, size=size) for k in entry.spec.data_services
                     if target == "aws" or k in ON_PREM_DATA_SERVICES)
    bp = resolve(make_request(team="contract", blueprint=ref, target=target, size=size, env=TIER[size],
                              region="amer" if entry.spec.network_hub or target == "vsphere" else "emea",
                              data_services=services), CATALOG, SITES)
    return bp, preview(ROOT, bp, SITES)


def one(cap, type_token: str, name: str | None = None):
    found = [r for r in cap.by_type(type_token) if name is None or r.name == name]
    assert len(found) == 1, f"{type_token} {name}: {[r.urn for r in found]}"
    return found[0]


def check_aws_service(cap, bp, ds) -> None:
    release = bp.decisions.engine(ds.kind, ds.version)
    if ds.kind == "postgres":
        db = one(cap, "aws:rds/instance:Instance")
        i = db.inputs
        assert (i["allocatedStorage"], i["instanceClass"], i["engineVersion"]) == \
            (ds.storage_gib, ds.aws_class, release.aws_version), db.urn
        assert i["multiAz"] is (ds.replicas == 2) and i["backupRetentionPeriod"] == ds.backup_retention_days, db.urn
    elif ds.kind == "redis":
        rg = one(cap, "aws:elasticache/replicationGroup:ReplicationGroup")
        i = rg.inputs
        assert (i["nodeType"], i["numCacheClusters"], i["engineVersion"]) == (ds.aws_class, ds.replicas, release.aws_version), rg.urn
        assert i["snapshotRetentionLimit"] == (ds.backup_retention_days or 0), rg.urn
    elif ds.kind == "kafka":
        msk = one(cap, "aws:msk/cluster:Cluster")
        i = msk.inputs
        broker = i["brokerNodeGroupInfo"]
        assert (i["numberOfBrokerNodes"], broker["instanceType"], i["kafkaVersion"]) == \
            (ds.replicas, ds.aws_class, release.aws_version), msk.urn
        assert broker["storageInfo"]["ebsStorageInfo"]["volumeSize"] == ds.storage_gib, msk.urn
    else:
        rule = one(cap, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        assert rule.inputs["rules"][0]["noncurrentVersionExpiration"]["noncurrentDays"] == ds.backup_retention_days, rule.urn


def check_k8s_service(cap, bp, ds) -> None:
    release = bp.decisions.engine(ds.kind, ds.version)
    limits = {"cpu": str(ds.vcpu), "memory": f"{ds.memory_gib}Gi"}
    if ds.kind == "postgres":
        pg = one(cap, "kubernetes:postgresql.cnpg.io/v1:Cluster")
        spec = pg.inputs["spec"]
        assert (spec["instances"], spec["storage"]["size"], spec["imageName"]) == \
            (ds.replicas, f"{ds.storage_gib}Gi", release.image), pg.urn
        assert spec["backup"]["retentionPolicy"] == f"{ds.backup_retention_days}d", pg.urn
        assert spec["resources"]["limits"] == limits, pg.urn
    elif ds.kind == "kafka":
        kafka = one(cap, "kubernetes:kafka.strimzi.io/v1beta2:Kafka")
        assert kafka.inputs["spec"]["kafka"]["version"] == release.operator_version, kafka.urn
        brokers = [p for p in cap.by_type("kubernetes:kafka.strimzi.io/v1beta2:KafkaNodePool")
                   if "broker" in p.inputs["spec"]["roles"]]
        assert [p.inputs["spec"]["replicas"] for p in brokers] == [ds.replicas], [p.urn for p in brokers]
        volume = brokers[0].inputs["spec"]["storage"]["volumes"][0]
        assert volume["size"] == f"{ds.storage_gib}Gi" and brokers[0].inputs["spec"]["resources"]["limits"] == limits, brokers[0].urn
    else:
        sts = one(cap, "kubernetes:apps/v1:StatefulSet")
        spec = sts.inputs["spec"]
        container = spec["template"]["spec"]["containers"][0]
        assert (spec["replicas"], container["image"]) == (ds.replicas, release.image), sts.urn
        assert spec["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == f"{ds.storage_gib}Gi", sts.urn
        assert container["resources"]["limits"] == limits, sts.urn


def quantity_gib(text: str) -> float:
    return float(text[:-2]) / (1024 if text.endswith("Mi") else 1)


def check_fits_the_namespace(cap) -> None:
    """Operators' pods and claims are admitted: within the LimitRange's maxima."""
    limits = {item["type"]: item["max"] for item in one(cap, "kubernetes:core/v1:LimitRange").inputs["spec"]["limits"]}
    for r in cap.resources:
        spec = r.inputs.get("spec") if r.type.startswith("kubernetes:") and r.custom else None
        if not isinstance(spec, dict):
            continue
        for res in (spec.get("resources"), *(c.get("resources") for c in spec.get("template", {}).get("spec", {}).get("containers", []))):
            if res and "limits" in res:
                assert float(res["limits"]["cpu"]) <= float(limits["Container"]["cpu"]), r.urn
                assert quantity_gib(res["limits"]["memory"]) <= quantity_gib(limits["Container"]["memory"]), r.urn
        volumes = [v["size"] for v in spec.get("storage", {}).get("volumes", [])] + \
            ([spec["storage"]["size"]] if "size" in spec.get("storage", {}) else [])
        for size in volumes:
            assert quantity_gib(size) <= quantity_gib(limits["PersistentVolumeClaim"]["storage"]), r.urn


def check_cluster(cap, bp, target: str) -> None:
    cluster = plan(bp).cluster
    if cluster is None or cluster.kind != "dedicated":
        return
    if target == "aws":
        groups = {g.name: g for g in cap.by_type("aws:eks/nodeGroup:NodeGroup")}
        pools = {f"{bp.stack}-eks-system-ng": cluster.system_pool,
                 **{f"{bp.stack}-{p.name}-ng": p for p in cluster.node_pools}}
        assert set(groups) == set(pools), list(groups)
        for name, g in groups.items():
            scaling, pool = g.inputs["scalingConfig"], pools[name]
            assert (scaling["minSize"], scaling["desiredSize"], scaling["maxSize"]) == \
                (pool.min_nodes, pool.nodes, pool.max_nodes), g.urn
            assert g.inputs["instanceTypes"] == list(pool.machines), g.urn
        templates = {t.name: t for t in cap.by_type("aws:ec2/launchTemplate:LaunchTemplate")}
        for name, pool in pools.items():
            disk = templates[name.removesuffix("-ng") + "-lt"].inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"]
            assert disk == pool.disk_gib, name
        eks = one(cap, "aws:eks/cluster:Cluster")
        assert eks.inputs["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == str(bp.decisions.cluster_networks.services), eks.urn
        return
    capi = one(cap, "kubernetes:cluster.x-k8s.io/v1beta1:Cluster")
    spec = capi.inputs["spec"]
    nets = bp.decisions.cluster_networks
    assert spec["clusterNetwork"]["pods"]["cidrBlocks"] == [str(nets.pods)], capi.urn
    assert spec["clusterNetwork"]["services"]["cidrBlocks"] == [str(nets.services)], capi.urn
    deployments = {d["name"]: d for d in spec["topology"]["workers"]["machineDeployments"]}
    for pool in cluster.node_pools:
        d = deployments[pool.name]
        assert (d["replicas"], d["variables"]["overrides"][0]["value"]) == (pool.nodes, pool.machines[0]), capi.urn


@pytest.mark.parametrize("ref,target,size", CASES)
def test_what_is_built_is_what_the_stack_file_promises(ref, target, size):
    bp, cap = render(ref, target, size)
    outputs = cap.stack_outputs
    for ds in bp.data_services:
        (check_aws_service if target == "aws" else check_k8s_service)(cap, bp, ds)
        missing = set(export_names(ds.kind)) - set(outputs)
        assert not missing, f"{bp.stack} ({target}) lacks exports {sorted(missing)}"
    check_cluster(cap, bp, target)
    if target == "vsphere" and bp.data_services:
        check_fits_the_namespace(cap)
    if target == "vsphere" and plan(bp).sites:
        for pool in cap.by_type("vsphere:index/resourcePool:ResourcePool"):
            assert pool.inputs["cpuLimit"] == bp.size.vcpu * bp.decisions.mhz_per_vcpu, pool.urn
    if bp.spec.cluster != "none":
        assert "cluster_name" in outputs and ("kubeconfig" in outputs) == (bp.spec.cluster == "dedicated"), bp.stack


def test_a_data_service_exports_the_same_names_on_both_targets():
    names = {}
    for target in ("aws", "vsphere"):
        _, cap = render("web-service@2.0.0", target, "S")
        names[target] = {k for k in cap.stack_outputs if k.startswith(("postgres_", "redis_"))}
    assert names["aws"] == names["vsphere"] == {*export_names("postgres"), *export_names("redis")}, names
