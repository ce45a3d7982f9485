"""SQS collector: `aws_sqs_queue` from GetQueueAttributes(All) and ListQueueTags (two requests per
queue, the same as Terraform's refresh), queues read concurrently; ListQueues for discovery."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from driftdeck.core.aws import AwsContext, paginate
from driftdeck.core.live.collectors import register
from driftdeck.core.live.collectors.base import Collector, ReadOutcome
from driftdeck.core.live.collectors.fanout import read_each
from driftdeck.core.model import DesiredResource, LiveResource, partition_for

# The query protocol's code and the JSON protocol's code for the same answer.
QUEUE_NOT_FOUND = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})

# Terraform attribute -> (SQS attribute, value the provider records when SQS does not return it).
_ATTRIBUTES: dict[str, tuple[str, Any]] = {
    "arn": ("QueueArn", ""),
    "delay_seconds": ("DelaySeconds", 0),
    "max_message_size": ("MaximumMessageSize", 262144),
    "message_retention_seconds": ("MessageRetentionPeriod", 345600),
    "receive_wait_time_seconds": ("ReceiveMessageWaitTimeSeconds", 0),
    "visibility_timeout_seconds": ("VisibilityTimeout", 30),
    "policy": ("Policy", ""),
    "redrive_policy": ("RedrivePolicy", ""),
    "redrive_allow_policy": ("RedriveAllowPolicy", ""),
    "fifo_queue": ("FifoQueue", False),
    "content_based_deduplication": ("ContentBasedDeduplication", False),
    "deduplication_scope": ("DeduplicationScope", ""),
    "fifo_throughput_limit": ("FifoThroughputLimit", ""),
    "kms_master_key_id": ("KmsMasterKeyId", ""),
    # Only returned for KMS-encrypted queues; the provider records its schema default then.
    "kms_data_key_reuse_period_seconds": ("KmsDataKeyReusePeriodSeconds", 300),
    "sqs_managed_sse_enabled": ("SqsManagedSseEnabled", False),
}
_INTEGERS = frozenset(
    {
        "delay_seconds",
        "max_message_size",
        "message_retention_seconds",
        "receive_wait_time_seconds",
        "visibility_timeout_seconds",
        "kms_data_key_reuse_period_seconds",
    }
)
_BOOLEANS = frozenset({"fifo_queue", "content_based_deduplication", "sqs_managed_sse_enabled"})


def _typed(name: str, value: Any) -> Any:
    if name in _INTEGERS:
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    if name in _BOOLEANS:
        return value if isinstance(value, bool) else str(value).lower() == "true"
    return value


def canonical_redrive(value: Any) -> Any:
    """maxReceiveCount is a number in one spelling and a string in another: same fact."""
    if not isinstance(value, str) or not value.strip():
        return value
    try:
        doc = json.loads(value)
    except ValueError:
        return value
    if isinstance(doc, dict) and isinstance(doc.get("maxReceiveCount"), str) and doc["maxReceiveCount"].isdigit():
        doc["maxReceiveCount"] = int(doc["maxReceiveCount"])
    return json.dumps(doc, sort_keys=True)


def queue_attributes(attributes: dict[str, str], tags: dict[str, str]) -> dict[str, Any]:
    """SQS's answer in Terraform's attribute names and types."""
    out: dict[str, Any] = {}
    for name, (key, default) in _ATTRIBUTES.items():
        out[name] = _typed(name, attributes[key]) if key in attributes else default
    out["redrive_policy"] = canonical_redrive(out["redrive_policy"])
    out["name"] = str(out["arn"]).rsplit(":", 1)[-1]
    out["tags"] = dict(tags)
    return out


@register
class SqsQueueCollector(Collector):
    resource_type = "aws_sqs_queue"
    checked_attributes = ("name", "tags", *_ATTRIBUTES)
    json_attributes = frozenset({"policy", "redrive_policy", "redrive_allow_policy"})
    discoverable = True

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        client = ctx.client("sqs", region)

        def one(resource: DesiredResource) -> ReadOutcome:
            url = str(resource.attributes.get("url") or resource.id)
            attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes") or {}
            tags = client.list_queue_tags(QueueUrl=url).get("Tags") or {}
            live = queue_attributes(attributes, tags)
            return ReadOutcome(
                live=LiveResource(type=self.resource_type, id=resource.id, attributes=live, region=region, arn=live["arn"])
            )

        return read_each(resources, one, QUEUE_NOT_FOUND)

    def expected_attributes(self, resource: DesiredResource) -> dict[str, Any]:
        out = super().expected_attributes(resource)
        if "redrive_policy" in out:
            out["redrive_policy"] = canonical_redrive(out["redrive_policy"])
        return out

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        # Without MaxResults SQS returns at most 1000 queues and no NextToken: ask for pages.
        urls = paginate(ctx.client("sqs", region), "list_queues", "QueueUrls", PaginationConfig={"PageSize": 1000})
        return [
            LiveResource(type=self.resource_type, id=url, attributes={"url": url, "name": url.rsplit("/", 1)[-1]},
                         region=region, arn=queue_arn(url, region))
            for url in urls
        ]


def queue_arn(url: str, region: str) -> str | None:
    """A queue's ARN from its URL (.../ACCOUNT/NAME): ListQueues gives URLs only."""
    parts = url.rstrip("/").rsplit("/", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return f"arn:{partition_for(region)}:sqs:{region}:{parts[1]}:{parts[2]}"
