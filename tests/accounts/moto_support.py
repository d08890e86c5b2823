"""Helpers for the account tools' tests: the demo fleet's target account and AWS errors in wire format."""

from __future__ import annotations

import boto3

REGION = "us-east-1"
TARGET_ACCOUNT = "210000000001"
"""The account of the demo fleet's us-east-1-prod pool, where payments-prod deploys."""
DEPLOY_ROLE = "cloud-blueprints-deployer"


def session_in(account: str) -> boto3.session.Session:
    """Credentials in another account, as moto hands them out for an assumed role."""
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/test-setup", RoleSessionName="test-setup")["Credentials"]
    return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"], region_name=REGION)


def aws_error(code: str, message: str = "injected") -> bytes:
    """An error body in the query/XML protocols' shape (EC2 answers with <Response><Errors>)."""
    return (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>injected</RequestID></Response>").encode()
