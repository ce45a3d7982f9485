"""The committed reference state (written by real Terraform, see regen.sh) read without terraform:
attribute names are the provider's own, and the same objects recreated with boto3 scan in sync."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from repo_paths import FIXTURES
from s3sqssns_support import session_for

from driftdeck.core.aws import AwsContext
from driftdeck.core.inputs.tfstate import parse_state
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.live.collectors.sqs import canonical_redrive
from driftdeck.core.model import Status
from driftdeck.core.scan.run import ScanOptions, run_scan

REFERENCE = FIXTURES / "terraform" / "s3_sqs_sns" / "reference.tfstate"
MY_TYPES = (
    "aws_s3_bucket",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_sqs_queue",
    "aws_sns_topic",
)


def reference_resources() -> dict[str, dict[str, Any]]:
    state = parse_state(REFERENCE.read_text(), str(REFERENCE))
    return {r.address: r.attributes for r in state.resources}


@pytest.mark.parametrize("rtype", MY_TYPES)
def test_checked_attributes_are_the_providers_own_names(rtype: str) -> None:
    collector = collector_for(rtype)
    assert collector is not None
    instances = [a for addr, a in reference_resources().items() if addr.startswith(rtype + ".")]
    assert instances, f"reference state has no {rtype}"
    for attrs in instances:
        missing = set(collector.checked_attributes) - set(attrs)
        assert not missing, f"{rtype}: not in hashicorp/aws 5.100.0 state: {sorted(missing)}"


def test_redrive_policy_spellings_are_one_fact() -> None:
    a = canonical_redrive('{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:d", "maxReceiveCount": 4}')
    b = canonical_redrive('{"maxReceiveCount":"4","deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:d"}')
    assert a == b
    assert canonical_redrive('{"maxReceiveCount":"5","deadLetterTargetArn":"x"}') != a


def _recreate(session: Any, res: dict[str, dict[str, Any]]) -> None:
    """What main.tf asks for, done with boto3, taking the values from the reference state."""
    s3, sqs, sns = (session.client(s) for s in ("s3", "sqs", "sns"))
    for addr, a in res.items():
        if addr.startswith("aws_s3_bucket."):
            s3.create_bucket(Bucket=a["bucket"])
            s3.put_bucket_tagging(
                Bucket=a["bucket"], Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in a["tags_all"].items()]}
            )
    for addr, a in res.items():
        b = a.get("bucket")
        if addr.startswith("aws_s3_bucket_versioning."):
            s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": a["versioning_configuration"][0]["status"]})
        elif addr.startswith("aws_s3_bucket_public_access_block."):
            s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
                "BlockPublicAcls": a["block_public_acls"], "IgnorePublicAcls": a["ignore_public_acls"],
                "BlockPublicPolicy": a["block_public_policy"], "RestrictPublicBuckets": a["restrict_public_buckets"]})
        elif addr.startswith("aws_s3_bucket_policy."):
            s3.put_bucket_policy(Bucket=b, Policy=a["policy"])
        elif addr.startswith("aws_s3_bucket_server_side_encryption_configuration."):
            rule = a["rule"][0]
            default = rule["apply_server_side_encryption_by_default"][0]
            by_default = {"SSEAlgorithm": default["sse_algorithm"]}
            if default["kms_master_key_id"]:
                by_default["KMSMasterKeyID"] = default["kms_master_key_id"]
            s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": rule["bucket_key_enabled"]}]})
        elif addr.startswith("aws_sqs_queue."):
            attributes = {
                "VisibilityTimeout": str(a["visibility_timeout_seconds"]),
                "DelaySeconds": str(a["delay_seconds"]),
                "ReceiveMessageWaitTimeSeconds": str(a["receive_wait_time_seconds"]),
                "MessageRetentionPeriod": str(a["message_retention_seconds"]),
                # The provider always sends its 256 KiB default; moto's own default is now 1 MiB.
                "MaximumMessageSize": str(a["max_message_size"]),
            }
            if a["fifo_queue"]:
                attributes.update(FifoQueue="true", ContentBasedDeduplication=str(a["content_based_deduplication"]).lower())
            if a["redrive_policy"]:
                attributes["RedrivePolicy"] = a["redrive_policy"]
            sqs.create_queue(QueueName=a["name"], Attributes=attributes, tags=a["tags_all"])
        elif addr.startswith("aws_sns_topic."):
            attributes = {"DisplayName": a["display_name"]} if a["display_name"] else {}
            if a["fifo_topic"]:
                attributes.update(FifoTopic="true", ContentBasedDeduplication=str(a["content_based_deduplication"]).lower())
            sns.create_topic(Name=a["name"], Attributes=attributes,
                             Tags=[{"Key": k, "Value": v} for k, v in a["tags_all"].items()])


def test_reference_state_scans_in_sync_against_the_same_objects_made_with_boto3(moto_server: Any, tmp_path: Path) -> None:
    moto_server.reset()
    # Queue URLs carry the endpoint Terraform used when regen.sh ran; point them at this server.
    text = re.sub(r"http://127\.0\.0\.1:\d+", moto_server.url, REFERENCE.read_text())
    iac = tmp_path / "iac"
    iac.mkdir()
    (iac / "terraform.tfstate").write_text(text)
    session = session_for(moto_server.url, tmp_path)
    doc = json.loads(text)
    _recreate(session, {
        f"{r['type']}.{r['name']}": r["instances"][0]["attributes"] for r in doc["resources"] if r["mode"] == "managed"
    })
    report = run_scan(ScanOptions(path=iac), ctx=AwsContext(session))
    wrong = [(r.address or r.id, r.status, r.reason, [d.to_json() for d in r.differences])
             for r in report.resources if r.status is not Status.IN_SYNC]
    assert not wrong
    assert {r.type for r in report.resources} == set(MY_TYPES)
    assert report.exit_code() == 0


def test_importing_one_service_module_first_does_not_hide_the_others() -> None:
    """Regression: the registry once loaded lazily only while empty, so importing sqs.py directly
    left every S3 type "unsupported"."""
    import subprocess
    import sys

    code = (
        "import driftdeck.core.live.collectors.sqs\n"
        "from driftdeck.core.live.collectors import collector_for\n"
        "assert collector_for('aws_s3_bucket') is not None\n"
        "assert collector_for('aws_sns_topic') is not None\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
