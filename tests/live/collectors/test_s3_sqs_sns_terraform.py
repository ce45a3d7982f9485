"""S3/SQS/SNS collectors against state written by real Terraform (hashicorp/aws 5.100.0) on moto.

One apply per module: apply, settle with a refresh-only apply, scan clean, make out-of-band boto3
changes, scan again, and cross-check the verdicts with `terraform plan -refresh-only`'s
`resource_drift`. Skips cleanly where terraform or its provider mirror is absent.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from repo_paths import FIXTURES
from s3sqssns_support import changed_top_level, session_for, terraform

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.model import ChangeKind, ScanReport, Status
from driftdeck.core.scan.run import ScanOptions, run_scan

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

FIXTURE = FIXTURES / "terraform" / "s3_sqs_sns"
ACCOUNT = "123456789012"
MY_TYPES = {
    "aws_s3_bucket",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_sqs_queue",
    "aws_sns_topic",
}
DELETED = {
    "aws_s3_bucket.scratch",
    "aws_s3_bucket_versioning.scratch",
    "aws_s3_bucket_public_access_block.logs",
    "aws_s3_bucket_policy.logs",
    "aws_s3_bucket_server_side_encryption_configuration.logs",
    "aws_sqs_queue.old",
    "aws_sns_topic.old",
}
UNTOUCHED = {"aws_sqs_queue.dlq", "aws_sqs_queue.events", "aws_sns_topic.orders"}


@dataclass
class Estate:
    workdir: Path
    endpoint: str
    session: boto3.session.Session
    env: dict[str, str]

    def scan(self) -> ScanReport:
        # A fresh context per scan: the memo must never serve a previous scan's answers.
        return run_scan(ScanOptions(path=self.workdir), ctx=AwsContext(self.session))

    def queue_url(self, name: str) -> str:
        return f"{self.endpoint}/{ACCOUNT}/{name}"


@pytest.fixture(scope="module")
def estate(tf_env: dict[str, str], moto_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Estate:
    moto_server.reset()
    work = tmp_path_factory.mktemp("tf-s3-sqs-sns")
    shutil.copy(FIXTURE / "main.tf", work / "main.tf")
    endpoint = f"-var=endpoint={moto_server.url}"
    terraform(work, tf_env, "init", "-input=false")
    terraform(work, tf_env, "apply", "-auto-approve", "-input=false", endpoint)
    # Settle sibling effects (the bucket's policy/versioning views after its sub-resources applied).
    terraform(work, tf_env, "apply", "-refresh-only", "-auto-approve", "-input=false", endpoint)
    session = session_for(moto_server.url, tmp_path_factory.mktemp("aws-config"))
    return Estate(work, moto_server.url, session, tf_env)


@pytest.fixture(scope="module")
def clean(estate: Estate) -> ScanReport:
    return estate.scan()


def make_out_of_band_changes(estate: Estate) -> None:
    s3, sqs, sns = (estate.session.client(s) for s in ("s3", "sqs", "sns"))
    # One change per type on the fully configured bucket.
    s3.put_bucket_tagging(
        Bucket="dd-data",
        Tagging={"TagSet": [{"Key": "Env", "Value": "dev"}, {"Key": "ManagedBy", "Value": "terraform"},
                            {"Key": "Team", "Value": "platform"}]},
    )
    s3.put_bucket_versioning(Bucket="dd-data", VersioningConfiguration={"Status": "Suspended"})
    s3.put_public_access_block(
        Bucket="dd-data",
        PublicAccessBlockConfiguration={"BlockPublicAcls": False, "IgnorePublicAcls": True,
                                        "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
    )
    policy = json.loads(s3.get_bucket_policy(Bucket="dd-data")["Policy"])
    policy["Statement"][0]["Action"] = ["s3:ListBucket", "s3:PutObject", "s3:GetObject"]
    s3.put_bucket_policy(Bucket="dd-data", Policy=json.dumps(policy, indent=4))
    s3.put_bucket_encryption(
        Bucket="dd-data",
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/other"}, "BucketKeyEnabled": False}]},
    )
    # Sub-resources deleted out of band; a whole bucket deleted.
    s3.delete_public_access_block(Bucket="dd-logs")
    s3.delete_bucket_policy(Bucket="dd-logs")
    s3.delete_bucket_encryption(Bucket="dd-logs")
    s3.delete_bucket(Bucket="dd-scratch")
    sqs.set_queue_attributes(QueueUrl=estate.queue_url("dd-jobs"), Attributes={"VisibilityTimeout": "120"})
    sqs.tag_queue(QueueUrl=estate.queue_url("dd-jobs"), Tags={"Owner": "mallory"})
    sqs.delete_queue(QueueUrl=estate.queue_url("dd-old"))
    sns.set_topic_attributes(
        TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:dd-alerts", AttributeName="DisplayName", AttributeValue="Pager"
    )
    sns.delete_topic(TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:dd-old-topic")
    # Created outside Terraform.
    s3.create_bucket(Bucket="dd-stray")
    sqs.create_queue(QueueName="dd-stray")
    sns.create_topic(Name="dd-stray")


@pytest.fixture(scope="module")
def drifted(estate: Estate, clean: ScanReport) -> ScanReport:
    # Depends on `clean` so the clean scan always runs before anything is changed.
    make_out_of_band_changes(estate)
    return estate.scan()


@pytest.fixture(scope="module")
def terraform_drift(estate: Estate, drifted: ScanReport) -> dict[str, set[str] | None]:
    """address -> changed top-level attributes (None when terraform says the object is gone)."""
    endpoint = f"-var=endpoint={estate.endpoint}"
    terraform(estate.workdir, estate.env, "plan", "-refresh-only", "-input=false", "-out=drift.tfplan", endpoint)
    plan = json.loads(terraform(estate.workdir, estate.env, "show", "-json", "drift.tfplan"))
    out: dict[str, set[str] | None] = {}
    for item in plan.get("resource_drift") or []:
        change = item["change"]
        out[item["address"]] = None if change["after"] is None else changed_top_level(change["before"], change["after"])
    return out


def managed(report: ScanReport) -> dict[str, Any]:
    return {r.address: r for r in report.resources if r.address is not None}


def diffs(report: ScanReport, address: str) -> dict[str, tuple[Any, Any, ChangeKind]]:
    return {d.path: (d.expected, d.actual, d.change) for d in managed(report)[address].differences}


def test_clean_scan_is_all_in_sync_for_every_type(clean: ScanReport) -> None:
    results = managed(clean)
    assert {r.type for r in results.values()} == MY_TYPES
    wrong = [(a, r.status, r.reason, [d.to_json() for d in r.differences]) for a, r in results.items()
             if r.status is not Status.IN_SYNC]
    assert not wrong
    assert [r for r in clean.resources if r.address is None] == []
    assert clean.exit_code() == 0


def test_clean_scan_compares_every_checked_attribute(clean: ScanReport) -> None:
    """No attribute is silently unchecked: the live side has every attribute the collector claims."""
    for result in managed(clean).values():
        collector = collector_for(result.type)
        assert collector is not None and result.live is not None
        assert set(result.live) == set(collector.checked_attributes), result.address


def test_out_of_band_changes_have_path_expected_and_actual(drifted: ScanReport) -> None:
    assert diffs(drifted, "aws_s3_bucket_versioning.data") == {
        "versioning_configuration[0].status": ("Enabled", "Suspended", ChangeKind.UPDATED)
    }
    assert diffs(drifted, "aws_s3_bucket_public_access_block.data") == {
        "block_public_acls": (True, False, ChangeKind.UPDATED)
    }
    policy = diffs(drifted, "aws_s3_bucket_policy.data")
    assert list(policy) == ["policy"]
    expected_doc, actual_doc, kind = policy["policy"]
    assert kind is ChangeKind.UPDATED
    assert expected_doc["Statement"][0]["Action"] == ["s3:GetObject", "s3:ListBucket"]
    assert sorted(actual_doc["Statement"][0]["Action"]) == ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    sse = managed(drifted)["aws_s3_bucket_server_side_encryption_configuration.data"].differences
    assert {(d.change, d.path) for d in sse} == {(ChangeKind.REMOVED, "rule[0]"), (ChangeKind.ADDED, "rule[0]")}
    added = next(d.actual for d in sse if d.change is ChangeKind.ADDED)
    assert added["apply_server_side_encryption_by_default"] == [{"kms_master_key_id": "alias/other", "sse_algorithm": "aws:kms"}]
    bucket = diffs(drifted, "aws_s3_bucket.data")
    assert bucket["tags.Env"] == ("prod", "dev", ChangeKind.UPDATED)
    assert bucket["versioning[0].enabled"] == (True, False, ChangeKind.UPDATED)
    assert "policy" in bucket
    assert diffs(drifted, "aws_sqs_queue.jobs") == {
        "visibility_timeout_seconds": (60, 120, ChangeKind.UPDATED),
        "tags.Owner": (None, "mallory", ChangeKind.ADDED),
    }
    assert diffs(drifted, "aws_sns_topic.alerts") == {"display_name": ("Alerts", "Pager", ChangeKind.UPDATED)}
    changed_types = {r.type for r in managed(drifted).values() if r.status is Status.CHANGED}
    assert changed_types == MY_TYPES


def test_deleted_objects_are_missing_and_untouched_ones_in_sync(drifted: ScanReport) -> None:
    results = managed(drifted)
    assert {a for a, r in results.items() if r.status is Status.MISSING} == DELETED
    assert {results[a].status for a in UNTOUCHED} == {Status.IN_SYNC}
    assert drifted.exit_code() == 1


def test_objects_created_outside_terraform_are_unmanaged(estate: Estate, drifted: ScanReport) -> None:
    unmanaged = {(r.type, r.id) for r in drifted.resources if r.status is Status.UNMANAGED}
    assert unmanaged == {
        ("aws_s3_bucket", "dd-stray"),
        ("aws_sqs_queue", estate.queue_url("dd-stray")),
        ("aws_sns_topic", f"arn:aws:sns:us-east-1:{ACCOUNT}:dd-stray"),
    }


def test_terraform_refresh_reports_the_same_drift(drifted: ScanReport, terraform_drift: dict[str, set[str] | None]) -> None:
    ours = {a: r for a, r in managed(drifted).items() if r.status in (Status.CHANGED, Status.MISSING)}
    assert set(ours) == set(terraform_drift)
    for address, tf_attributes in terraform_drift.items():
        result = ours[address]
        if tf_attributes is None:
            assert result.status is Status.MISSING, address
            continue
        assert result.status is Status.CHANGED, address
        collector = collector_for(result.type)
        assert collector is not None
        # tags_all is how Terraform spells the live tag set; driftdeck reports it as tags.
        comparable = {"tags" if a == "tags_all" else a for a in tf_attributes} & set(collector.checked_attributes)
        top_level = {d.path.split(".")[0].split("[")[0] for d in result.differences}
        assert top_level == comparable, address
