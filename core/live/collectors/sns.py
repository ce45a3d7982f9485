"""SNS collector: `aws_sns_topic` from GetTopicAttributes and ListTagsForResource (two requests per
topic, as Terraform's refresh), topics read concurrently; ListTopics for discovery."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from driftdeck.core.aws import AwsContext, paginate
from driftdeck.core.live.collectors import register
from driftdeck.core.live.collectors.base import Collector, ReadOutcome
from driftdeck.core.live.collectors.fanout import read_each
from driftdeck.core.model import DesiredResource, LiveResource

TOPIC_NOT_FOUND = frozenset({"NotFound", "NotFoundException"})

_FEEDBACK = ("application", "firehose", "http", "lambda", "sqs")
_FEEDBACK_KEYS = {"application": "Application", "firehose": "Firehose", "http": "HTTP", "lambda": "Lambda", "sqs": "SQS"}

# Terraform attribute -> (SNS attribute, value the provider records when SNS does not return it).
_ATTRIBUTES: dict[str, tuple[str, Any]] = {
    "arn": ("TopicArn", ""),
    "owner": ("Owner", ""),
    "display_name": ("DisplayName", ""),
    "policy": ("Policy", ""),
    "delivery_policy": ("DeliveryPolicy", ""),
    "archive_policy": ("ArchivePolicy", ""),
    "kms_master_key_id": ("KmsMasterKeyId", ""),
    "fifo_topic": ("FifoTopic", False),
    "content_based_deduplication": ("ContentBasedDeduplication", False),
    "fifo_throughput_scope": ("FifoThroughputScope", ""),
    "signature_version": ("SignatureVersion", 0),
    "tracing_config": ("TracingConfig", ""),
}
for _kind in _FEEDBACK:
    _key = _FEEDBACK_KEYS[_kind]
    _ATTRIBUTES[f"{_kind}_success_feedback_role_arn"] = (f"{_key}SuccessFeedbackRoleArn", "")
    _ATTRIBUTES[f"{_kind}_failure_feedback_role_arn"] = (f"{_key}FailureFeedbackRoleArn", "")
    _ATTRIBUTES[f"{_kind}_success_feedback_sample_rate"] = (f"{_key}SuccessFeedbackSampleRate", 0)

_BOOLEANS = frozenset({"fifo_topic", "content_based_deduplication"})


def _typed(name: str, value: Any, default: Any) -> Any:
    if name in _BOOLEANS:
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if isinstance(default, int) and not isinstance(default, bool):
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    return value


def topic_attributes(attributes: dict[str, str], tags: list[dict[str, str]]) -> dict[str, Any]:
    """SNS's answer in Terraform's attribute names and types."""
    out: dict[str, Any] = {}
    for name, (key, default) in _ATTRIBUTES.items():
        out[name] = _typed(name, attributes[key], default) if key in attributes else default
    out["name"] = str(out["arn"]).rsplit(":", 1)[-1]
    out["tags"] = {t["Key"]: t["Value"] for t in tags}
    return out


@register
class SnsTopicCollector(Collector):
    resource_type = "aws_sns_topic"
    checked_attributes = ("name", "tags", *_ATTRIBUTES)
    json_attributes = frozenset({"policy", "delivery_policy", "archive_policy"})
    discoverable = True

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        client = ctx.client("sns", region)

        def one(resource: DesiredResource) -> ReadOutcome:
            arn = str(resource.attributes.get("arn") or resource.id)
            attributes = client.get_topic_attributes(TopicArn=arn).get("Attributes") or {}
            tags = client.list_tags_for_resource(ResourceArn=arn).get("Tags") or []
            live = topic_attributes(attributes, tags)
            return ReadOutcome(
                live=LiveResource(type=self.resource_type, id=resource.id, attributes=live, region=region, arn=arn)
            )

        return read_each(resources, one, TOPIC_NOT_FOUND)

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        topics = paginate(ctx.client("sns", region), "list_topics", "Topics")
        return [
            LiveResource(
                type=self.resource_type,
                id=t["TopicArn"],
                attributes={"arn": t["TopicArn"], "name": t["TopicArn"].rsplit(":", 1)[-1]},
                region=region,
                arn=t["TopicArn"],
            )
            for t in topics
        ]
