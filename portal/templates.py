"""Backstage software templates (`scaffolder.backstage.io/v1beta3`), one per catalog version a team may request.

The form is the JSON Schema `bp schema` prints, narrowed to one catalog version: its targets, data services and
parameters, the sites map's regions and data centers. The steps run the request through `bp` itself (a dry run,
then the stamp) and open a pull request with the stack file, so the portal never decides anything `bp new` would
decide differently.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date

from blueprints.catalog import CatalogEntry, Parameter
from blueprints.models import BlueprintRequest
from blueprints.sites import SitesMap
from blueprints.value_kinds import MAX_STRING

API_VERSION = "scaffolder.backstage.io/v1beta3"
BP_ACTION = "cloudBlueprints:bp"
"""The scaffolder action that runs `bp` in the task's workspace: a backend module registers it (see README)."""
KIND_PATTERNS = {
    "dns-label": r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
    "semver": r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$",
    "email": r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$",
    # A CIDR's host bits are checked by `bp new` only; the form checks its shape.
    "cidr": r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$",
}
"""Each parameter kind (blueprints.value_kinds) as the pattern a form can check."""
OWNER_PATTERN = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
"""The shape of an e-mail address for the form; `bp new` (the dry-run step) applies email-validator's full rules."""


@dataclass(frozen=True)
class Publishing:
    """Where the stamped stack file goes: the repository the pull request is opened against."""

    owner: str
    """GitHub organisation or user."""
    repo: str
    """Repository name."""
    branch: str = "main"
    """Branch the pull request targets."""
    export_path: str = "portal"
    """Folder of the export in that repository, whose catalog-info.yaml the scaffolder registers."""

    @property
    def repo_url(self) -> str:
        """The repository in Backstage's RepoUrlPicker form."""
        return f"github.com?owner={self.owner}&repo={self.repo}"

    @property
    def web_url(self) -> str:
        """The repository on the web."""
        return f"https://github.com/{self.owner}/{self.repo}"


def offered_targets(entry: CatalogEntry, sites: SitesMap, today: date) -> tuple[str, ...]:
    """The entry's targets whose cluster version is still supported today: `bp new` refuses the others."""
    def ended(target: str) -> bool:
        version = entry.spec.kubernetes_version
        if entry.spec.cluster != "dedicated" or not version or sites.support is None:
            return False
        window = sites.support.window("eks" if target == "aws" else "vks", version)
        return bool(window and window.end_of_support and today > window.end_of_support)

    return tuple(t for t in entry.targets if not ended(t))


def template_name(entry: CatalogEntry) -> str:
    """The Template entity's name: `<blueprint>-<version>`."""
    return f"{entry.name}-{entry.version}"


def _inline(schema: dict) -> dict:
    """The request schema with its `$defs` inlined and `X | None` fields as plain optional X (a form omits them)."""
    defs = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]]))
            options = node.get("anyOf")
            if options and {"type": "null"} in options and len(options) == 2:
                kept = next(o for o in options if o != {"type": "null"})
                rest = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
                return walk({**kept, **rest})
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def _parameter(name: str, p: Parameter) -> dict:
    prop: dict = {"title": name, "type": p.type, "description": p.description, "default": p.default}
    if p.allowed is not None:
        prop["enum"] = list(p.allowed)
    if p.minimum is not None:
        prop["minimum"] = p.minimum
    if p.maximum is not None:
        prop["maximum"] = p.maximum
    if p.type == "string":
        prop["maxLength"] = MAX_STRING
        if p.kind:
            prop["pattern"] = KIND_PATTERNS[p.kind]
    return prop


def parameters(entry: CatalogEntry, sites: SitesMap, today: date) -> dict:
    """The form of one catalog version: the request schema, narrowed to what that version and the fleet offer."""
    schema = _inline(BlueprintRequest.model_json_schema())
    props = schema["properties"]
    props["blueprint"] = {**props["blueprint"], "const": entry.ref, "default": entry.ref, "ui:widget": "hidden"}
    props["blueprint"].pop("pattern", None)
    props["target"]["enum"] = list(offered_targets(entry, sites, today))
    props["owner"]["pattern"] = OWNER_PATTERN
    props["contact"]["pattern"] = r"\S"  # free text: not blank (`bp new` also refuses control characters)
    props["region"]["enum"] = [r.name for r in sites.regions]
    props["site"]["enum"] = [dc.name for _, dc in sites.data_centers()]
    for field in ("region", "site"):
        props[field].pop("maxLength", None)
    services = props["data_services"]
    if entry.spec.data_services:
        services["items"]["properties"]["kind"]["enum"] = list(entry.spec.data_services)
    else:
        services["maxItems"] = 0
    props["parameters"] = {
        "title": "Parameters", "type": "object", "description": props["parameters"]["description"],
        "additionalProperties": False,
        "properties": {name: _parameter(name, p) for name, p in entry.parameters.items()},
    }
    schema["title"] = f"Request {entry.ref}"
    # Placement needs one of them, as `bp new` does without a terminal to ask on (if/then rather than anyOf: a form
    # renders anyOf as a choice between alternatives).
    schema["if"] = {"not": {"required": ["site"]}}
    schema["then"] = {"required": ["region"]}
    return schema


def _description(entry: CatalogEntry) -> str:
    text = " ".join(entry.description.split())
    if entry.deprecated:
        return (f"DEPRECATED: {entry.deprecated.rstrip('.')}. Use {entry.name}@{entry.successor} "
                f"(sunset {entry.sunset}). {text}")
    return text


def _steps(entry: CatalogEntry, pub: Publishing) -> list[dict]:
    stack = "${{ parameters.team }}-${{ parameters.env }}"
    request = f"requests/{stack}.yaml"
    new = ["new", "${{ parameters.team }}", "--from", request]
    return [
        {"id": "fetchRepository", "name": "Fetch the blueprints repository", "action": "fetch:plain",
         "input": {"url": f"{pub.web_url}/tree/{pub.branch}"}},
        {"id": "writeRequest", "name": "Write the request", "action": "fetch:template",
         "input": {"url": "./skeleton", "values": {"team": "${{ parameters.team }}", "env": "${{ parameters.env }}",
                                                   "request": "${{ parameters }}"}}},
        {"id": "dryRun", "name": "Check the request (bp new --dry-run)", "action": BP_ACTION,
         "input": {"args": [*new, "--dry-run"]}},
        {"id": "stamp", "name": "Stamp the stack file (bp new)", "action": BP_ACTION, "input": {"args": new}},
        {"id": "publish", "name": "Open a pull request", "action": "publish:github:pull-request",
         "input": {"repoUrl": pub.repo_url, "branchName": f"bp/{stack}", "targetBranchName": pub.branch,
                   "title": f"Stamp {stack} from {entry.ref}",
                   "description": f"Requested through the portal: {entry.ref} for {stack}. The stack file is the "
                                  "whole, resolved request (placement, network, versions); the dry-run step's log "
                                  "shows its monthly cost. Review it, then merge."}},
        {"id": "register", "name": "Register in the catalog", "action": "catalog:register",
         "input": {"catalogInfoUrl": f"{pub.web_url}/blob/{pub.branch}/{pub.export_path}/catalog-info.yaml",
                   "optional": True}},
    ]


def template(entry: CatalogEntry, sites: SitesMap, pub: Publishing, today: date) -> dict:
    """The Template entity of one catalog version."""
    title = f"{entry.name} {entry.version}" + (" (deprecated)" if entry.deprecated else "")
    return {
        "apiVersion": API_VERSION,
        "kind": "Template",
        "metadata": {
            "name": template_name(entry), "title": title, "description": _description(entry),
            "tags": ["cloud-blueprint", entry.name, *entry.targets],
            "annotations": {"cloud-blueprints.io/blueprint": entry.ref},
        },
        "spec": {
            "owner": f"group:default/{sites.platform.admin_group}",
            "type": "cloud-blueprint",
            "lifecycle": "deprecated" if entry.deprecated else "production",
            "parameters": parameters(entry, sites, today),
            "steps": _steps(entry, pub),
            "output": {
                "links": [{"title": "Pull request", "icon": "github", "url": "${{ steps.publish.output.remoteUrl }}"},
                          {"title": "In the catalog", "icon": "catalog", "entityRef": "${{ steps.register.output.entityRef }}"}],
                "text": [{"title": "Next", "content": "Infrastructure staff run `pulumi up -s ${{ parameters.team }}-"
                                                       "${{ parameters.env }}` once the pull request is merged."}],
            },
        },
    }


SKELETON_PATH = "skeleton/requests/${{ values.team }}-${{ values.env }}.yaml"
"""The file `fetch:template` writes into the workspace: the form's values, which `bp new --from` reads."""
SKELETON_TEXT = "${{ values.request | dump }}\n"
"""Its content: the values as JSON, which is YAML too."""
