"""Build CloudTrail records the way CloudTrail writes them, for changes the tests really make."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
ORG = "o-abc123def4"
REGION = "us-east-1"

UA_CLI = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3api.put-bucket-tagging"
UA_CONSOLE = "AWS Internal"
UA_TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.11.0 (+https://www.terraform.io) terraform-provider-aws/5.100.0 "
    "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.36.3 os/linux lang/go#1.23.7"
)
UA_BOTO3 = (
    "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.7 Botocore/1.34.0"
)


def now() -> datetime:
    """Event times are whole seconds in CloudTrail."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iam_user(name: str, key: str = "AKIAEXAMPLEUSERKEY01") -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": f"AIDA{name.upper():0<16}"[:21],
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "accessKeyId": key,
        "userName": name,
    }


def root() -> dict[str, Any]:
    return {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
    }


def assumed(role: str, session: str, key: str, *, source_identity: str | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROAEXAMPLEROLEID",
            "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
            "accountId": ACCOUNT,
            "userName": role,
        },
        "attributes": {"creationDate": iso(now()), "mfaAuthenticated": "false"},
    }
    if source_identity:
        context["sourceIdentity"] = source_identity
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEROLEID:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": key,
        "sessionContext": context,
    }


def web_identity_user(subject: str, provider: str = "token.actions.githubusercontent.com") -> dict[str, Any]:
    return {
        "type": "WebIdentityUser",
        "principalId": f"{provider}:{subject}",
        "userName": subject,
        "identityProvider": provider,
    }


def record(
    name: str,
    service: str,
    identity: dict[str, Any],
    *,
    when: datetime,
    params: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    ua: str = UA_CLI,
    ip: str = "203.0.113.10",
    region: str = REGION,
    error: str | None = None,
    read_only: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": iso(when),
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": ua,
        "requestParameters": params,
        "responseElements": response,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    if error:
        out["errorCode"] = error
        out["errorMessage"] = f"{error} for {name}"
    return out


def sts_session_record(
    name: str,
    caller: dict[str, Any],
    response: dict[str, Any],
    params: dict[str, Any],
    *,
    when: datetime,
    ua: str,
) -> dict[str, Any]:
    """An AssumeRole* record from boto3's real response (credentials included, as CloudTrail logs them)."""
    creds = response["Credentials"]
    elements = {
        "credentials": {
            "accessKeyId": creds["AccessKeyId"],
            "sessionToken": creds["SessionToken"],
            "expiration": creds["Expiration"].strftime("%b %d, %Y, %I:%M:%S %p"),
        },
        "assumedRoleUser": {
            "assumedRoleId": response["AssumedRoleUser"]["AssumedRoleId"],
            "arn": response["AssumedRoleUser"]["Arn"],
        },
    }
    return record(name, "sts", caller, when=when, params=params, response=elements, ua=ua, read_only=True)


def trail_key(when: datetime, *, org: str | None = None, region: str = REGION, prefix: str = "") -> str:
    middle = f"{org}/{ACCOUNT}" if org else ACCOUNT
    stamp = when.strftime("%Y%m%dT%H%MZ")
    return (
        f"{prefix}AWSLogs/{middle}/CloudTrail/{region}/{when:%Y/%m/%d}/"
        f"{ACCOUNT}_CloudTrail_{region}_{stamp}_{uuid.uuid4().hex[:16]}.json.gz"
    )


def gz_records(records: list[dict[str, Any]]) -> bytes:
    return gzip.compress(json.dumps({"Records": records}).encode())
