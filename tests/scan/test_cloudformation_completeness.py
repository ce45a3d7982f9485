"""Nothing in a stack is silently left out, and a state file given by name is never read as a template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from driftdeck.core.model import Status
from driftdeck.core.scan.run import ScanOptions, run_scan
from driftdeck.tui.cli import main

MIXED = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: mixed-jobs
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: mixed-bucket
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: mixed-table
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
"""


def test_a_stack_resource_of_an_unsupported_type_is_unknown_not_dropped(aws_env: Any, tmp_path: Path) -> None:
    boto3.client("cloudformation").create_stack(StackName="mixed", TemplateBody=MIXED)
    (tmp_path / "mixed.yaml").write_text(MIXED)
    report = run_scan(ScanOptions(path=tmp_path, detect_unmanaged=False))
    by_address = {r.address: r for r in report.resources}
    assert set(by_address) == {"cfn:mixed/Jobs", "cfn:mixed/Bucket", "cfn:mixed/Table"}
    table = by_address["cfn:mixed/Table"]
    assert table.status is Status.UNKNOWN and table.type == "AWS::DynamoDB::Table"
    assert table.reason is not None and "AWS::DynamoDB::Table" in table.reason and "not checked" in table.reason
    assert table.id == "mixed-table"
    assert report.summary()["coverage_pct"] == 66  # 2 of 3 checked, not "100%"
    assert report.exit_code() == 3


def test_scan_of_a_state_file_by_name_does_not_read_it_as_a_template(
    aws_env: Any, tmp_path: Path, capsys: Any
) -> None:
    url = boto3.client("sqs").create_queue(QueueName="solo")["QueueUrl"]
    # A state that holds a CloudFormation template as an attribute looks like a template by content.
    state = tmp_path / "prod.tfstate"
    state.write_text(json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": [
        {"mode": "managed", "type": "aws_sqs_queue", "name": "solo", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"id": url, "name": "solo", "url": url}}]},
        {"mode": "managed", "type": "aws_cloudformation_stack", "name": "s", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"id": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1", "name": "s",
                                       "template_body": MIXED}}]},
    ]}))
    code = main(["scan", str(state), "--no-audit", "--reader", "native", "--no-unmanaged"])
    captured = capsys.readouterr()
    assert code == 3, captured.err  # the stack resource is unsupported natively: unknown, not "could not run"
    assert "aws_sqs_queue.solo" not in captured.err and "template" not in captured.err
