"""VksCluster: Cluster API topology by tier, Supervisor provider from opts, kubeconfig as a secret."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

import engine
from blueprints.plan import NodePoolPlan
from blueprints.plan import VksCluster as VksClusterPlan
from components.kubernetes.data_service import NamespaceAccess
from components.kubernetes.vks_cluster import VksCluster, VksClusterArgs

TAGS = {"team": "payments", "owner": "alice@example.com", "env": "prod", "cost-center": "cc-42", "blueprint": "k8s-app"}
CLUSTER = "kubernetes:cluster.x-k8s.io/v1beta1:Cluster"


def NodePool(name: str, vm_class: str, replicas: int) -> NodePoolPlan:
    return NodePoolPlan(name=name, machines=(vm_class,), nodes=replicas, min_nodes=replicas, max_nodes=replicas,
                        disk_gib=50, imds_hop_limit=1)


def vks_args(namespace, kubernetes_version, control_plane_nodes, vm_class, storage_class, node_pools, tags, pod_cidr,
             service_cidr, service_domain) -> VksClusterArgs:
    """The plan's VKS values and the namespace they go in, from the fields the component took one by one."""
    plan = VksClusterPlan(kubernetes_version=kubernetes_version, node_pools=tuple(node_pools), control_plane_class=vm_class,
                          control_plane_nodes=control_plane_nodes, pod_cidr=pod_cidr, service_cidr=service_cidr,
                          service_domain=service_domain)
    return VksClusterArgs(plan=plan, access=NamespaceAccess(namespace, storage_class, tags))


def _program(prod: bool, kubeconfigs: list):
    def program():
        supervisor = k8s.Provider("supervisor-dc1", kubeconfig="{}", namespace="payments-prod")
        cluster = VksCluster(
            "payments-prod",
            vks_args(
                namespace="payments-prod",
                kubernetes_version="v1.32.0---vmware.6-fips-vkr.2",
                control_plane_nodes=3 if prod else 1,
                vm_class="best-effort-medium",
                storage_class="vsan-default-storage-policy",
                node_pools=[NodePool("general", "best-effort-large", 3), NodePool("memory", "memory-optimized-xlarge", 2)],
                tags=TAGS,
                pod_cidr="172.16.0.0/14",
                service_cidr="172.20.0.0/16",
                service_domain="cluster.local",
            ),
            opts=pulumi.ResourceOptions(provider=supervisor),
        )
        cluster.kubeconfig.apply(kubeconfigs.append)
        # What a caller does with the output: a provider for the workload cluster.
        k8s.Provider("payments-prod-workload", kubeconfig=cluster.kubeconfig)

    return program


@pytest.fixture(scope="module")
def prod():
    kubeconfigs: list = []
    return engine.run(_program(True, kubeconfigs), stack="payments-prod"), kubeconfigs


@pytest.fixture(scope="module")
def nonprod():
    return engine.run(_program(False, []), stack="payments-dev")


def test_cluster_topology(prod):
    capture, _ = prod
    cluster = capture.one(CLUSTER)
    meta, topology = cluster.inputs["metadata"], cluster.inputs["spec"]["topology"]
    assert (meta["name"], meta["namespace"]) == ("payments-prod", "payments-prod"), cluster.urn
    assert meta["labels"]["team"] == "payments" and meta["labels"]["owner"] == "alice_at_example.com", cluster.urn
    assert meta["annotations"]["pulumi.com/waitFor"] == "condition=ControlPlaneInitialized", cluster.urn
    assert topology["class"] == "builtin-generic-v3.4.0", cluster.urn
    assert topology["version"] == "v1.32.0---vmware.6-fips-vkr.2", cluster.urn
    assert topology["controlPlane"]["replicas"] == 3, cluster.urn
    variables = {v["name"]: v["value"] for v in topology["variables"]}
    assert variables == {
        "vmClass": "best-effort-medium",
        "storageClass": "vsan-default-storage-policy",
        "defaultStorageClass": "vsan-default-storage-policy",
    }, cluster.urn
    pools = topology["workers"]["machineDeployments"]
    assert [(p["name"], p["class"], p["replicas"]) for p in pools] == [("general", "node-pool", 3), ("memory", "node-pool", 2)], cluster.urn
    assert pools[1]["variables"]["overrides"] == [{"name": "vmClass", "value": "memory-optimized-xlarge"}], cluster.urn
    network = cluster.inputs["spec"]["clusterNetwork"]
    assert network["pods"]["cidrBlocks"] and network["services"]["cidrBlocks"], cluster.urn


def test_nonprod_has_a_single_control_plane_node(nonprod):
    cluster = nonprod.one(CLUSTER)
    assert cluster.inputs["spec"]["topology"]["controlPlane"]["replicas"] == 1, cluster.urn


def test_supervisor_provider_comes_from_opts(prod):
    capture, _ = prod
    cluster = capture.one(CLUSTER)
    supervisor = next(r for r in capture.resources if r.type == "pulumi:providers:kubernetes" and r.name == "supervisor-dc1")
    assert cluster.provider and cluster.provider.startswith(supervisor.urn), f"{cluster.urn} provider {cluster.provider}"
    component = capture.one("cloud-blueprints:k8s:VksCluster")
    assert cluster.parent == component.urn, cluster.urn
    assert [r for r in capture.resources if r.type == "pulumi:providers:kubernetes" and r.parent == component.urn] == []


def test_kubeconfig_is_read_from_cluster_api_secret_and_kept_secret(prod):
    capture, kubeconfigs = prod
    component = capture.one("cloud-blueprints:k8s:VksCluster")
    outputs = capture.component_outputs[component.urn]
    assert outputs["kubeconfig"] == engine.SECRET, component.urn
    assert outputs["cluster_name"] == "payments-prod"
    config = json.loads(kubeconfigs[0])
    assert config["current-context"] and config["clusters"][0]["cluster"]["server"].startswith("https://"), kubeconfigs[0]
    workload = next(r for r in capture.resources if r.name == "payments-prod-workload")
    assert workload.inputs["kubeconfig"] == engine.SECRET, workload.urn


def test_bad_node_pool_is_refused():
    with pytest.raises(ValueError, match="must be a lowercase DNS label"):
        vks_args("ns", "v1", 1, "c", "s", [NodePool("Bad_Name", "c", 1)], TAGS, "172.16.0.0/14", "172.20.0.0/16", "cluster.local")
    with pytest.raises(ValueError, match="at least one node pool"):
        vks_args("ns", "v1", 1, "c", "s", [], TAGS, "172.16.0.0/14", "172.20.0.0/16", "cluster.local")
