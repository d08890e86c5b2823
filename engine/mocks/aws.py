"""Mock answers for aws resources and invokes.

Each answer adds what AWS returns on create: an id in the real format, an ARN, endpoints, generated
names. Resource inputs and outputs use the wire (camelCase) property names.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from engine.mocks import MockContext, invoke, resource, stable_id
from engine.provider_rules import autonaming

AZ_LETTERS = "abcdef"


def _uid(args, length: int = 17) -> str:
    return stable_id(args.typ, args.name, length=length)


def _arn(ctx: MockContext, service: str, rest: str, *, region: bool = True, account: bool = True) -> str:
    return f"arn:aws:{service}:{ctx.region if region else ''}:{ctx.account_id if account else ''}:{rest}"


def _autoname(args, key: str = "name") -> str:
    """Pulumi's auto-naming when the program set no name: `<logical name>-<7 hex>`, never shortened.

    A generated name over the provider's maximum is returned whole, and a rule `pulumi-autoname-<property>-<maximum>`
    refuses it, as pulumi-terraform-bridge does (engine/provider_rules/autonaming.py).
    """
    given = args.inputs.get(key)
    return given if given else autonaming.generated(args.typ, args.name, _uid(args, autonaming.RANDOM_CHARS))


# ---------------------------------------------------------------------------------------- invokes


@invoke("aws:index/getCallerIdentity:getCallerIdentity")
def _caller_identity(_: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    return {
        "accountId": ctx.account_id,
        "arn": f"arn:aws:iam::{ctx.account_id}:role/platform-deployer",
        "id": ctx.account_id,
        "userId": "AROAEXAMPLEDEPLOYER:pulumi",
    }


@invoke("aws:index/getPartition:getPartition")
def _partition(_: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}


@invoke("aws:index/getRegion:getRegion")
def _region(_: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    return {
        "id": ctx.region,
        "name": ctx.region,
        "region": ctx.region,
        "description": ctx.region,
        "endpoint": f"ec2.{ctx.region}.amazonaws.com",
    }


@invoke("aws:index/getAvailabilityZones:getAvailabilityZones")
def _availability_zones(_: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    names = [f"{ctx.region}{letter}" for letter in AZ_LETTERS]
    return {
        "id": ctx.region,
        "names": names,
        "zoneIds": [f"use1-az{i + 1}" for i in range(len(names))],
        "groupNames": [ctx.region] * len(names),
        "state": "available",
    }


# ------------------------------------------------------------------------------------ networking

_EC2_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "acl",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2transitgateway/transitGateway:TransitGateway": "tgw",
    "aws:ec2transitgateway/routeTable:RouteTable": "tgw-rtb",
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": "tgw-attach",
    "aws:ec2transitgateway/peeringAttachment:PeeringAttachment": "tgw-attach",
    "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter": "tgw-attach",
}

_ARN_KIND = {
    "vpc": "vpc",
    "subnet": "subnet",
    "igw": "internet-gateway",
    "nat": "natgateway",
    "rtb": "route-table",
    "sg": "security-group",
    "acl": "network-acl",
    "vpce": "vpc-endpoint",
    "fl": "vpc-flow-log",
    "lt": "launch-template",
    "sgr": "security-group-rule",
    "tgw": "transit-gateway",
    "tgw-rtb": "transit-gateway-route-table",
    "tgw-attach": "transit-gateway-attachment",
}


@resource(*_EC2_PREFIX)
def _ec2(args, ctx: MockContext) -> dict[str, Any]:
    prefix = _EC2_PREFIX[args.typ]
    rid = f"{prefix}-{_uid(args)}"
    out: dict[str, Any] = {"id": rid, "ownerId": ctx.account_id}
    if prefix in _ARN_KIND:
        out["arn"] = _arn(ctx, "ec2", f"{_ARN_KIND[prefix]}/{rid}")
    if prefix == "vpc":
        out |= {
            "defaultSecurityGroupId": f"sg-{_uid(args)[:-1]}0",
            "defaultNetworkAclId": f"acl-{_uid(args)[:-1]}0",
            "defaultRouteTableId": f"rtb-{_uid(args)[:-1]}0",
            "mainRouteTableId": f"rtb-{_uid(args)[:-1]}0",
            "dhcpOptionsId": f"dopt-{_uid(args)}",
        }
    elif prefix == "subnet":
        az = args.inputs.get("availabilityZone") or f"{ctx.region}a"
        out["availabilityZoneId"] = f"use1-az{AZ_LETTERS.index(az[-1]) + 1}" if az[-1] in AZ_LETTERS else "use1-az1"
    elif prefix == "nat":
        out |= {"networkInterfaceId": f"eni-{_uid(args)}", "privateIp": "10.0.192.10", "publicIp": "203.0.113.10"}
    elif prefix == "sg":
        out["name"] = _autoname(args)
    elif prefix == "sgr":
        out["securityGroupRuleId"] = rid
    elif prefix == "lt":
        out |= {"latestVersion": 1, "defaultVersion": 1, "name": _autoname(args)}
    elif prefix == "vpce":
        out |= {"prefixListId": f"pl-{_uid(args, 8)}", "state": "available"}
    elif prefix == "tgw":
        out |= {
            "associationDefaultRouteTableId": f"tgw-rtb-{_uid(args)[:-1]}0",
            "propagationDefaultRouteTableId": f"tgw-rtb-{_uid(args)[:-1]}0",
        }
    elif args.typ.endswith(":PeeringAttachmentAccepter"):
        out["id"] = args.inputs.get("transitGatewayAttachmentId") or rid
    return out


@resource("aws:ec2/eip:Eip")
def _eip(args, ctx: MockContext) -> dict[str, Any]:
    n = int(_uid(args, 4), 16) % 250 + 1
    alloc = f"eipalloc-{_uid(args)}"
    return {
        "id": alloc,
        "allocationId": alloc,
        "publicIp": f"198.51.100.{n}",
        "publicDns": f"ec2-198-51-100-{n}.compute-1.amazonaws.com",
        "arn": _arn(ctx, "ec2", f"elastic-ip/{alloc}"),
    }


@resource("aws:ec2/route:Route")
def _route(args, ctx: MockContext) -> dict[str, Any]:
    rt = args.inputs.get("routeTableId", "rtb")
    return {"id": f"r-{rt}{stable_id(args.inputs.get('destinationCidrBlock', ''), length=10)}", "state": "active"}


@resource(
    "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation",
    "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation",
    "aws:ec2transitgateway/route:Route",
)
def _tgw_link(args, ctx: MockContext) -> dict[str, Any]:
    return {"id": f"{args.inputs.get('transitGatewayRouteTableId', 'tgw-rtb')}_{_uid(args, 8)}"}


@resource("aws:directconnect/gateway:Gateway")
def _dx_gateway(args, ctx: MockContext) -> dict[str, Any]:
    gid = f"{_uid(args, 8)}-{_uid(args, 4)}-4{_uid(args, 3)}-a{_uid(args, 3)}-{_uid(args, 12)}"
    return {"id": gid, "ownerAccountId": ctx.account_id, "arn": _arn(ctx, "directconnect", f"dx-gateway/{gid}", region=False)}


@resource("aws:directconnect/gatewayAssociation:GatewayAssociation")
def _dx_association(args, ctx: MockContext) -> dict[str, Any]:
    return {
        "id": f"ga-{args.inputs.get('dxGatewayId', '')}{args.inputs.get('associatedGatewayId', '')}",
        "dxGatewayAssociationId": f"{_uid(args, 8)}-assoc",
        "associatedGatewayType": "transitGateway",
        "associatedGatewayOwnerAccountId": ctx.account_id,
        "dxGatewayOwnerAccountId": ctx.account_id,
        "transitGatewayAttachmentId": f"tgw-attach-{_uid(args)}",
    }


@resource("aws:ram/resourceShare:ResourceShare")
def _ram_share(args, ctx: MockContext) -> dict[str, Any]:
    arn = _arn(ctx, "ram", f"resource-share/{_uid(args, 8)}-{_uid(args, 4)}")
    return {"id": arn, "arn": arn}


@resource("aws:ram/resourceAssociation:ResourceAssociation", "aws:ram/principalAssociation:PrincipalAssociation")
def _ram_association(args, ctx: MockContext) -> dict[str, Any]:
    first = args.inputs.get("resourceShareArn", "")
    second = args.inputs.get("resourceArn") or args.inputs.get("principal") or ""
    return {"id": f"{first},{second}"}


# ------------------------------------------------------------------------------- IAM, KMS, logs


@resource("aws:iam/role:Role")
def _role(args, ctx: MockContext) -> dict[str, Any]:
    name = _autoname(args)
    return {"id": name, "name": name, "arn": f"arn:aws:iam::{ctx.account_id}:role/{name}", "uniqueId": f"AROA{_uid(args).upper()}"}


@resource("aws:iam/rolePolicy:RolePolicy")
def _role_policy(args, ctx: MockContext) -> dict[str, Any]:
    name = _autoname(args)
    return {"id": f"{args.inputs.get('role', '')}:{name}", "name": name}


@resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def _role_policy_attachment(args, ctx: MockContext) -> dict[str, Any]:
    return {"id": f"{args.inputs.get('role', '')}-{_uid(args, 8)}"}


@resource("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def _oidc_provider(args, ctx: MockContext) -> dict[str, Any]:
    host = str(args.inputs.get("url", "")).removeprefix("https://")
    arn = f"arn:aws:iam::{ctx.account_id}:oidc-provider/{host}"
    return {"id": arn, "arn": arn}


@resource("aws:kms/key:Key")
def _kms_key(args, ctx: MockContext) -> dict[str, Any]:
    key_id = f"{_uid(args, 8)}-{_uid(args, 4)}-4{_uid(args, 3)}-8{_uid(args, 3)}-{_uid(args, 12)}"
    return {"id": key_id, "keyId": key_id, "arn": _arn(ctx, "kms", f"key/{key_id}")}


@resource("aws:kms/alias:Alias")
def _kms_alias(args, ctx: MockContext) -> dict[str, Any]:
    name = _autoname(args)
    return {"id": name, "arn": _arn(ctx, "kms", name), "targetKeyArn": _arn(ctx, "kms", f"key/{args.inputs.get('targetKeyId', '')}")}


@resource("aws:cloudwatch/logGroup:LogGroup")
def _log_group(args, ctx: MockContext) -> dict[str, Any]:
    name = _autoname(args)
    return {"id": name, "name": name, "arn": _arn(ctx, "logs", f"log-group:{name}")}


@resource("aws:secretsmanager/secret:Secret")
def _secret(args, ctx: MockContext) -> dict[str, Any]:
    name = _autoname(args)
    arn = _arn(ctx, "secretsmanager", f"secret:{name}-{_uid(args, 6)}")
    return {"id": arn, "arn": arn, "name": name}


@resource("aws:secretsmanager/secretVersion:SecretVersion")
def _secret_version(args, ctx: MockContext) -> dict[str, Any]:
    version = f"{_uid(args, 8)}-{_uid(args, 4)}-{_uid(args, 4)}"
    return {
        "id": f"{args.inputs.get('secretId', '')}|{version}",
        "arn": args.inputs.get("secretId", ""),
        "versionId": version,
        "versionStages": ["AWSCURRENT"],
    }


@resource("random:index/randomPassword:RandomPassword")
def _random_password(args, ctx: MockContext) -> dict[str, Any]:
    length = int(args.inputs.get("length", 32))
    result = (stable_id("password", args.name, length=64) * 4)[:length]
    return {"id": "none", "result": result, "bcryptHash": "$2a$10$" + stable_id(result, length=53)}


ROTATION_BASE = "2026-01-01T00:00:00Z"
"""The mocks' stand-in for the time a Rotating resource is created: fixed, so renders stay the same run to run."""


@resource("time:index/rotating:Rotating")
def _rotating(args, ctx: MockContext) -> dict[str, Any]:
    base = args.inputs.get("rfc3339") or ROTATION_BASE
    days = int(args.inputs.get("rotationDays") or 0)
    rotation = datetime.fromisoformat(base.replace("Z", "+00:00")) + timedelta(days=days)
    return {"id": base, "rfc3339": base, "rotationRfc3339": rotation.strftime("%Y-%m-%dT%H:%M:%SZ")}


# ---------------------------------------------------------------------------------------- EKS


@resource("aws:eks/cluster:Cluster")
def _eks_cluster(args, ctx: MockContext) -> dict[str, Any]:
    name = _autoname(args)
    oidc_id = stable_id("oidc", name, length=32).upper()
    ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMOCKCA" + name.encode() + b"\n-----END CERTIFICATE-----\n")
    vpc_config = dict(args.inputs.get("vpcConfig") or {})
    vpc_config |= {
        "clusterSecurityGroupId": f"sg-{stable_id('cluster-sg', name)}",
        "vpcId": f"vpc-{stable_id('vpc-of', name)}",
    }
    return {
        "id": name,
        "name": name,
        "arn": _arn(ctx, "eks", f"cluster/{name}"),
        "endpoint": f"https://{oidc_id}.gr7.{ctx.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": ca.decode()},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{oidc_id}"}]}],
        "vpcConfig": vpc_config,
        "platformVersion": "eks.10",
        "status": "ACTIVE",
        "clusterId": f"{_uid(args, 8)}-{_uid(args, 4)}",
    }


@resource("aws:eks/nodeGroup:NodeGroup")
def _node_group(args, ctx: MockContext) -> dict[str, Any]:
    cluster = args.inputs.get("clusterName", "")
    group = _autoname(args, key="nodeGroupName")
    return {
        "id": f"{cluster}:{group}",
        "nodeGroupName": group,
        "arn": _arn(ctx, "eks", f"nodegroup/{cluster}/{group}/{_uid(args, 8)}"),
        "status": "ACTIVE",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{group}-{_uid(args, 8)}"}], "remoteAccessSecurityGroupId": ""}],
    }


@resource("aws:eks/addon:Addon")
def _addon(args, ctx: MockContext) -> dict[str, Any]:
    cluster, addon = args.inputs.get("clusterName", ""), args.inputs.get("addonName", "")
    return {
        "id": f"{cluster}:{addon}",
        "arn": _arn(ctx, "eks", f"addon/{cluster}/{addon}/{_uid(args, 8)}"),
        "addonVersion": args.inputs.get("addonVersion") or "v1.0.0-eksbuild.1",
    }


@resource("aws:eks/accessEntry:AccessEntry")
def _access_entry(args, ctx: MockContext) -> dict[str, Any]:
    cluster, principal = args.inputs.get("clusterName", ""), args.inputs.get("principalArn", "")
    return {
        "id": f"{cluster}:{principal}",
        "accessEntryArn": _arn(ctx, "eks", f"access-entry/{cluster}/role/{ctx.account_id}/{_uid(args, 8)}"),
        "userName": principal,
        "type": args.inputs.get("type") or "STANDARD",
    }


@resource("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
def _access_policy(args, ctx: MockContext) -> dict[str, Any]:
    return {"id": f"{args.inputs.get('clusterName', '')}#{args.inputs.get('principalArn', '')}#{args.inputs.get('policyArn', '')}"}


# ------------------------------------------------------------------------------ data services


@resource("aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup", "aws:elasticache/subnetGroup:SubnetGroup")
def _named_group(args, ctx: MockContext) -> dict[str, Any]:
    name = _autoname(args)
    service = "rds" if args.typ.startswith("aws:rds") else "elasticache"
    kind = {"aws:rds/subnetGroup:SubnetGroup": "subgrp", "aws:rds/parameterGroup:ParameterGroup": "pg"}.get(args.typ, "subnetgroup")
    return {"id": name, "name": name, "arn": _arn(ctx, service, f"{kind}:{name}")}


@resource("aws:rds/instance:Instance")
def _rds_instance(args, ctx: MockContext) -> dict[str, Any]:
    ident = _autoname(args, key="identifier")
    address = f"{ident}.c{_uid(args, 11)}.{ctx.region}.rds.amazonaws.com"
    port = int(args.inputs.get("port") or 5432)
    out: dict[str, Any] = {
        "id": ident,
        "identifier": ident,
        "arn": _arn(ctx, "rds", f"db:{ident}"),
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "resourceId": f"db-{_uid(args, 26).upper()}",
        "hostedZoneId": "Z2R2ITUGPM61AM",
        "status": "available",
    }
    if args.inputs.get("manageMasterUserPassword"):
        out["masterUserSecrets"] = [
            {
                "secretArn": _arn(ctx, "secretsmanager", f"secret:rds!db-{_uid(args, 8)}-{_uid(args, 6)}"),
                "kmsKeyId": args.inputs.get("masterUserSecretKmsKeyId", ""),
                "secretStatus": "active",
            }
        ]
    return out


@resource("aws:elasticache/replicationGroup:ReplicationGroup")
def _replication_group(args, ctx: MockContext) -> dict[str, Any]:
    rg = _autoname(args, key="replicationGroupId")
    suffix = _uid(args, 6)
    n = int(args.inputs.get("numCacheClusters") or 1)
    return {
        "id": rg,
        "replicationGroupId": rg,
        "arn": _arn(ctx, "elasticache", f"replicationgroup:{rg}"),
        "primaryEndpointAddress": f"master.{rg}.{suffix}.use1.cache.amazonaws.com",
        "readerEndpointAddress": f"replica.{rg}.{suffix}.use1.cache.amazonaws.com",
        "memberClusters": [f"{rg}-{i + 1:03d}" for i in range(n)],
        "engineVersionActual": str(args.inputs.get("engineVersion") or "7.1") + ".0",
    }


@resource("aws:msk/configuration:Configuration")
def _msk_configuration(args, ctx: MockContext) -> dict[str, Any]:
    name = _autoname(args)
    arn = _arn(ctx, "kafka", f"configuration/{name}/{_uid(args, 8)}-{_uid(args, 4)}")
    return {"id": arn, "arn": arn, "name": name, "latestRevision": 1}


@resource("aws:msk/cluster:Cluster")
def _msk_cluster(args, ctx: MockContext) -> dict[str, Any]:
    name = _autoname(args, key="clusterName")
    arn = _arn(ctx, "kafka", f"cluster/{name}/{_uid(args, 8)}-{_uid(args, 4)}-1")
    brokers = int(args.inputs.get("numberOfBrokerNodes") or 3)
    host = lambda i: f"b-{i + 1}.{name}.{_uid(args, 6)}.c2.kafka.{ctx.region}.amazonaws.com"  # noqa: E731
    hosts = lambda port: ",".join(f"{host(i)}:{port}" for i in range(brokers))  # noqa: E731
    return {
        "id": arn,
        "arn": arn,
        "clusterName": name,
        "clusterUuid": f"{_uid(args, 8)}-{_uid(args, 4)}-1",
        "currentVersion": f"K{_uid(args, 13).upper()}",
        "bootstrapBrokersTls": hosts(9094),
        "bootstrapBrokersSaslIam": hosts(9098),
        "bootstrapBrokersSaslScram": hosts(9096),
        "zookeeperConnectStringTls": ",".join(f"z-{i + 1}.{name}.{_uid(args, 6)}.c2.kafka.{ctx.region}.amazonaws.com:2182" for i in range(3)),
    }


@resource("aws:s3/bucket:Bucket")
def _bucket(args, ctx: MockContext) -> dict[str, Any]:
    prefix = args.inputs.get("bucketPrefix")
    bucket = args.inputs.get("bucket") or (f"{prefix}{_uid(args, 26)}" if prefix else f"{args.name}-{_uid(args, 7)}")
    return {
        "id": bucket,
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{ctx.region}.amazonaws.com",
        "hostedZoneId": "Z3AQBSTGFYJSTF",
        "region": ctx.region,
    }
