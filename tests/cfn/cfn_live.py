"""Test helper: read the live side of a desired resource (Terraform attribute names) from moto.

It goes through the engine's collectors (`driftdeck.core.collectors`); for a type without a
collector it falls back to a small direct boto3 reader, so these tests do not depend on which
collectors exist yet.
"""

from __future__ import annotations

from typing import Any

import boto3

from driftdeck.core.aws import AwsContext
from driftdeck.core.model import DesiredResource

REGION = "us-east-1"


def live_attributes(desired: DesiredResource) -> dict[str, Any] | None:
    """Live attributes, or None when the object does not exist."""
    try:
        from driftdeck.core.collectors import collector_for
    except ImportError:  # pragma: no cover - collectors not installed
        collector_for = None  # type: ignore[assignment]
    collector = collector_for(desired.type) if collector_for else None
    if collector is None:
        return _FALLBACK[desired.type](desired)
    outcome = collector.read(AwsContext(), REGION, [desired])[0]
    assert outcome.error is None, outcome.error
    return outcome.live.attributes if outcome.live else None


def _sqs(desired: DesiredResource) -> dict[str, Any]:
    sqs = boto3.client("sqs", region_name=REGION)
    attrs = sqs.get_queue_attributes(QueueUrl=desired.id, AttributeNames=["All"])["Attributes"]
    return {
        "name": desired.id.rsplit("/", 1)[-1],
        "visibility_timeout_seconds": int(attrs["VisibilityTimeout"]),
        "delay_seconds": int(attrs["DelaySeconds"]),
        "message_retention_seconds": int(attrs["MessageRetentionPeriod"]),
        "tags": sqs.list_queue_tags(QueueUrl=desired.id).get("Tags") or {},
    }


def _s3(desired: DesiredResource) -> dict[str, Any]:
    s3 = boto3.client("s3", region_name=REGION)
    try:
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=desired.id)["TagSet"]}
    except s3.exceptions.ClientError:
        tags = {}
    status = s3.get_bucket_versioning(Bucket=desired.id).get("Status") or "Disabled"
    return {"bucket": desired.id, "tags": tags, "versioning_configuration": [{"status": status}]}


_FALLBACK = {"aws_sqs_queue": _sqs, "aws_s3_bucket": _s3}
