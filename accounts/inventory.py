"""Who owns what in an AWS account: every resource kind the components build, read with its tags and
reconciled with the fleet's stack files.

A resource is `managed` when its team and env tags name a stack of the repository, `orphaned` when they
name a stack that no longer exists, and `unowned` when it carries no team or env tag at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping

from botocore.exceptions import ClientError

from accounts.session import Aws, error_code
from blueprints.resolved import ResolvedBlueprint
from components.ownership import missing_keys

MANAGED, ORPHANED, UNOWNED = "managed", "orphaned", "unowned"

TEAM, ENV = "team", "env"
"""The two ownership tags (of OWNERSHIP_KEYS) that name a stack: `<team>-<env>`."""


@dataclass(frozen=True)
class Resource:
    """One resource of the account, with its tags."""

    kind: str
    """What it is: ec2-instance, vpc, subnet, security-group, s3-bucket, rds-instance, rds-cluster,
    eks-cluster, elasticache, msk-cluster, kms-key."""
    id: str
    """Its id, name or ARN, as the console shows it."""
    tags: Mapping[str, str]
    """Its tags."""


@dataclass(frozen=True)
class Reconciled:
    """A resource and who owns it."""

    resource: Resource
    """The resource."""
    ownership: str
    """managed, orphaned or unowned."""
    stack: str | None
    """The stack that manages it (managed only)."""
    missing: tuple[str, ...]
    """Ownership tag keys it lacks."""

    def row(self) -> dict[str, Any]:
        """One flat record for tables, JSON and CSV."""
        tags = self.resource.tags
        return {"kind": self.resource.kind, "id": self.resource.id, "ownership": self.ownership,
                "stack": self.stack or "", "team": tags.get(TEAM, ""), "env": tags.get(ENV, ""),
                "missing_tags": list(self.missing), "tags": dict(tags)}


def _pairs(tags: Iterable[Mapping[str, str]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {t[key]: t[value] for t in tags or ()}


def _pages(client: Any, operation: str, field: str, **kwargs: Any) -> Iterator[dict]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(field, [])


# --- one lister per kind ------------------------------------------------------------------------


def _ec2_instances(aws: Aws) -> Iterator[Resource]:
    alive = [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
    for reservation in _pages(aws.client("ec2"), "describe_instances", "Reservations", Filters=alive):
        for i in reservation["Instances"]:
            yield Resource("ec2-instance", i["InstanceId"], _pairs(i.get("Tags")))


def _ec2_kind(kind: str, operation: str, field: str, id_field: str) -> Callable[[Aws], Iterator[Resource]]:
    def lister(aws: Aws) -> Iterator[Resource]:
        for r in _pages(aws.client("ec2"), operation, field):
            yield Resource(kind, r[id_field], _pairs(r.get("Tags")))

    return lister


def _s3_buckets(aws: Aws) -> Iterator[Resource]:
    s3 = aws.client("s3")
    for b in _pages(s3, "list_buckets", "Buckets", BucketRegion=aws.region):
        try:
            tags = s3.get_bucket_tagging(Bucket=b["Name"])["TagSet"]
        except ClientError as exc:
            if error_code(exc) != "NoSuchTagSet":
                raise
            tags = []
        yield Resource("s3-bucket", b["Name"], _pairs(tags))


def _rds(aws: Aws) -> Iterator[Resource]:
    rds = aws.client("rds")
    for db in _pages(rds, "describe_db_instances", "DBInstances"):
        yield Resource("rds-instance", db["DBInstanceIdentifier"], _pairs(db.get("TagList")))
    for db in _pages(rds, "describe_db_clusters", "DBClusters"):
        yield Resource("rds-cluster", db["DBClusterIdentifier"], _pairs(db.get("TagList")))


def _eks(aws: Aws) -> Iterator[Resource]:
    eks = aws.client("eks")
    for name in _pages(eks, "list_clusters", "clusters"):
        yield Resource("eks-cluster", name, eks.describe_cluster(name=name)["cluster"].get("tags", {}))


def _elasticache(aws: Aws) -> Iterator[Resource]:
    cache = aws.client("elasticache")
    for group in _pages(cache, "describe_replication_groups", "ReplicationGroups"):
        tags = cache.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]
        yield Resource("elasticache", group["ReplicationGroupId"], _pairs(tags))


def _msk(aws: Aws) -> Iterator[Resource]:
    for cluster in _pages(aws.client("kafka"), "list_clusters_v2", "ClusterInfoList"):
        yield Resource("msk-cluster", cluster["ClusterName"], cluster.get("Tags", {}))


def _kms(aws: Aws) -> Iterator[Resource]:
    kms = aws.client("kms")
    for key in _pages(kms, "list_keys", "Keys"):
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") != "CUSTOMER" or meta.get("KeyState") == "PendingDeletion":
            continue
        tags = _pages(kms, "list_resource_tags", "Tags", KeyId=key["KeyId"])
        yield Resource("kms-key", key["KeyId"], _pairs(tags, "TagKey", "TagValue"))


LISTERS: tuple[Callable[[Aws], Iterator[Resource]], ...] = (
    _ec2_instances,
    _ec2_kind("vpc", "describe_vpcs", "Vpcs", "VpcId"),
    _ec2_kind("subnet", "describe_subnets", "Subnets", "SubnetId"),
    _ec2_kind("security-group", "describe_security_groups", "SecurityGroups", "GroupId"),
    _s3_buckets,
    _rds,
    _eks,
    _elasticache,
    _msk,
    _kms,
)
"""Every kind the components build; S3 buckets are those whose home is the region."""


def list_resources(aws: Aws) -> list[Resource]:
    """Every resource of the listed kinds in `aws.region`."""
    return [r for lister in LISTERS for r in lister(aws)]


def reconcile(resources: Iterable[Resource], stacks: Iterable[ResolvedBlueprint]) -> list[Reconciled]:
    """Who owns each resource, judged against the stacks of the repository."""
    by_owner = {(bp.request.team, bp.request.env): bp.stack for bp in stacks}
    out = []
    for r in resources:
        owner = (r.tags.get(TEAM), r.tags.get(ENV))
        if not all(owner):
            ownership, stack = UNOWNED, None
        elif owner in by_owner:
            ownership, stack = MANAGED, by_owner[owner]
        else:
            ownership, stack = ORPHANED, None
        out.append(Reconciled(r, ownership, stack, tuple(missing_keys(r.tags))))
    return out


def counts(rows: Iterable[Reconciled]) -> dict[str, int]:
    """How many resources of each ownership."""
    out = {MANAGED: 0, ORPHANED: 0, UNOWNED: 0}
    for r in rows:
        out[r.ownership] += 1
    return out
