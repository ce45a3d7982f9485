"""The demo's CloudTrail: records in CloudTrail's own shape for the changes the demo actors make.

moto keeps no trail, so each actor's change is also written as the record CloudTrail would deliver
for it (same resource names, ids and times as the real call against the emulator), into a folder
laid out like a trail's S3 bucket. The demo's scans read that folder through the real attribution
engine (`ScanOptions(cloudtrail=...)`), exactly as they would read a real trail.
"""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"  # moto's account
REGION = "us-east-1"
TRAIL_DIR = "cloudtrail"

# User agents as CloudTrail records them for each way of calling AWS.
UA_CONSOLE = "AWS Internal"
UA_CLI = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/{command}"
UA_BOTO3 = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.7 Botocore/1.34.0"
UA_TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.11.0 (+https://www.terraform.io) terraform-provider-aws/5.100.0 "
    "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.36.3 os/linux lang/go#1.23.7"
)


def now() -> datetime:
    """CloudTrail event times are whole seconds."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----- identities ---------------------------------------------------------------------------------------
def iam_user(name: str, access_key: str, *, console: bool = False) -> dict[str, Any]:
    """An IAM user; console sign-ins carry a temporary key and a session context."""
    identity: dict[str, Any] = {
        "type": "IAMUser",
        "principalId": f"AIDA{name.upper():X<17}"[:21],
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "accessKeyId": access_key,
        "userName": name,
    }
    if console:
        identity["sessionContext"] = {
            "sessionIssuer": {},
            "webIdFederationData": {},
            "attributes": {"creationDate": iso(now()), "mfaAuthenticated": "true"},
        }
    return identity


def assumed_role(role_arn: str, role_id: str, session: str, access_key: str, created: datetime) -> dict[str, Any]:
    """A role session: who it is comes from the AssumeRole record that issued `access_key`."""
    role = role_arn.rsplit("/", 1)[-1]
    return {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": access_key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role", "principalId": role_id, "arn": role_arn, "accountId": ACCOUNT, "userName": role,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": iso(created), "mfaAuthenticated": "false"},
        },
    }


def aws_service(service: str) -> dict[str, Any]:
    return {"type": "AWSService", "invokedBy": service}


# ----- records ------------------------------------------------------------------------------------------
def record(
    name: str,
    service: str,
    identity: dict[str, Any],
    *,
    when: datetime,
    params: dict[str, Any] | None,
    response: dict[str, Any] | None = None,
    ua: str,
    ip: str,
    read_only: bool = False,
) -> dict[str, Any]:
    """One management event as CloudTrail writes it."""
    return {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": iso(when),
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
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


def assume_role_record(
    caller: dict[str, Any], response: dict[str, Any], params: dict[str, Any], *, when: datetime, ua: str, ip: str
) -> dict[str, Any]:
    """An sts:AssumeRole record from boto3's real response (CloudTrail logs the issued key id)."""
    creds = response["Credentials"]
    expiration = creds["Expiration"]
    elements = {
        "credentials": {
            "accessKeyId": creds["AccessKeyId"],
            "sessionToken": creds["SessionToken"],
            "expiration": expiration.strftime("%b %d, %Y, %I:%M:%S %p") if isinstance(expiration, datetime) else str(expiration),
        },
        "assumedRoleUser": {
            "assumedRoleId": response["AssumedRoleUser"]["AssumedRoleId"],
            "arn": response["AssumedRoleUser"]["Arn"],
        },
    }
    return record("AssumeRole", "sts", caller, when=when, params=params, response=elements, ua=ua, ip=ip,
                  read_only=True)


# ----- the folder ---------------------------------------------------------------------------------------
def trail_dir(workspace: Path) -> Path:
    return workspace / TRAIL_DIR


class Trail:
    """Writes delivery files the way a trail lays them out:
    `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<stamp>_<id>.json.gz`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def deliver(self, records: list[dict[str, Any]]) -> Path | None:
        """One file holding `records` (none: nothing written); returns its path."""
        if not records:
            return None
        when = now()
        folder = self.root / "AWSLogs" / ACCOUNT / "CloudTrail" / REGION / f"{when:%Y/%m/%d}"
        name = f"{ACCOUNT}_CloudTrail_{REGION}_{when:%Y%m%dT%H%MZ}_{uuid.uuid4().hex[:16]}.json.gz"
        path = folder / name
        data = gzip.compress(json.dumps({"Records": records}).encode())
        with self._lock:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)  # a reader never sees half a file
        return path
