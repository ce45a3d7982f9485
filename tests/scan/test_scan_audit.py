"""`driftdeck scan` appends to the audit log: scan.completed always, drift events only on transitions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from driftdeck.core.audit import AuditReader, verify_workspace
from driftdeck.tui.cli import main


def test_scan_records_transitions_once_and_the_chain_verifies(aws_env: Any, tmp_path: Path) -> None:
    url = boto3.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    state = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": [
        {"mode": "managed", "type": "aws_sqs_queue", "name": "jobs", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"id": url, "name": "jobs", "visibility_timeout_seconds": 30}}]}]}
    (tmp_path / "terraform.tfstate").write_text(json.dumps(state))
    args = ["scan", str(tmp_path), "--cloudformation", "off", "--format", "json", "-o", str(tmp_path / "r.json")]

    boto3.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99"})
    assert main(args) == 1
    assert main(args) == 1  # same drift again: no new drift event
    reader = AuditReader.for_workspace(tmp_path)
    kinds = [e.kind for e in reader.iter_entries()]
    assert kinds.count("scan.completed") == 2
    assert kinds.count("drift.detected") == 1

    boto3.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30"})
    assert main(args) == 0
    kinds = [e.kind for e in AuditReader.for_workspace(tmp_path).iter_entries()]
    assert kinds.count("drift.resolved") == 1
    assert verify_workspace(tmp_path).exit_code == 0

    assert main([*args, "--no-audit"]) == 0
    assert [e.kind for e in AuditReader.for_workspace(tmp_path).iter_entries()].count("scan.completed") == 3


def test_new_drift_is_linked_to_the_cloudtrail_event_that_explains_it(aws_env: Any, tmp_path: Path) -> None:
    import os
    import time
    from datetime import UTC, datetime, timedelta

    url = boto3.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    state = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": [
        {"mode": "managed", "type": "aws_sqs_queue", "name": "jobs", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"id": url, "name": "jobs", "visibility_timeout_seconds": 30}}]}]}
    state_file = tmp_path / "terraform.tfstate"
    state_file.write_text(json.dumps(state))
    an_hour_ago = time.time() - 3600
    os.utime(state_file, (an_hour_ago, an_hour_ago))

    boto3.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99"})
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    trail = tmp_path / "trail"
    trail.mkdir()
    (trail / "events.json").write_text(json.dumps({"Records": [
        {
            "eventVersion": "1.09", "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "userIdentity": {"type": "IAMUser", "principalId": "AIDAMALLORY", "accountId": "123456789012",
                             "arn": "arn:aws:iam::123456789012:user/mallory", "userName": "mallory",
                             "accessKeyId": "AKIAMALLORY"},
            "eventSource": "sqs.amazonaws.com", "eventName": "SetQueueAttributes", "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2.15.30 Python/3.11.8",
            "requestParameters": {"queueUrl": url, "attributes": {"VisibilityTimeout": "99"}},
            "responseElements": None, "eventID": "7d3c8a52-5d1b-4d56-9d2a-1f0b7c1e0001", "readOnly": False,
            "eventType": "AwsApiCall", "recipientAccountId": "123456789012",
        },
    ]}))
    args = ["scan", str(tmp_path), "--cloudformation", "off", "--cloudtrail", str(trail), "--format", "json",
            "-o", str(tmp_path / "r.json")]
    assert main(args) == 1
    (jobs,) = [r for r in json.loads((tmp_path / "r.json").read_text())["resources"] if r["address"] == "aws_sqs_queue.jobs"]
    assert jobs["attribution"][0]["actor"].endswith("mallory") and jobs["attribution"][0]["confidence"] == "exact"

    reader = AuditReader.for_workspace(tmp_path)
    (linked,) = list(reader.iter_entries(kinds=["cloud.change.attributed"]))
    (detected,) = list(reader.iter_entries(kinds=["drift.detected"]))
    assert linked.data["drift_event"] == f"{detected.seq}:{detected.hash}"
    assert linked.actor["principal"].endswith("mallory")
    full = reader.get(linked.seq)
    assert full is not None and full.after["eventName"] == "SetQueueAttributes"

    assert main(args) == 1  # the same drift again: attributed in the JSON, not re-recorded
    assert len(list(AuditReader.for_workspace(tmp_path).iter_entries(kinds=["cloud.change.attributed"]))) == 1
