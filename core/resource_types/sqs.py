"""SQS: queues (Terraform's id is the queue URL)."""

from __future__ import annotations

from types import MappingProxyType

from driftdeck.core.resource_types.facts import (
    CFN_TAGS,
    ArnRow,
    Identity,
    ResourceType,
    Risk,
    cfn_property,
    create,
    delete,
    row,
    target,
)

SOURCE = "sqs.amazonaws.com"
_QUEUE = "requestParameters.queueUrl"
_QUEUE_ATTRIBUTE_KEYS = MappingProxyType(
    {
        "DelaySeconds": "delay_seconds",
        "MaximumMessageSize": "max_message_size",
        "MessageRetentionPeriod": "message_retention_seconds",
        "ReceiveMessageWaitTimeSeconds": "receive_wait_time_seconds",
        "VisibilityTimeout": "visibility_timeout_seconds",
        "Policy": "policy",
        "RedrivePolicy": "redrive_policy",
        "RedriveAllowPolicy": "redrive_allow_policy",
        "KmsMasterKeyId": "kms_master_key_id",
        "KmsDataKeyReusePeriodSeconds": "kms_data_key_reuse_period_seconds",
        "SqsManagedSseEnabled": "sqs_managed_sse_enabled",
        "ContentBasedDeduplication": "content_based_deduplication",
        "DeduplicationScope": "deduplication_scope",
        "FifoThroughputLimit": "fifo_throughput_limit",
    }
)

# Template property -> Terraform attribute rows for aws_sqs_queue (see `facts.PropertyMap`).
_QUEUE_CFN_PROPERTIES = (
    cfn_property("QueueName", "name"),
    CFN_TAGS,
    cfn_property("VisibilityTimeout", "visibility_timeout_seconds", defaults=(30,)),
    cfn_property("MessageRetentionPeriod", "message_retention_seconds", defaults=(345600,)),
    # The limit rose from 256 KiB to 1 MiB in 2025; either is "the default" depending on age.
    cfn_property("MaximumMessageSize", "max_message_size", defaults=(262144, 1048576)),
    cfn_property("DelaySeconds", "delay_seconds", defaults=(0,)),
    cfn_property("ReceiveMessageWaitTimeSeconds", "receive_wait_time_seconds", defaults=(0,)),
    cfn_property("FifoQueue", "fifo_queue", defaults=(None, False)),
    cfn_property("ContentBasedDeduplication", "content_based_deduplication", defaults=(None, False)),
    cfn_property("KmsMasterKeyId", "kms_master_key_id", defaults=(None, "")),
    cfn_property("KmsDataKeyReusePeriodSeconds", "kms_data_key_reuse_period_seconds", defaults=(None, 300)),
    cfn_property("SqsManagedSseEnabled", "sqs_managed_sse_enabled"),
    cfn_property("RedrivePolicy", "redrive_policy", kind="json", defaults=(None,)),
    cfn_property("RedriveAllowPolicy", "redrive_allow_policy", kind="json", defaults=(None,)),
    cfn_property("DeduplicationScope", "deduplication_scope"),
    cfn_property("FifoThroughputLimit", "fifo_throughput_limit"),
)

QUEUE = ResourceType(
    name="aws_sqs_queue", service="sqs",
    identity=Identity("queue URL", "name", "AWS::SQS::Queue", physical_id="queue-url-path", import_id_from="{url}", cfn_attributes=MappingProxyType(
        {"QueueUrl": "same", "QueueName": "last_path_segment", "Arn": "sqs_arn"})),
    cfn_properties=_QUEUE_CFN_PROPERTIES,
    event_source=SOURCE,
    events=(
        row("SetQueueAttributes", "aws_sqs_queue", _QUEUE, keyed=("requestParameters.attributes",),
            key_map=_QUEUE_ATTRIBUTE_KEYS),
        row("TagQueue", "aws_sqs_queue", _QUEUE, "tags"),
        row("UntagQueue", "aws_sqs_queue", _QUEUE, "tags"),
        row("AddPermission", "aws_sqs_queue", _QUEUE, "policy"),
        row("RemovePermission", "aws_sqs_queue", _QUEUE, "policy"),
        delete("DeleteQueue", "aws_sqs_queue", _QUEUE),
        create("CreateQueue", "aws_sqs_queue", ("responseElements.queueUrl", "requestParameters.queueName")),
    ),
    fallback=(target("aws_sqs_queue", _QUEUE),),
    collector="sqs",
    force_new=frozenset({"name", "name_prefix", "fifo_queue"}),
    replacement_cost=(Risk("data-loss", "replacing a queue drops every message in flight; producers see errors for "
                                        "~60 s while the name cannot be re-created"),),
    import_arguments=("name", "fifo_queue", "content_based_deduplication", "delay_seconds", "max_message_size",
                      "message_retention_seconds", "receive_wait_time_seconds", "visibility_timeout_seconds", "policy",
                      "redrive_policy", "redrive_allow_policy", "kms_master_key_id", "sqs_managed_sse_enabled", "tags"),
    computed_when_unset=frozenset({"policy", "redrive_policy", "redrive_allow_policy", "sqs_managed_sse_enabled",
                                   "kms_data_key_reuse_period_seconds", "deduplication_scope", "fifo_throughput_limit"}),
    revert="sqs_queue", tag_revert="sqs",
    provider_ranges=MappingProxyType({
        "max_message_size": (1024, 262144),
        "message_retention_seconds": (60, 1209600),
        "visibility_timeout_seconds": (0, 43200),
    }),
    arn=ArnRow("sqs", "", "sqs_queue"),
)

TYPES = (QUEUE,)
