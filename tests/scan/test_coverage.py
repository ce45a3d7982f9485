"""Coverage = managed resources in scope that were checked / managed resources in scope: ignored
resources are listed as ignored (never as covered) and unmanaged findings never raise it."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from driftdeck.core.aws import AwsContext
from driftdeck.core.outputs.report import render_text, report_to_json
from driftdeck.core.scan.run import ScanOptions, run_scan

AWS = 'provider["registry.terraform.io/hashicorp/aws"]'


def _estate(tmp_path: Path, queue_urls: list[str]) -> None:
    queues = [{"mode": "managed", "type": "aws_sqs_queue", "name": f"q{i}", "provider": AWS,
               "instances": [{"attributes": {"id": url, "name": url.rsplit("/", 1)[1]}}]} for i, url in enumerate(queue_urls)]
    functions = [{"mode": "managed", "type": "aws_lambda_function", "name": f"fn{i}", "provider": AWS,
                  "instances": [{"attributes": {"id": f"fn{i}", "function_name": f"fn{i}"}}]} for i in range(3)]
    (tmp_path / "terraform.tfstate").write_text(json.dumps(
        {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l", "resources": queues + functions}))


def test_ignored_unsupported_resources_are_not_coverage(aws_env, tmp_path: Path) -> None:
    sqs = boto3.client("sqs")
    urls = [sqs.create_queue(QueueName=f"cov-{i}")["QueueUrl"] for i in range(10)]
    sqs.create_queue(QueueName="stray")  # unmanaged: must not raise coverage either
    _estate(tmp_path, urls)  # 13 managed: 10 queues (read natively), 3 functions (unsupported natively)
    (tmp_path / ".driftignore").write_text("aws_lambda_function.*\n")
    report = run_scan(ScanOptions(path=tmp_path, cloudformation="off", reader="native", unmanaged_types=("aws_sqs_queue",)),
                      ctx=AwsContext())
    summary = report.summary()
    assert summary["unmanaged"] == 1 and summary["ignored"] == 3
    assert summary["coverage_pct"] == 10 * 100 // 13  # 76, not 100
    doc = report_to_json(report)
    ignored = sorted(r["address"] for r in doc["resources"] if r.get("ignored"))
    assert ignored == ["aws_lambda_function.fn0", "aws_lambda_function.fn1", "aws_lambda_function.fn2"]
    assert "3 ignored (coverage 76%)" in render_text(report)
    assert report.exit_code() == 1  # the stray queue; ignored resources are never drift


def test_unmanaged_rows_do_not_raise_coverage(aws_env, tmp_path: Path) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="only")["QueueUrl"]
    for i in range(5):
        sqs.create_queue(QueueName=f"stray-{i}")
    _estate(tmp_path, [url])  # 4 managed: 1 queue checked, 3 functions unknown
    report = run_scan(ScanOptions(path=tmp_path, cloudformation="off", reader="native", unmanaged_types=("aws_sqs_queue",)),
                      ctx=AwsContext())
    assert report.summary()["unmanaged"] == 5
    assert report.summary()["coverage_pct"] == 25  # 1 of 4 managed; the 5 unmanaged rows change nothing
