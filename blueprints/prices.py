"""Prices: what the fleet pays per AWS region (on-demand list prices) and charges per on-prem tier.

Sites-map data (`prices:`), each figure with the date it was taken and its source, so a reviewer can check it
and a later release can replace it. `cited: true` marks a figure read on the source page itself; the others are
AWS's list prices for the service named by the source and are to be checked against it before they are relied on.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from blueprints.models import Frozen


class Price(Frozen):
    """One price in US dollars."""

    usd: float = Field(description="Price in US dollars per the unit its table names. Required.", ge=0)
    date: dt.date = Field(description="Day the price was taken. Required.")
    source: str = Field(description="Page the price comes from. Required.", pattern=r"^https://\S+$")
    cited: bool = Field(False, description="The figure was read on the source page itself. Default: false.")


class AwsRegionPrices(Frozen):
    """On-demand prices of one AWS region, Linux, per hour unless the name says otherwise."""

    instance_hour: dict[str, Price] = Field(default_factory=dict, description="EC2 instance types. Default: none.")
    database_hour: dict[str, Price] = Field(
        default_factory=dict, description="RDS for PostgreSQL classes, Single-AZ (Multi-AZ bills each instance). Default: none."
    )
    cache_node_hour: dict[str, Price] = Field(default_factory=dict, description="ElastiCache node types. Default: none.")
    kafka_broker_hour: dict[str, Price] = Field(default_factory=dict, description="MSK standard broker types. Default: none.")
    ebs_gp3_gib_month: Price | None = Field(None, description="EBS gp3 volume storage, per GiB-month. Default: none.")
    rds_gp3_gib_month: Price | None = Field(None, description="RDS gp3 storage, per GiB-month. Default: none.")
    msk_storage_gib_month: Price | None = Field(None, description="MSK broker storage, per GiB-month. Default: none.")
    s3_standard_gib_month: Price | None = Field(None, description="S3 Standard storage, first 50 TB, per GiB-month. Default: none.")
    nat_gateway_hour: Price | None = Field(None, description="NAT gateway, per gateway-hour. Default: none.")
    eks_cluster_hour: Price | None = Field(None, description="EKS cluster in standard support, per cluster-hour. Default: none.")
    eks_extended_cluster_hour: Price | None = Field(
        None, description="EKS cluster on a Kubernetes version in extended support, per cluster-hour. Default: none."
    )
    transit_gateway_attachment_hour: Price | None = Field(
        None, description="Transit Gateway VPC attachment, per attachment-hour. Default: none."
    )


class OnPremRates(Frozen):
    """Chargeback rates of one on-prem tier, per month."""

    vcpu_month: float = Field(description="Per vCPU reserved or quota'd, per month. Required.", ge=0)
    memory_gib_month: float = Field(description="Per GiB of memory, per month. Required.", ge=0)
    storage_tib_month: float = Field(description="Per TiB of storage, per month. Required.", ge=0)
    date: dt.date = Field(description="Day the rates took effect. Required.")
    source: str = Field(description="The rate card they come from. Required.", pattern=r"^https://\S+$")


class Prices(Frozen):
    """The fleet's price table."""

    currency: str = Field("USD", description="Currency of every figure. Default: USD.", pattern=r"^USD$")
    hours_per_month: int = Field(730, description="Hours in a billing month, as AWS's calculator counts. Default: 730.", gt=0)
    aws: dict[str, AwsRegionPrices] = Field(default_factory=dict, description="Per AWS region. Default: none.")
    onprem: dict[str, OnPremRates] = Field(
        default_factory=dict, description="Per tier (prod, nonprod): on-prem chargeback rates. Default: none."
    )
