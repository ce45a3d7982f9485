"""SNS: topics (Terraform's id is the topic ARN)."""

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

SOURCE = "sns.amazonaws.com"
_TOPIC = ("requestParameters.topicArn", "requestParameters.resourceArn")
_TOPIC_ATTRIBUTE_KEYS = MappingProxyType(
    {
        "DisplayName": "display_name",
        "Policy": "policy",
        "DeliveryPolicy": "delivery_policy",
        "KmsMasterKeyId": "kms_master_key_id",
        "TracingConfig": "tracing_config",
        "SignatureVersion": "signature_version",
        "ContentBasedDeduplication": "content_based_deduplication",
        "ArchivePolicy": "archive_policy",
        "DataProtectionPolicy": "data_protection_policy",
        "FifoThroughputScope": "fifo_throughput_scope",
        "ApplicationSuccessFeedbackRoleArn": "application_success_feedback_role_arn",
        "ApplicationFailureFeedbackRoleArn": "application_failure_feedback_role_arn",
        "HTTPSuccessFeedbackRoleArn": "http_success_feedback_role_arn",
        "HTTPFailureFeedbackRoleArn": "http_failure_feedback_role_arn",
        "LambdaSuccessFeedbackRoleArn": "lambda_success_feedback_role_arn",
        "LambdaFailureFeedbackRoleArn": "lambda_failure_feedback_role_arn",
        "SQSSuccessFeedbackRoleArn": "sqs_success_feedback_role_arn",
        "SQSFailureFeedbackRoleArn": "sqs_failure_feedback_role_arn",
    }
)

# Template property -> Terraform attribute rows for aws_sns_topic (see `facts.PropertyMap`).
_TOPIC_CFN_PROPERTIES = (
    cfn_property("TopicName", "name"),
    CFN_TAGS,
    cfn_property("DisplayName", "display_name", defaults=(None, "")),
    cfn_property("KmsMasterKeyId", "kms_master_key_id", defaults=(None, "")),
    cfn_property("FifoTopic", "fifo_topic", defaults=(None, False)),
    cfn_property("ContentBasedDeduplication", "content_based_deduplication", defaults=(None, False)),
    cfn_property("DeliveryPolicy", "delivery_policy", kind="json"),
    cfn_property("ArchivePolicy", "archive_policy", kind="json"),
    cfn_property("SignatureVersion", "signature_version"),
    cfn_property("TracingConfig", "tracing_config"),
)

TOPIC = ResourceType(
    name="aws_sns_topic", service="sns",
    identity=Identity("topic ARN", "name", "AWS::SNS::Topic", cfn_attributes=MappingProxyType(
        {"TopicArn": "same", "TopicName": "last_arn_segment"})),
    cfn_properties=_TOPIC_CFN_PROPERTIES,
    event_source=SOURCE,
    events=(
        row("SetTopicAttributes", "aws_sns_topic", _TOPIC, keyed=("requestParameters.attributeName",),
            key_map=_TOPIC_ATTRIBUTE_KEYS),
        row("TagResource", "aws_sns_topic", _TOPIC, "tags"),
        row("UntagResource", "aws_sns_topic", _TOPIC, "tags"),
        row("AddPermission", "aws_sns_topic", _TOPIC, "policy"),
        row("RemovePermission", "aws_sns_topic", _TOPIC, "policy"),
        row("PutDataProtectionPolicy", "aws_sns_topic", _TOPIC, "data_protection_policy"),
        delete("DeleteTopic", "aws_sns_topic", _TOPIC),
        create("CreateTopic", "aws_sns_topic", "responseElements.topicArn"),
    ),
    fallback=(target("aws_sns_topic", _TOPIC),),
    collector="sns",
    force_new=frozenset({"name", "name_prefix", "fifo_topic"}),
    replacement_cost=(Risk("downtime", "a new topic has no subscriptions until they are re-created; publishes in "
                                       "between are lost"),),
    import_arguments=("name", "fifo_topic", "display_name", "policy", "delivery_policy", "kms_master_key_id", "tags"),
    computed_when_unset=frozenset({"policy", "signature_version", "tracing_config"}),
    revert="sns_topic", tag_revert="sns",
    arn=ArnRow("sns", "", "sns_topic"),
)

TYPES = (TOPIC,)
