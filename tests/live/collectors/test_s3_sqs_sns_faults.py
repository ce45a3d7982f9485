"""Failures are `unknown` with a reason, never in_sync or missing: real HTTP error answers (403, 503
throttling, 500) and a server that never answers, injected by a proxy in front of the moto server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from s3sqssns_support import (
    FaultProxy,
    Request,
    fast_context,
    json_error,
    operation,
    query_error,
    s3_error,
    session_for,
    write_state,
)

from driftdeck.core.model import Status
from driftdeck.core.scan.run import ScanOptions, run_scan

BUCKET = "ff-bucket"
QUEUE = "ff-queue"
TOPIC = "ff-topic"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    ],
}


def s3_sub(resource: str) -> Any:
    """Matches S3 requests on a bucket sub-resource, e.g. ?tagging."""
    return lambda r: r.path.strip("/").startswith(BUCKET) and resource in r.query


def is_list_buckets(r: Request) -> bool:
    return r.method == "GET" and r.path.strip("/") == ""


def is_head_bucket(r: Request) -> bool:
    return r.method == "HEAD"


@pytest.fixture()
def estate(moto_server: Any, fault_proxy: FaultProxy, tmp_path: Path) -> tuple[Path, boto3.session.Session]:
    """One bucket with every S3 sub-resource, a queue and a topic, and a state that matches them."""
    moto_server.reset()
    session = session_for(fault_proxy.url, tmp_path)
    s3, sqs, sns = session.client("s3"), session.client("sqs"), session.client("sns")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "Env", "Value": "prod"}]})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(POLICY))
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    url = sqs.create_queue(QueueName=QUEUE, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    arn = sns.create_topic(Name=TOPIC, Attributes={"DisplayName": "Ops"})["TopicArn"]
    rule = [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": "", "sse_algorithm": "AES256"}],
             "bucket_key_enabled": False}]
    state = write_state(
        tmp_path / "iac" / "terraform.tfstate",
        [
            ("aws_s3_bucket", "b", {"id": BUCKET, "bucket": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}",
                                    "tags": {"Env": "prod"}, "tags_all": {"Env": "prod"},
                                    "versioning": [{"enabled": True, "mfa_delete": False}],
                                    "policy": json.dumps(POLICY),
                                    "server_side_encryption_configuration": [{"rule": rule}]}),
            ("aws_s3_bucket_versioning", "b", {"id": BUCKET, "bucket": BUCKET,
                                               "versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}]}),
            ("aws_s3_bucket_public_access_block", "b", {"id": BUCKET, "bucket": BUCKET, "block_public_acls": True,
                                                        "block_public_policy": True, "ignore_public_acls": True,
                                                        "restrict_public_buckets": True}),
            ("aws_s3_bucket_policy", "b", {"id": BUCKET, "bucket": BUCKET, "policy": json.dumps(POLICY, indent=2)}),
            ("aws_s3_bucket_server_side_encryption_configuration", "b", {"id": BUCKET, "bucket": BUCKET, "rule": rule}),
            ("aws_sqs_queue", "q", {"id": url, "url": url, "name": QUEUE, "arn": f"arn:aws:sqs:us-east-1:123456789012:{QUEUE}",
                                    "visibility_timeout_seconds": 45, "tags": {}, "tags_all": {}}),
            ("aws_sns_topic", "t", {"id": arn, "arn": arn, "name": TOPIC, "display_name": "Ops", "tags": {}, "tags_all": {}}),
        ],
    )
    fault_proxy.seen.clear()
    return state.parent, session


def scan(path: Path, session: boto3.session.Session, **ctx_kwargs: Any) -> Any:
    return run_scan(ScanOptions(path=path), ctx=fast_context(session, **ctx_kwargs))


def by_type(report: Any) -> dict[str, Any]:
    return {r.type: r for r in report.resources if r.address is not None}


def test_clean_estate_is_in_sync_and_each_bucket_configuration_is_read_once(estate: Any, fault_proxy: FaultProxy) -> None:
    path, session = estate
    report = scan(path, session)
    assert {r.type: r.status for r in report.resources} == {
        t: Status.IN_SYNC
        for t in (
            "aws_s3_bucket", "aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block", "aws_s3_bucket_policy",
            "aws_s3_bucket_server_side_encryption_configuration", "aws_sqs_queue", "aws_sns_topic",
        )
    }, [(r.type, r.status, r.reason, r.differences) for r in report.resources]
    assert report.exit_code() == 0
    # Five S3 types on one bucket share one ListBuckets and one call per configuration.
    s3_calls = {op: n for op, n in fault_proxy.seen.items() if op.startswith("S3 ")}
    assert s3_calls.get("S3 GET service") == 1
    for sub in ("tagging", "policy", "versioning", "encryption", "publicAccessBlock"):
        assert s3_calls.get(f"S3 GET bucket?{sub}") == 1, s3_calls


def test_access_denied_on_one_type_is_unknown_and_exit_3(estate: Any, fault_proxy: FaultProxy) -> None:
    path, session = estate
    fault_proxy.add(s3_sub("publicAccessBlock"), **s3_error("AccessDenied", 403))
    report = scan(path, session)
    results = by_type(report)
    pab = results["aws_s3_bucket_public_access_block"]
    assert pab.status is Status.UNKNOWN
    assert pab.reason == "access denied (AccessDenied on GetPublicAccessBlock)"
    others = [r for t, r in results.items() if t != "aws_s3_bucket_public_access_block"]
    assert all(r.status is Status.IN_SYNC for r in others), [(r.type, r.status, r.reason) for r in others]
    assert report.exit_code() == 3


def test_throttling_past_retries_is_unknown_after_retrying(estate: Any, fault_proxy: FaultProxy) -> None:
    path, session = estate
    fault_proxy.add(operation("GetQueueAttributes"), **json_error("ThrottlingException", 400, "Rate exceeded"))
    report = scan(path, session, max_attempts=2)
    queue = by_type(report)["aws_sqs_queue"]
    assert queue.status is Status.UNKNOWN
    assert queue.reason is not None and queue.reason.startswith("throttled past retries (ThrottlingException")
    # botocore really retried: the first attempt plus max_attempts=2 retries reached the server.
    assert fault_proxy.seen["GetQueueAttributes"] == 3
    assert report.exit_code() == 3


def test_server_error_is_unknown(estate: Any, fault_proxy: FaultProxy) -> None:
    path, session = estate
    fault_proxy.add(operation("GetTopicAttributes"), **query_error("InternalError", 500, "We encountered an internal error"))
    report = scan(path, session)
    topic = by_type(report)["aws_sns_topic"]
    assert topic.status is Status.UNKNOWN
    assert topic.reason == "AWS server error 500 (InternalError on GetTopicAttributes)"
    assert report.exit_code() == 3


def test_timeout_is_unknown(estate: Any, fault_proxy: FaultProxy) -> None:
    path, session = estate
    fault_proxy.add(operation("ListTagsForResource"), hang=True)
    report = scan(path, session, max_attempts=1, read_timeout=1.0)
    topic = by_type(report)["aws_sns_topic"]
    assert topic.status is Status.UNKNOWN
    assert topic.reason == "timed out talking to AWS"
    assert by_type(report)["aws_sqs_queue"].status is Status.IN_SYNC
    assert report.exit_code() == 3


def test_denied_bucket_listing_still_reads_each_bucket_but_unmanaged_detection_is_unknown(
    estate: Any, fault_proxy: FaultProxy
) -> None:
    path, session = estate
    fault_proxy.add(is_list_buckets, **s3_error("AccessDenied", 403))
    report = scan(path, session)
    managed = [r for r in report.resources if r.address is not None]
    assert all(r.status is Status.IN_SYNC for r in managed), [(r.type, r.status, r.reason) for r in managed]
    detection = [r for r in report.resources if r.address is None and r.type == "aws_s3_bucket"]
    assert len(detection) == 1 and detection[0].status is Status.UNKNOWN
    assert detection[0].reason == "unmanaged detection failed: access denied (AccessDenied on ListBuckets)"
    assert report.exit_code() == 3


def test_deleted_bucket_is_missing_but_a_forbidden_one_is_unknown(estate: Any, fault_proxy: FaultProxy) -> None:
    path, session = estate
    session.client("s3").delete_bucket_policy(Bucket=BUCKET)
    gone = scan(path, session)
    assert by_type(gone)["aws_s3_bucket_policy"].status is Status.MISSING
    assert by_type(gone)["aws_s3_bucket"].status is Status.CHANGED
    assert gone.exit_code() == 1

    # Hide the bucket from the listing: the collector asks HeadBucket, and a 403 there is not "gone".
    fault_proxy.add(is_list_buckets, status=200, headers={"Content-Type": "application/xml"},
                    body=b'<?xml version="1.0"?><ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>')
    fault_proxy.add(is_head_bucket, status=403, body=b"")
    forbidden = scan(path, session)
    s3_results = [r for r in forbidden.resources if r.address is not None and r.type.startswith("aws_s3")]
    assert s3_results and all(r.status is Status.UNKNOWN for r in s3_results)
    assert all(r.reason and r.reason.startswith("access denied") for r in s3_results), [r.reason for r in s3_results]


def test_unmanaged_detection_puts_each_object_in_its_own_region(estate: Any, fault_proxy: FaultProxy) -> None:
    path, session = estate
    session.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="ff-eu-stray", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    eu_queue = session.client("sqs", region_name="eu-west-1").create_queue(QueueName="ff-eu-stray")["QueueUrl"]
    report = run_scan(ScanOptions(path=path, regions=("us-east-1", "eu-west-1")), ctx=fast_context(session))
    unmanaged = {(r.type, r.id, r.region) for r in report.resources if r.status is Status.UNMANAGED}
    assert unmanaged == {("aws_s3_bucket", "ff-eu-stray", "eu-west-1"), ("aws_sqs_queue", eu_queue, "eu-west-1")}
    managed = [r for r in report.resources if r.address is not None]
    assert all(r.status is Status.IN_SYNC for r in managed), [(r.type, r.status, r.reason) for r in managed]


def test_a_bodiless_404_is_not_proof_that_the_bucket_is_gone(estate: Any, fault_proxy: FaultProxy) -> None:
    """Only S3's explicit NoSuchBucket (or HeadBucket's 404) means missing; a bare 404 from a
    wrong endpoint or an unimplemented API must stay unknown."""
    path, session = estate
    fault_proxy.add(s3_sub("tagging"), status=404, body=b"")
    report = scan(path, session)
    bucket = by_type(report)["aws_s3_bucket"]
    assert bucket.status is Status.UNKNOWN
    assert bucket.reason == "AWS error 404 on GetBucketTagging"
    assert report.exit_code() == 3
