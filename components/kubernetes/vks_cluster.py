"""VksCluster: a vSphere Kubernetes Service workload cluster, declared as a Cluster API `Cluster`."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from blueprints.plan import VksCluster as VksClusterPlan
from components.kubernetes.data_service import NamespaceAccess, ownership_labels, require_dns_label


WORKER_CLASS = "node-pool"
"""The ClusterClass worker class of every machine deployment (VKS built-in classes)."""


@dataclass(frozen=True)
class VksClusterArgs:
    """A VKS cluster in a team's vSphere Namespace.

    The VM class and storage class set at the cluster level apply to the control plane and are the
    defaults for node pools. Pod and service networks come from the sites map, outside every fleet network.
    """

    plan: VksClusterPlan                # VKS release, control plane (1, 3 for HA, or 5 nodes) and its VM class, worker
                                        # pools (one VM class each), pod and service networks, DNS domain
    access: NamespaceAccess             # the team's vSphere Namespace, the storage class of node disks (also the
                                        # cluster's default storage class), ownership tags (labels)
    cluster_class: str = "builtin-generic-v3.4.0"  # ClusterClass; default "builtin-generic-v3.4.0" ("tanzukubernetescluster" on older Supervisors)

    def __post_init__(self) -> None:
        if self.plan.control_plane_nodes not in (1, 3, 5):
            raise ValueError("a VKS control plane has 1, 3 or 5 nodes (an odd etcd quorum)")
        if not self.plan.node_pools:
            raise ValueError("a VKS cluster needs at least one node pool")
        for pool in self.plan.node_pools:
            require_dns_label(pool.name)
            if pool.nodes < 1:
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
                "namespace": args.access.namespace,
                "labels": ownership_labels(args.access.tags),
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
            f"{args.access.namespace}/{name}-kubeconfig",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster]),
        )

        self.cluster_name = cluster.metadata.apply(lambda m: m["name"])
        self.namespace = pulumi.Output.from_input(args.access.namespace)
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
    plan, storage_class = args.plan, args.access.storage_class
    return {
        "clusterNetwork": {
            "pods": {"cidrBlocks": [plan.pod_cidr]},
            "services": {"cidrBlocks": [plan.service_cidr]},
            "serviceDomain": plan.service_domain,
        },
        "topology": {
            "class": args.cluster_class,
            "version": plan.kubernetes_version,
            "controlPlane": {"replicas": plan.control_plane_nodes},
            "workers": {"machineDeployments": [
                {
                    "class": WORKER_CLASS,
                    "name": pool.name,
                    "replicas": pool.nodes,
                    "variables": {"overrides": [{"name": "vmClass", "value": pool.machines[0]}]},
                }
                for pool in plan.node_pools
            ]},
            "variables": [
                {"name": "vmClass", "value": plan.control_plane_class},
                {"name": "storageClass", "value": storage_class},
                {"name": "defaultStorageClass", "value": storage_class},
            ],
        },
    }
