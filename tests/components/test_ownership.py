"""Every target's components refuse ownership tags that lack a key."""

from __future__ import annotations

import pytest

from blueprints.plan import subnet_plan
from components.aws import NetworkFabricArgs
from components.ownership import OWNERSHIP_KEYS
from components.vsphere import TeamPlacementArgs

TAGS = {"team": "payments", "owner": "a@example.com", "cost-center": "cc-1", "env": "dev",
        "blueprint": "vm-app@1.0.0", "managed-by": "cloud-blueprints"}


def build(target: str, tags: dict):
    if target == "aws":
        return NetworkFabricArgs(cidr="10.0.0.0/20", prod=False, tags=tags, availability_zones=["us-east-1a", "us-east-1b"],
                                 subnets=subnet_plan("10.0.0.0/20", 2), nat_gateways=1)
    return TeamPlacementArgs(datacenter="NY1-DC", compute_cluster="NY1-PROD-CL01", cpu_reservation_mhz=1,
                             cpu_limit_mhz=2, memory_reservation_mb=1, memory_limit_mb=2, tags=tags)


@pytest.mark.parametrize("target", ["aws", "vsphere"])
@pytest.mark.parametrize("key", OWNERSHIP_KEYS)
def test_a_missing_or_empty_key_is_refused(target, key):
    build(target, TAGS)
    with pytest.raises(ValueError, match=key):
        build(target, {k: v for k, v in TAGS.items() if k != key})
    with pytest.raises(ValueError, match=key):
        build(target, {**TAGS, key: ""})
