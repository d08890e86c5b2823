"""Helpers for the account tools' tests: the demo fleet's target account and AWS errors in wire format."""

from __future__ import annotations

import json

import boto3

from blueprints.sites import load_sites

REGION = "us-east-1"
TARGET_ACCOUNT = "210000000001"
"""The account of the demo fleet's us-east-1-prod pool, where payments-prod deploys."""
HUB_ACCOUNT = next(hub.account_id for dc, hub in load_sites().hubs() if dc.name == REGION)
"""The account of the demo fleet's us-east-1 hub, where team attachments are accepted."""
DEPLOY_ROLE = "cloud-blueprints-deployer"
SCOPE = f"{TARGET_ACCOUNT}/{REGION}"
HUB_SCOPE = f"{HUB_ACCOUNT}/{REGION}"


def session_in(account: str) -> boto3.session.Session:
    """Credentials in another account, as moto hands them out for an assumed role."""
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/test-setup", RoleSessionName="test-setup")["Credentials"]
    return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"], region_name=REGION)


def aws_error(code: str, message: str = "injected", json_protocol: bool = False) -> bytes:
    """An error body in the query/XML protocols' shape (EC2 answers with <Response><Errors>), or in the JSON
    protocol's (KMS, Service Quotas: `__type`)."""
    if json_protocol:
        return json.dumps({"__type": code, "message": message}).encode()
    return (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>injected</RequestID></Response>").encode()
