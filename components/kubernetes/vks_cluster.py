"""VksCluster: a vSphere Kubernetes Service workload cluster, declared as a Cluster API `Cluster`."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes.data_service import ownership_labels, require_dns_label


@dataclass(frozen=True)
class NodePool:
    """One machine deployment (worker node pool)."""

    name: str                   # pool name, a DNS label
    vm_class: str               # VM class bound to the vSphere Namespace (e.g. "best-effort-large")
    replicas: int               # worker count (>= 1)
    node_class: str = "node-pool"  # the ClusterClass worker class; default "node-pool" (VKS built-in classes)


@dataclass(frozen=True)
class VksClusterArgs:
    """A VKS cluster in a team's vSphere Namespace.

    The VM class and storage class set at the cluster level apply to the control plane and are the
    defaults for node pools. Pod and service networks come from the sites map, outside every fleet network.
    """

    namespace: str                      # the team's vSphere Namespace on the Supervisor
    kubernetes_version: str             # a VKS release, e.g. "v1.32.0---vmware.6-fips-vkr.2"
    control_plane_nodes: int            # 3 for HA (prod), 1 otherwise
    vm_class: str                       # control plane (and default) VM class
    storage_class: str                  # storage class for node disks, also the cluster's default storage class
    node_pools: Sequence[NodePool]      # at least one worker pool
    tags: Mapping[str, str]             # ownership tags, applied as labels
    pod_cidr: str                       # pod network (sites map fleet.cluster_networks.pods)
    service_cidr: str                   # service network (sites map fleet.cluster_networks.services)
    service_domain: str                 # cluster DNS domain
    cluster_class: str = "builtin-generic-v3.4.0"  # ClusterClass; default "builtin-generic-v3.4.0" ("tanzukubernetescluster" on older Supervisors)

    def __post_init__(self) -> None:
        if self.control_plane_nodes not in (1, 3, 5):
            raise ValueError("a VKS control plane has 1, 3 or 5 nodes (an odd etcd quorum)")
        if not self.node_pools:
            raise ValueError("a VKS cluster needs at least one node pool")
        for pool in self.node_pools:
            require_dns_label(pool.name)
            if pool.replicas < 1:
                raise ValueError(f"node pool {pool.name} needs at least one replica")


class VksCluster(pulumi.ComponentResource):
    """A Cluster API `Cluster` with a managed topology, and its admin kubeconfig read back as a secret.

    The Supervisor's Kubernetes provider comes in through `opts`; the caller builds the workload
    cluster's provider from `kubeconfig`.
    """

    cluster_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, args: VksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-blueprints:k8s:VksCluster", name, None, opts)
        require_dns_label(name)

        cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="cluster.x-k8s.io/v1beta1",
            kind="Cluster",
            metadata={
                "name": name,
                "namespace": args.namespace,
                "labels": ownership_labels(args.tags),
                # Cluster API writes the kubeconfig Secret once the control plane is initialised;
                # waiting for that condition lets the read below find it.
                "annotations": {"pulumi.com/waitFor": "condition=ControlPlaneInitialized"},
            },
            spec=_cluster_spec(args),
            opts=pulumi.ResourceOptions(parent=self, custom_timeouts=pulumi.CustomTimeouts(create="45m")),
        )

        # Cluster API keeps the admin kubeconfig in `<cluster>-kubeconfig`, key `value`.
        kubeconfig_secret = k8s.core.v1.Secret.get(
            f"{name}-kubeconfig",
            f"{args.namespace}/{name}-kubeconfig",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster]),
        )

        self.cluster_name = cluster.metadata.apply(lambda m: m["name"])
        self.namespace = pulumi.Output.from_input(args.namespace)
        self.kubeconfig = pulumi.Output.secret(
            kubeconfig_secret.data.apply(lambda data: base64.b64decode(data["value"]).decode())
        )
        self.register_outputs({
            "cluster_name": self.cluster_name,
            "namespace": self.namespace,
            "kubeconfig": self.kubeconfig,
        })


def _cluster_spec(args: VksClusterArgs) -> dict:
    """The sites map's pod and service networks, and a managed topology of the control plane and worker pools."""
    return {
        "clusterNetwork": {
            "pods": {"cidrBlocks": [args.pod_cidr]},
            "services": {"cidrBlocks": [args.service_cidr]},
            "serviceDomain": args.service_domain,
        },
        "topology": {
            "class": args.cluster_class,
            "version": args.kubernetes_version,
            "controlPlane": {"replicas": args.control_plane_nodes},
            "workers": {"machineDeployments": [
                {
                    "class": pool.node_class,
                    "name": pool.name,
                    "replicas": pool.replicas,
                    "variables": {"overrides": [{"name": "vmClass", "value": pool.vm_class}]},
                }
                for pool in args.node_pools
            ]},
            "variables": [
                {"name": "vmClass", "value": args.vm_class},
                {"name": "storageClass", "value": args.storage_class},
                {"name": "defaultStorageClass", "value": args.storage_class},
            ],
        },
    }
