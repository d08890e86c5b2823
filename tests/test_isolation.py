"""Isolation and secure defaults that must hold for every blueprint a team can stamp, on every target."""

from __future__ import annotations

import json
import re

import pytest

from components.kubernetes.labels import label_value
from components.ownership import OWNERSHIP_KEYS
from tests.fleet_renders import renders
from tests.rbac_rules import allows, granted
from tests.kube_schema import assert_valid, crd_schemas, manifests

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


@pytest.fixture(scope="module")
def fleet():
    return renders()


def test_every_node_gets_imds_hop_limit_one(fleet):
    """With hop limit 2 any pod on the node reaches IMDS and takes the node role's credentials."""
    seen = 0
    for stack, (bp, capture) in fleet.items():
        for lt in capture.by_type(LAUNCH_TEMPLATE):
            seen += 1
            meta = lt.inputs["metadataOptions"]
            assert meta["httpTokens"] == "required", lt.urn
            assert meta["httpPutResponseHopLimit"] == 1, f"{lt.urn}: pods could reach the node role"
    assert seen >= 3, "no EKS node pool was rendered: the check above proved nothing"


def test_every_eks_cluster_enforces_network_policies(fleet):
    clusters = 0
    for stack, (bp, capture) in fleet.items():
        for cluster in capture.by_type("aws:eks/cluster:Cluster"):
            clusters += 1
            cni = [a for a in capture.by_type("aws:eks/addon:Addon")
                   if a.inputs["addonName"] == "vpc-cni" and a.parent == cluster.urn]
            assert len(cni) == 1, f"{cluster.urn}: no managed vpc-cni add-on"
            config = json.loads(cni[0].inputs.get("configurationValues") or "{}")
            assert config.get("enableNetworkPolicy") == "true", f"{cni[0].urn}: the tenancy's policies would not be enforced"
    assert clusters >= 2


def test_every_rendered_object_matches_its_schema(fleet):
    """Built-in objects against Kubernetes' schemas, custom resources against the operators' CRDs."""
    kinds = set()
    for stack, (bp, capture) in fleet.items():
        assert_valid(capture)
        kinds |= {(doc["apiVersion"], doc["kind"]) for _, doc in manifests(capture)}
    # The Pulumi Kubernetes Operator's Stack (v1, and the v1alpha1 its full CRD still serves) is rendered by
    # `bp fleet operator-manifests`, not by a blueprint.
    unused = set(crd_schemas()) - kinds - {("pulumi.com/v1", "Stack"), ("pulumi.com/v1alpha1", "Stack")}
    assert not unused, f"vendored CRDs no blueprint renders (drop them or render them): {sorted(unused)}"


def _team_reach(capture, group: str) -> set[str]:
    """Namespaces in which `group` may read Secrets, from every binding the run renders."""
    return {ns for ns, rules in granted(capture, group).items() if allows(rules, "", "secrets", "get")}


def _backup_secrets(capture) -> set[tuple[str, str]]:
    """(namespace, name) of every Secret a rendered CNPG cluster backs up with."""
    found = set()
    for pg in capture.by_type("kubernetes:postgresql.cnpg.io/v1:Cluster"):
        creds = pg.inputs["spec"]["backup"]["barmanObjectStore"]["s3Credentials"]
        found |= {(pg.inputs["metadata"]["namespace"], ref["name"]) for ref in creds.values()}
    return found


def test_backups_go_to_the_teams_own_prefix_with_the_teams_own_key(fleet):
    checked = 0
    for stack, (bp, capture) in fleet.items():
        for pg in capture.by_type("kubernetes:postgresql.cnpg.io/v1:Cluster"):
            checked += 1
            store = pg.inputs["spec"]["backup"]["barmanObjectStore"]
            bucket = bp.primary.vsphere.backup.bucket
            assert store["destinationPath"].startswith(f"s3://{bucket}/{bp.stack}/"), f"{pg.urn}: {store['destinationPath']}"
            assert pg.inputs["metadata"]["namespace"] == bp.stack, pg.urn
        secrets = _backup_secrets(capture)
        assert all(ns == bp.stack for ns, _ in secrets), f"{stack}: a backup key outside the team namespace: {secrets}"
    assert checked >= 4


def test_a_team_can_read_no_other_teams_or_site_wide_backup_key(fleet):
    everyone = {secret: stack for stack, (_, capture) in fleet.items() for secret in _backup_secrets(capture)}
    assert everyone, "no backup secret rendered: the check proved nothing"
    for stack, (bp, capture) in fleet.items():
        if not bp.spec.namespace or bp.spec.cluster == "none":
            continue
        reach = _team_reach(capture, f"{bp.platform.team_group_prefix}{bp.request.team}")
        assert reach == {bp.stack}, f"{stack}: the team reads Secrets in {sorted(reach)}"
        readable = {secret: owner for secret, owner in everyone.items() if secret[0] in reach}
        assert all(owner == stack for owner in readable.values()), f"{stack} can read {readable}"


def _dig(doc: dict, path: str) -> dict:
    for key in path.split("."):
        doc = (doc or {}).get(key) or {}
    return doc


# Where each kind keeps its pods' security contexts: (pod securityContext path or None when the
# operator sets it, [container securityContext paths]). A kind that runs pods must be listed here.
POD_TEMPLATES = {
    "StatefulSet": ("spec.template.spec.securityContext", None),
    "Deployment": ("spec.template.spec.securityContext", None),
    "Kafka": ("spec.kafka.template.pod.securityContext", ["spec.kafka.template.kafkaContainer.securityContext"]),
    "KafkaNodePool": ("spec.template.pod.securityContext", ["spec.template.kafkaContainer.securityContext"]),
    # CloudNativePG runs its pods as the image's postgres user (UID 26) and sets their pod context.
    "Cluster/postgresql.cnpg.io/v1": (None, ["spec.securityContext"]),
}
ENTITY_OPERATOR = ("spec.entityOperator.template.pod.securityContext",
                   ["spec.entityOperator.template.topicOperatorContainer.securityContext",
                    "spec.entityOperator.template.userOperatorContainer.securityContext"])
NO_PODS = {"Namespace", "ResourceQuota", "LimitRange", "Role", "RoleBinding", "Certificate", "NetworkPolicy", "Secret", "ConfigMap", "Service",
           "PodDisruptionBudget", "ScheduledBackup", "Cluster/cluster.x-k8s.io/v1beta1", "SecurityGroupPolicy"}


def _pod_specs(doc: dict):
    """(pod securityContext or None, [(name, container securityContext)]) of every pod template in a manifest."""
    kind = doc["kind"] if doc["kind"] != "Cluster" else f"Cluster/{doc['apiVersion']}"
    assert kind in POD_TEMPLATES or kind in NO_PODS, f"{kind}: say where its pods' security contexts are"
    places = [POD_TEMPLATES[kind]] if kind in POD_TEMPLATES else []
    if kind == "Kafka":
        places.append(ENTITY_OPERATOR)
    for pod_path, container_paths in places:
        pod = _dig(doc, pod_path) if pod_path else None
        if container_paths is None:
            spec = _dig(doc, "spec.template.spec")
            containers = [(c["name"], c.get("securityContext", {})) for c in spec.get("containers", []) + spec.get("initContainers", [])]
        else:
            containers = [(path, _dig(doc, path)) for path in container_paths]
        yield pod, containers


def test_every_pod_runs_restricted_as_an_unprivileged_uid(fleet):
    """Pod Security `restricted` plus a UID above 10000 and a read-only root, wherever pods are templated."""
    checked = 0
    for stack, (bp, capture) in fleet.items():
        for resource, doc in manifests(capture):
            for pod, containers in _pod_specs(doc):
                checked += 1
                if pod is not None:
                    assert pod.get("runAsNonRoot") is True and pod.get("runAsUser", 0) > 10000, f"{resource.urn}: {pod}"
                    assert pod.get("seccompProfile") == {"type": "RuntimeDefault"}, resource.urn
                for name, ctx in containers:
                    assert ctx.get("allowPrivilegeEscalation") is False and not ctx.get("privileged"), f"{resource.urn}: {name}"
                    assert ctx.get("capabilities", {}).get("drop") == ["ALL"], f"{resource.urn}: {name}"
                    assert ctx.get("runAsNonRoot") is True and ctx.get("readOnlyRootFilesystem") is True, f"{resource.urn}: {name}"
                    assert ctx.get("seccompProfile") == {"type": "RuntimeDefault"}, f"{resource.urn}: {name}"
    assert checked >= 10


def test_no_secret_reaches_a_container_through_its_environment(fleet):
    for stack, (bp, capture) in fleet.items():
        for resource, doc in manifests(capture):
            text = json.dumps(doc.get("spec", {}))
            assert "secretKeyRef" not in text and "secretRef" not in text, f"{resource.urn}: mount secrets as files"


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")


def _object_metadata(doc: dict):
    """The metadata of a manifest and of the objects it templates (pods, claims)."""
    yield "metadata", doc["metadata"]
    spec = doc.get("spec", {})
    if "template" in spec and "metadata" in spec["template"]:
        yield "spec.template.metadata", spec["template"]["metadata"]
    for i, claim in enumerate(spec.get("volumeClaimTemplates", [])):
        yield f"spec.volumeClaimTemplates[{i}].metadata", claim["metadata"]
    if "inheritedMetadata" in spec:
        yield "spec.inheritedMetadata", spec["inheritedMetadata"]


def test_every_kubernetes_object_carries_the_ownership_labels(fleet):
    """The same keys as the AWS and vSphere ownership tags, with values valid as label values."""
    checked = 0
    for stack, (bp, capture) in fleet.items():
        expected = {k: label_value(bp.tags()[k]) for k in OWNERSHIP_KEYS}
        for resource, doc in manifests(capture):
            for where, meta in _object_metadata(doc):
                checked += 1
                labels = meta.get("labels") or {}
                missing = {k: v for k, v in expected.items() if labels.get(k) != v}
                assert not missing, f"{resource.urn}: {where} lacks ownership labels {missing}"
                bad = [v for v in labels.values() if not _LABEL_VALUE.match(v)]
                assert not bad, f"{resource.urn}: {where}: invalid label values {bad}"
    assert checked >= 100


def test_no_stack_creates_vcenter_wide_tag_objects(fleet):
    """Tag categories and tags are the platform's, shared by every team of a vCenter; stacks attach them."""
    placements = 0
    for stack, (bp, capture) in fleet.items():
        placements += len(capture.by_type("cloud-blueprints:vsphere:TeamPlacement"))
        for token in ("vsphere:index/tagCategory:TagCategory", "vsphere:index/tag:Tag"):
            assert not capture.by_type(token), f"{stack} creates {[r.urn for r in capture.by_type(token)]}"
    assert placements >= 4


def _redis_conf(text: str) -> dict[str, str]:
    return dict(line.split(None, 1) for line in text.splitlines() if line.strip())


def test_every_data_service_is_tls_only_on_every_target(fleet):
    """The field that decides it, per implementation: what each engine actually reads."""
    seen = {}
    for stack, (bp, capture) in fleet.items():
        for pg in capture.by_type("kubernetes:postgresql.cnpg.io/v1:Cluster"):
            hba = pg.inputs["spec"]["postgresql"]["pg_hba"]
            first_plain = next(h for h in hba if h.split()[0] in ("host", "hostnossl"))
            assert first_plain == "hostnossl all all all reject", f"{pg.urn}: plaintext meets {first_plain!r}"
            seen["cnpg"] = seen.get("cnpg", 0) + 1
        for cm in capture.by_type("kubernetes:core/v1:ConfigMap"):
            if "redis.conf" in cm.inputs.get("data", {}):
                conf = _redis_conf(cm.inputs["data"]["redis.conf"])
                assert conf["port"] == "0" and conf["tls-port"] == "6379" and conf["tls-replication"] == "yes", cm.urn
                seen["redis"] = seen.get("redis", 0) + 1
        for kafka in capture.by_type("kubernetes:kafka.strimzi.io/v1beta2:Kafka"):
            assert all(lst["tls"] is True for lst in kafka.inputs["spec"]["kafka"]["listeners"]), kafka.urn
            seen["strimzi"] = seen.get("strimzi", 0) + 1
        for group in capture.by_type("aws:elasticache/replicationGroup:ReplicationGroup"):
            assert group.inputs["transitEncryptionEnabled"] and group.inputs["transitEncryptionMode"] == "required", group.urn
            seen["elasticache"] = seen.get("elasticache", 0) + 1
        for msk in capture.by_type("aws:msk/cluster:Cluster"):
            assert msk.inputs["encryptionInfo"]["encryptionInTransit"]["clientBroker"] == "TLS", msk.urn
            seen["msk"] = seen.get("msk", 0) + 1
        for params in capture.by_type("aws:rds/parameterGroup:ParameterGroup"):
            assert {"name": "rds.force_ssl", "value": "1"} in [
                {"name": p["name"], "value": p["value"]} for p in params.inputs["parameters"]], params.urn
            seen["rds"] = seen.get("rds", 0) + 1
    assert set(seen) == {"cnpg", "redis", "strimzi", "elasticache", "msk", "rds"}, seen


def _userdata(vm) -> dict:
    import base64
    text = base64.b64decode(vm.inputs["extraConfig"]["guestinfo.userdata"]).decode()
    return json.loads(text.removeprefix("#cloud-config\n"))


def test_vms_get_their_pools_break_glass_key_and_no_passwordless_sudo(fleet):
    from blueprints.sites import load_sites
    keys_of = {pool.name: pool.vsphere.break_glass_ssh_keys for _, _, pool in load_sites().pools() if pool.vsphere}
    seen = 0
    for stack, (bp, capture) in fleet.items():
        for vm in capture.by_type("vsphere:index/virtualMachine:VirtualMachine"):
            seen += 1
            (user,) = _userdata(vm)["users"]
            assert "sudo" not in user and "sudo" not in user.get("groups", []), f"{vm.urn}: the admin user may sudo"
            own = set(keys_of[bp.primary.pool])
            assert own and own <= set(user["ssh_authorized_keys"]), f"{vm.urn}: not its pool's break-glass key"
            others = {k for pool, keys in keys_of.items() if pool != bp.primary.pool for k in keys}
            assert not others & set(user["ssh_authorized_keys"]), f"{vm.urn}: another pool's key opens it"
    assert seen >= 2
