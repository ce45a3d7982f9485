"""Helpers for the remediation tests: a hand-written workspace (config + minimal state) for resources
made with boto3 on the moto server, and small readers of live state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from driftdeck.core.aws import AwsContext
from driftdeck.core.model import ResourceResult
from driftdeck.core.scan.run import ScanOptions, run_scan

PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'


def write_state(path: Path, resources: list[tuple[str, str, dict[str, Any]]]) -> Path:
    """State v4 with (type, name, attributes) per resource. Attributes left out are not compared."""
    doc = {
        "version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "driftdeck-remediation-tests",
        "outputs": {},
        "resources": [
            {"mode": "managed", "type": t, "name": n, "provider": PROVIDER,
             "instances": [{"schema_version": 0, "attributes": a, "sensitive_attributes": []}]}
            for t, n, a in resources
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    return path


def scan(path: Path, *, unmanaged: bool = False) -> dict[str, ResourceResult]:
    report = run_scan(ScanOptions(path=path, detect_unmanaged=unmanaged), ctx=AwsContext())
    return {r.key: r for r in report.resources}


def bucket_tags(bucket: str) -> dict[str, str]:
    tagset = boto3.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"]
    return {t["Key"]: t["Value"] for t in tagset}


def queue_attribute(url: str, name: str) -> str:
    return str(boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[name])["Attributes"][name])


def queue_workspace(root: Path) -> tuple[Path, str]:
    """A queue `dd-jobs` made with boto3, its config (with a comment) and its state."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="dd-jobs", Attributes={"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600"},
                           tags={"Env": "prod"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    root.mkdir(parents=True)
    (root / "queues.tf").write_text(
        'resource "aws_sqs_queue" "jobs" {\n'
        '  name = "dd-jobs"\n'
        "  # consumers need 30 s to process a message\n"
        "  visibility_timeout_seconds = 30\n"
        '  tags = { Env = "prod" }\n'
        "}\n"
    )
    write_state(root / "terraform.tfstate", [
        ("aws_sqs_queue", "jobs", {"id": url, "url": url, "name": "dd-jobs", "arn": arn, "visibility_timeout_seconds": 30,
                                   "message_retention_seconds": 345600, "delay_seconds": 0,
                                   "tags": {"Env": "prod"}, "tags_all": {"Env": "prod"}}),
    ])
    return root, url
