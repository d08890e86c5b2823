"""Compliance zones mean something: a regulated stack differs from a general one in settings and mandatory policies."""

from __future__ import annotations

import pytest

from blueprints.errors import BadInput
from blueprints.models import DataServiceRequest
from blueprints.plan import plan
from blueprints.sites import DATA_PROTECTION
from blueprints.placement.resolve import resolve
from engine.stacks import preview
from tests.conftest import ROOT, make_request

DATA = (DataServiceRequest(kind="postgres", size="S"), DataServiceRequest(kind="object-storage", size="S"))


def _render(catalog, sites, zone: str, target: str, data=DATA, env: str = "prod"):
    bp = resolve(make_request(env=env, compliance_zone=zone, target=target, blueprint="data-platform",
                              data_services=tuple(d for d in data if target == "aws" or d.kind != "object-storage")),
                 catalog, sites)
    return bp, preview(ROOT, bp, sites)


def test_mandatory_policies_follow_the_zone_and_the_tier(catalog, sites):
    pci, _ = _render(catalog, sites, "pci", "aws")
    general_dev = resolve(make_request(blueprint="data-platform", target="aws"), catalog, sites)
    assert set(DATA_PROTECTION) <= set(plan(pci).zone.mandatory_policies)
    assert plan(pci).zone.regulated and plan(pci).zone.log_retention_days >= 365
    assert plan(general_dev).zone.mandatory_policies == () and not plan(general_dev).zone.regulated


def test_prod_and_regulated_s3_buckets_log_access_to_the_sites_log_bucket(catalog, sites):
    for zone, env, logged in (("pci", "prod", True), ("general", "prod", True), ("general", "dev", False)):
        bp, capture = _render(catalog, sites, zone, "aws", env=env)
        logging = capture.by_type("aws:s3/bucketLogging:BucketLogging")
        assert bool(logging) is logged, f"{zone} {env}: access logs {'missing' if logged else 'unasked for'}"
        if logged:
            assert {r.inputs["targetBucket"] for r in logging} == {bp.primary.aws.access_log_bucket}


def test_regulated_backups_go_to_the_zones_bucket_under_its_key(catalog, sites):
    for zone in ("pci", "general"):
        bp, capture = _render(catalog, sites, zone, "vsphere")
        (pg,) = capture.by_type("kubernetes:postgresql.cnpg.io/v1:Cluster")
        store = pg.inputs["spec"]["backup"]["barmanObjectStore"]
        backup = bp.primary.vsphere.backup
        if zone == "pci":
            assert store["destinationPath"].startswith(f"s3://{backup.zone_buckets['pci']}/"), store["destinationPath"]
            assert store["wal"]["encryption"] == store["data"]["encryption"] == "aws:kms", pg.urn
        else:
            assert store["destinationPath"].startswith(f"s3://{backup.bucket}/") and "encryption" not in store["wal"]


def test_a_regulated_zone_gets_no_shared_cluster(catalog, sites):
    with pytest.raises(BadInput, match="pci allows no shared cluster"):
        resolve(make_request(env="prod", compliance_zone="pci", target="aws", blueprint="web-service"), catalog, sites)


def test_a_zone_the_site_cannot_serve_is_refused_by_field(catalog, sites):
    bp, _ = _render(catalog, sites, "pci", "vsphere")
    backup = bp.primary.vsphere.backup.model_copy(update={"zone_buckets": {}})
    place = bp.primary.model_copy(update={"vsphere": bp.primary.vsphere.model_copy(update={"backup": backup})})
    stripped = bp.model_copy(update={"placements": (place, *bp.placements[1:])})
    with pytest.raises(BadInput, match="zone_buckets.pci"):
        plan(stripped)


def test_data_protection_blocks_in_prod_and_regulated_zones_and_advises_elsewhere(catalog, sites):
    from audit.run import Finding, StackResult, enforce_for_stack

    def audited(bp):
        finding = Finding(stack=bp.stack, policy="aws-kms-key-rotation", pack="aws", severity="medium",
                          enforcement="advisory", status="violation", urn="urn:x", message="rotation off")
        other = Finding(stack=bp.stack, policy="aws-ec2-instance-detailed-monitoring", pack="aws", severity="low",
                        enforcement="advisory", status="violation", urn="urn:y", message="off")
        return enforce_for_stack(StackResult(bp.stack, "", findings=[finding, other]), bp).findings

    prod, _ = _render(catalog, sites, "general", "aws")
    pci, _ = _render(catalog, sites, "pci", "aws")
    dev = resolve(make_request(blueprint="data-platform", target="aws"), catalog, sites)
    for bp, level in ((prod, "mandatory"), (pci, "mandatory"), (dev, "advisory")):
        rotation, other = audited(bp)
        assert rotation.enforcement == level, f"{bp.stack}: {rotation.enforcement}"
        assert other.enforcement == "advisory", "a policy outside the data-protection set was escalated"


def test_the_audit_report_shows_per_zone_which_controls_apply(repo):
    import json

    from tests.conftest import run_bp

    for team, env, zone in (("cards", "prod", "pci"), ("shop", "dev", "general")):
        made = run_bp(repo, "new", team, "--blueprint", "vm-app", "--env", env, "--site", "ny1", "--compliance-zone",
                      zone, "--owner", "lead@example.com", "--cost-center", "CC-1")
        assert made.returncode == 0, made.stderr
    report = json.loads(run_bp(repo, "audit", "--all", "--format", "json").stdout)
    zones = report["zones"]
    assert zones["pci"]["stacks"] == ["cards-prod"] and set(DATA_PROTECTION) <= set(zones["pci"]["mandatory_policies"])
    assert zones["general"] == {"stacks": ["shop-dev"], "mandatory_policies": []}
    markdown = run_bp(repo, "audit", "--all", "--format", "markdown").stdout
    assert "## Controls by compliance zone" in markdown and "| pci | 1 |" in markdown
