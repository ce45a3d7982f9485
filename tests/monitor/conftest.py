"""A small S3/SQS estate on the moto server (state from the committed reference, objects made with
boto3), a real HTTP alert receiver (tests/alert_receiver.py), and an isolated driftdeck config dir (audit key, config)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from alert_receiver import receiver  # noqa: F401 - a fixture
from repo_paths import FIXTURES

REFERENCE = FIXTURES / "terraform" / "s3_sqs_sns" / "reference.tfstate"
ESTATE = (
    "aws_s3_bucket.data",
    "aws_s3_bucket_versioning.data",
    "aws_s3_bucket_public_access_block.data",
    "aws_s3_bucket_policy.data",
    "aws_s3_bucket_server_side_encryption_configuration.data",
    "aws_sqs_queue.dlq",
)
MAIN_TF = """\
resource "aws_s3_bucket" "data" {
  bucket = "dd-data"
  tags   = { Env = "prod", Team = "platform" }
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration { status = "Enabled" }
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AllowAccountRead"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:root" }
      Action    = ["s3:GetObject", "s3:ListBucket"]
      Resource  = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]
    }]
  })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default { sse_algorithm = "AES256" }
  }
}

resource "aws_sqs_queue" "dlq" {
  name = "dd-jobs-dlq"
}
"""


@dataclass
class Estate:
    workspace: Path
    config_dir: Path
    endpoint: str

    def client(self, service: str) -> Any:
        return boto3.client(service)

    @property
    def queue_url(self) -> str:
        return str(self.client("sqs").get_queue_url(QueueName="dd-jobs-dlq")["QueueUrl"])


def _recreate(res: dict[str, dict[str, Any]]) -> None:
    """What the reference state records, made with boto3 (as terraform apply would have)."""
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    a = res["aws_s3_bucket.data"]
    s3.create_bucket(Bucket=a["bucket"])
    s3.put_bucket_tagging(Bucket=a["bucket"], Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in a["tags_all"].items()]})
    v = res["aws_s3_bucket_versioning.data"]
    s3.put_bucket_versioning(Bucket=v["bucket"], VersioningConfiguration={"Status": v["versioning_configuration"][0]["status"]})
    p = res["aws_s3_bucket_public_access_block.data"]
    s3.put_public_access_block(Bucket=p["bucket"], PublicAccessBlockConfiguration={
        "BlockPublicAcls": p["block_public_acls"], "IgnorePublicAcls": p["ignore_public_acls"],
        "BlockPublicPolicy": p["block_public_policy"], "RestrictPublicBuckets": p["restrict_public_buckets"]})
    pol = res["aws_s3_bucket_policy.data"]
    s3.put_bucket_policy(Bucket=pol["bucket"], Policy=pol["policy"])
    sse = res["aws_s3_bucket_server_side_encryption_configuration.data"]["rule"][0]
    default = sse["apply_server_side_encryption_by_default"][0]
    s3.put_bucket_encryption(Bucket=a["bucket"], ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default["sse_algorithm"]},
         "BucketKeyEnabled": sse["bucket_key_enabled"]}]})
    q = res["aws_sqs_queue.dlq"]
    sqs.create_queue(QueueName=q["name"], tags=q["tags_all"], Attributes={
        "VisibilityTimeout": str(q["visibility_timeout_seconds"]), "DelaySeconds": str(q["delay_seconds"]),
        "ReceiveMessageWaitTimeSeconds": str(q["receive_wait_time_seconds"]),
        "MessageRetentionPeriod": str(q["message_retention_seconds"]), "MaximumMessageSize": str(q["max_message_size"])})


@pytest.fixture()
def estate(aws_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Estate:
    """Workspace with terraform.tfstate + main.tf for six resources, all in sync on the moto server."""
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(config_dir))
    # Queue URLs carry the endpoint terraform used when the reference was written: point them here.
    text = re.sub(r"http://127\.0\.0\.1:\d+", aws_env.url, REFERENCE.read_text())
    doc = json.loads(text)
    doc["resources"] = [r for r in doc["resources"] if r["mode"] == "managed" and f"{r['type']}.{r['name']}" in ESTATE]
    workspace = tmp_path / "iac"
    workspace.mkdir()
    (workspace / "terraform.tfstate").write_text(json.dumps(doc, indent=2))
    (workspace / "main.tf").write_text(MAIN_TF)
    _recreate({f"{r['type']}.{r['name']}": r["instances"][0]["attributes"] for r in doc["resources"]})
    return Estate(workspace, config_dir, aws_env.url)
