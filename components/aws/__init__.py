"""AWS components: network fabric and hub, EKS clusters and node pools, managed data services.

Every component takes a frozen `...Args` dataclass, parents its children to itself, takes its
provider through `opts` and tags every taggable resource with the ownership tags.
"""

from components.aws._common import DataTierAccess
from components.aws.eks import EksAccess, KubernetesCluster, KubernetesClusterArgs, kubeconfig, kubernetes_provider
from components.aws.hub import HubAttachment, HubAttachmentArgs, HubPeer, NetworkHub, NetworkHubArgs
from components.aws.kafka import KafkaCluster, KafkaClusterArgs
from components.aws.network import NetworkFabric, NetworkFabricArgs
from components.aws.node_pool import NodePool, NodePoolArgs, Taint
from components.aws.object_store import ObjectStore, ObjectStoreArgs
from components.aws.postgres import PostgresDatabase, PostgresDatabaseArgs
from components.aws.redis import RedisCache, RedisCacheArgs
from components.aws.tagging import taggable

__all__ = [
    "DataTierAccess",
    "EksAccess",
    "HubAttachment",
    "HubAttachmentArgs",
    "HubPeer",
    "KafkaCluster",
    "KafkaClusterArgs",
    "KubernetesCluster",
    "KubernetesClusterArgs",
    "NetworkFabric",
    "NetworkFabricArgs",
    "NetworkHub",
    "NetworkHubArgs",
    "NodePool",
    "NodePoolArgs",
    "ObjectStore",
    "ObjectStoreArgs",
    "PostgresDatabase",
    "PostgresDatabaseArgs",
    "RedisCache",
    "RedisCacheArgs",
    "Taint",
    "kubeconfig",
    "kubernetes_provider",
    "taggable",
]
