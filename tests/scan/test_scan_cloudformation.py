"""CloudFormation through the same scan: stacks matched to templates are compared with
CloudFormation property paths, other stacks only claim ownership, Terraform + stack = double ownership."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from driftdeck.core.model import Status
from driftdeck.core.scan.run import ScanOptions, run_scan

APP = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: app-jobs
      VisibilityTimeout: 45
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: app-alerts
"""
OTHER = """\
Resources:
  Scratch:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: other-scratch
"""


def _deploy(name: str, body: str) -> None:
    boto3.client("cloudformation").create_stack(StackName=name, TemplateBody=body)


def test_stack_drift_and_ownership_in_one_scan(aws_env: Any, tmp_path: Path) -> None:
    _deploy("app", APP)
    _deploy("other", OTHER)
    (tmp_path / "app.yaml").write_text(APP)
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName="app-jobs")["QueueUrl"]

    clean = run_scan(ScanOptions(path=tmp_path))
    by_addr = {r.address: r for r in clean.resources if r.address}
    assert by_addr["cfn:app/Jobs"].status is Status.IN_SYNC, by_addr["cfn:app/Jobs"].differences
    assert by_addr["cfn:app/Alerts"].status is Status.IN_SYNC
    assert by_addr["cfn:app/Jobs"].source is not None and by_addr["cfn:app/Jobs"].source.line == 3
    assert by_addr["cfn:app/Jobs"].source.stack == "app" and by_addr["cfn:app/Jobs"].source.logical_id == "Jobs"
    # The other stack is not compared (no template here) but its queue is owned, never unmanaged.
    unmanaged = {r.id for r in clean.resources if r.status is Status.UNMANAGED}
    assert not any("other-scratch" in u for u in unmanaged)
    assert [s.kind for s in clean.sources] == ["cloudformation"]

    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "300"})
    drifted = run_scan(ScanOptions(path=tmp_path))
    jobs = next(r for r in drifted.resources if r.address == "cfn:app/Jobs")
    assert jobs.status is Status.CHANGED
    (diff,) = jobs.differences
    assert (diff.path, str(diff.expected), str(diff.actual)) == ("/Properties/VisibilityTimeout", "45", "300")
    assert drifted.exit_code() == 1


def test_resource_in_terraform_state_and_stack_is_flagged(aws_env: Any, tmp_path: Path) -> None:
    _deploy("app", APP)
    url = boto3.client("sqs").get_queue_url(QueueName="app-jobs")["QueueUrl"]
    state = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": [
        {"mode": "managed", "type": "aws_sqs_queue", "name": "jobs",
         "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"id": url, "name": "app-jobs", "url": url}}]}]}
    (tmp_path / "terraform.tfstate").write_text(json.dumps(state))
    report = run_scan(ScanOptions(path=tmp_path))
    assert any("double ownership" in w and "aws_sqs_queue.jobs" in w and "stack app" in w for w in report.warnings)


def test_cloudformation_off_skips_stacks(aws_env: Any, tmp_path: Path) -> None:
    _deploy("other", OTHER)
    (tmp_path / "terraform.tfstate").write_text(json.dumps({"version": 4, "resources": []}))
    report = run_scan(ScanOptions(path=tmp_path, cloudformation="off"))
    assert any(r.status is Status.UNMANAGED and "other-scratch" in r.id for r in report.resources)
