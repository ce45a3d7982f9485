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
