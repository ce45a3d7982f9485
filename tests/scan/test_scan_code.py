"""The code side of a scan: source positions from the .tf files and `pending` for unapplied edits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.model import DesiredResource, SourceRef, Status
from driftdeck.core.scan.run import ScanOptions, run_scan

MAIN_TF = """\
# queues for the job runner
resource "aws_sqs_queue" "jobs" {
  name                       = "jobs"
  visibility_timeout_seconds = 30
}
"""


def _state_from_live(url: str) -> dict[str, Any]:
    """A state whose attributes are what the collector reads live (as terraform would refresh them)."""
    collector = collector_for("aws_sqs_queue")
    assert collector is not None
    probe = DesiredResource("aws_sqs_queue.jobs", "aws_sqs_queue", url, {"id": url}, SourceRef(kind="terraform"))
    (outcome,) = collector.read(AwsContext(), "us-east-1", [probe])
    assert outcome.live is not None
    attrs = {**outcome.live.attributes, "id": url, "url": url, "tags_all": outcome.live.attributes.get("tags") or {}}
    return {"version": 4, "terraform_version": "1.11.4", "serial": 3, "lineage": "demo", "resources": [
        {"mode": "managed", "type": "aws_sqs_queue", "name": "jobs",
         "provider": 'provider["registry.terraform.io/hashicorp/aws"]', "instances": [{"attributes": attrs}]}]}


def test_positions_and_pending_edits(aws_env: Any, tmp_path: Path) -> None:
    url = boto3.client("sqs").create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    (tmp_path / "terraform.tfstate").write_text(json.dumps(_state_from_live(url)))
    (tmp_path / "main.tf").write_text(MAIN_TF)
    options = ScanOptions(path=tmp_path, cloudformation="off")

    clean = run_scan(options)
    (jobs,) = [r for r in clean.resources if r.address == "aws_sqs_queue.jobs"]
    assert jobs.status is Status.IN_SYNC, jobs.differences
    assert jobs.source is not None and (jobs.source.file, jobs.source.line) == (str(tmp_path / "main.tf"), 2)

    (tmp_path / "main.tf").write_text(
        MAIN_TF.replace("= 30", "= 60") + 'resource "aws_sqs_queue" "audit" {\n  name = "audit"\n}\n'
    )
    edited = run_scan(options)
    by_addr = {r.address: r for r in edited.resources}
    jobs = by_addr["aws_sqs_queue.jobs"]
    assert jobs.status is Status.PENDING and jobs.reason == "code edited, not applied yet"
    (diff,) = jobs.differences
    assert (diff.path, diff.expected, diff.actual, diff.side) == ("visibility_timeout_seconds", 60, 30, "code")
    audit = by_addr["aws_sqs_queue.audit"]
    assert audit.status is Status.PENDING and audit.source is not None and audit.source.line == 6
    assert edited.exit_code() == 1

    # Live drift outranks pending: the resource is `changed`, the code difference stays listed.
    boto3.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "90"})
    both = {r.address: r for r in run_scan(options).resources}["aws_sqs_queue.jobs"]
    assert both.status is Status.CHANGED
    assert {(d.path, d.side) for d in both.differences} == {("visibility_timeout_seconds", "live"), ("visibility_timeout_seconds", "code")}


def test_broken_code_costs_only_pending(aws_env: Any, tmp_path: Path) -> None:
    url = boto3.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    (tmp_path / "terraform.tfstate").write_text(json.dumps(_state_from_live(url)))
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "jobs" {\n  name = \n')
    report = run_scan(ScanOptions(path=tmp_path, cloudformation="off"))
    (jobs,) = [r for r in report.resources if r.address == "aws_sqs_queue.jobs"]
    assert jobs.status is Status.IN_SYNC
    assert any("code not evaluated" in w and "main.tf" in w for w in report.warnings)


CODE_ONLY_TF = """\
variable "env" {
  default = "prod"
}

resource "aws_s3_bucket" "logs" {
  bucket = "acme-${var.env}-logs"
  tags   = { Env = var.env }
}

resource "aws_sqs_queue" "jobs" {
  name                       = "jobs"
  visibility_timeout_seconds = 60
}

resource "aws_s3_bucket" "gone" {
  bucket = "acme-${var.env}-gone"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
"""


def test_code_only_compares_code_to_live_by_name(aws_env: Any, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="acme-prod-logs")
    s3.put_bucket_tagging(Bucket="acme-prod-logs", Tagging={"TagSet": [{"Key": "Env", "Value": "prod"}]})
    s3.create_bucket(Bucket="someone-elses")
    boto3.client("sqs").create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"})
    (tmp_path / "main.tf").write_text(CODE_ONLY_TF)

    report = run_scan(ScanOptions(path=tmp_path, cloudformation="off"))
    by_addr = {r.address: r for r in report.resources if r.address}
    assert by_addr["aws_s3_bucket.logs"].status is Status.IN_SYNC, by_addr["aws_s3_bucket.logs"].differences
    assert by_addr["aws_s3_bucket.logs"].source.line == 5  # type: ignore[union-attr]
    jobs = by_addr["aws_sqs_queue.jobs"]
    assert jobs.status is Status.CHANGED
    assert [(d.path, str(d.expected), str(d.actual)) for d in jobs.differences] == [("visibility_timeout_seconds", "60", "30")]
    assert by_addr["aws_s3_bucket.gone"].status is Status.MISSING and "acme-prod-gone" in (by_addr["aws_s3_bucket.gone"].reason or "")
    assert by_addr["aws_vpc.main"].status is Status.UNKNOWN
    unmanaged = {r.id for r in report.resources if r.status is Status.UNMANAGED and r.type == "aws_s3_bucket"}
    assert unmanaged == {"someone-elses"}
    assert any("comparing the code to live" in w for w in report.warnings)
