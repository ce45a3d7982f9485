"""Which API call changes which Terraform resource and attribute: data, one table per service.

A `Target` says, for one event name, which resource type it touches, where in the record the
resource's id is (`ids`: dotted paths with `[*]` for lists, or `{path}` templates for composite ids;
`match_on`: resource attribute -> record path, for resources whose Terraform id is synthetic), and
which attributes it changes: fixed (`attrs`) and/or named by the request itself (`keyed`: paths whose
dict keys or string value are looked up in `key_map`). `effect` is "update", "delete" (explains a
`missing` resource) or "create" (explains an `unmanaged` one).

Adding an API call is adding a row. `FALLBACK` says how to find the resource in mutating calls the
tables do not list: such a match is resource-level only (the changed attributes are unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Target:
    type: str
    ids: tuple[str, ...] = ()
    attrs: tuple[str, ...] = ()
    keyed: tuple[str, ...] = ()
    key_map: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    match_on: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    effect: str = "update"
    # True when the row can only say "this resource or a sibling" (e.g. a rule revoked by its
    # properties, matched through its group): such matches are resource-level, never exact.
    loose: bool = False


Table = Mapping[str, tuple[Target, ...]]


def _t(type_: str, ids: str | tuple[str, ...] = (), attrs: tuple[str, ...] | str = (), **kw: Any) -> Target:
    ids_t = (ids,) if isinstance(ids, str) else ids
    attrs_t = (attrs,) if isinstance(attrs, str) else attrs
    if "tags" in attrs_t and "tags_all" not in attrs_t:
        attrs_t = (*attrs_t, "tags_all")  # the provider reports merged default tags under tags_all
    return Target(type_, ids_t, attrs_t, **kw)


def _delete(type_: str, ids: str | tuple[str, ...] = (), **kw: Any) -> Target:
    return _t(type_, ids, effect="delete", **kw)


def _create(type_: str, ids: str | tuple[str, ...], **kw: Any) -> Target:
    return _t(type_, ids, effect="create", **kw)


# --- S3 ------------------------------------------------------------------------------------------
_BUCKET = "requestParameters.bucketName"
_S3_BUCKET_TYPES = (
    "aws_s3_bucket",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_server_side_encryption_configuration",
)
_PAB_ATTRS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")

S3: Table = {
    "PutBucketTagging": (_t("aws_s3_bucket", _BUCKET, "tags"),),
    "DeleteBucketTagging": (_t("aws_s3_bucket", _BUCKET, "tags"),),
    "PutBucketVersioning": (
        _t("aws_s3_bucket", _BUCKET, "versioning"),
        _t("aws_s3_bucket_versioning", _BUCKET, ("versioning_configuration", "mfa")),
    ),
    "PutBucketPolicy": (
        _t("aws_s3_bucket", _BUCKET, "policy"),
        _t("aws_s3_bucket_policy", _BUCKET, "policy"),
    ),
    "DeleteBucketPolicy": (_t("aws_s3_bucket", _BUCKET, "policy"), _delete("aws_s3_bucket_policy", _BUCKET)),
    "PutBucketPublicAccessBlock": (_t("aws_s3_bucket_public_access_block", _BUCKET, _PAB_ATTRS),),
    "PutPublicAccessBlock": (_t("aws_s3_bucket_public_access_block", _BUCKET, _PAB_ATTRS),),
    "DeleteBucketPublicAccessBlock": (_delete("aws_s3_bucket_public_access_block", _BUCKET),),
    "DeletePublicAccessBlock": (_delete("aws_s3_bucket_public_access_block", _BUCKET),),
    "PutBucketEncryption": (
        _t("aws_s3_bucket", _BUCKET, "server_side_encryption_configuration"),
        _t("aws_s3_bucket_server_side_encryption_configuration", _BUCKET, ("rule",)),
    ),
    "DeleteBucketEncryption": (
        _t("aws_s3_bucket", _BUCKET, "server_side_encryption_configuration"),
        _delete("aws_s3_bucket_server_side_encryption_configuration", _BUCKET),
    ),
    "PutBucketAcl": (_t("aws_s3_bucket", _BUCKET, ("acl", "grant")),),
    "PutBucketLogging": (_t("aws_s3_bucket", _BUCKET, "logging"),),
    "PutBucketLifecycle": (_t("aws_s3_bucket", _BUCKET, "lifecycle_rule"),),
    "PutBucketLifecycleConfiguration": (_t("aws_s3_bucket", _BUCKET, "lifecycle_rule"),),
    "PutBucketCors": (_t("aws_s3_bucket", _BUCKET, "cors_rule"),),
    "PutBucketWebsite": (_t("aws_s3_bucket", _BUCKET, "website"),),
    "PutBucketReplication": (_t("aws_s3_bucket", _BUCKET, "replication_configuration"),),
    "PutBucketRequestPayment": (_t("aws_s3_bucket", _BUCKET, "request_payer"),),
    "PutAccelerateConfiguration": (_t("aws_s3_bucket", _BUCKET, "acceleration_status"),),
    "PutBucketObjectLockConfiguration": (_t("aws_s3_bucket", _BUCKET, "object_lock_configuration"),),
    "DeleteBucket": tuple(_delete(t, _BUCKET) for t in _S3_BUCKET_TYPES),
    "CreateBucket": (_create("aws_s3_bucket", _BUCKET),),
}

# --- EC2 / VPC -----------------------------------------------------------------------------------
_EC2_TAGGABLE = (
    "aws_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc",
    "aws_subnet",
    "aws_instance",
)
_TAG_IDS = "requestParameters.resourcesSet.items[*].resourceId"
_GROUP = ("requestParameters.groupId", "requestParameters.ModifySecurityGroupRulesRequest.GroupId")
_RULE_IDS_RESPONSE = "responseElements.securityGroupRuleSet.items[*].securityGroupRuleId"
_RULE_IDS_REQUEST = (
    "requestParameters.securityGroupRuleIds.items[*].securityGroupRuleId",
    "requestParameters.securityGroupRuleIds[*]",
    "requestParameters.SecurityGroupRuleId[*]",
    "requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule[*].SecurityGroupRuleId",
    "responseElements.revokedSecurityGroupRuleSet.items[*].securityGroupRuleId",
)
_RULE_GROUP = MappingProxyType({"security_group_id": "requestParameters.groupId"})
_RULE_ATTRS = (
    "cidr_ipv4",
    "cidr_ipv6",
    "description",
    "from_port",
    "to_port",
    "ip_protocol",
    "prefix_list_id",
    "referenced_security_group_id",
)
_INSTANCE = ("requestParameters.instanceId", "requestParameters.instancesSet.items[*].instanceId")
_INSTANCE_ATTRIBUTE_KEYS = MappingProxyType(
    {
        "instanceType": "instance_type",
        "disableApiTermination": "disable_api_termination",
        "disableApiStop": "disable_api_stop",
        "userData": "user_data",
        "groupSet": "vpc_security_group_ids",
        "groupId": "vpc_security_group_ids",
        "sourceDestCheck": "source_dest_check",
        "ebsOptimized": "ebs_optimized",
        "instanceInitiatedShutdownBehavior": "instance_initiated_shutdown_behavior",
        "blockDeviceMapping": "root_block_device",
    }
)
_VPC_ATTRIBUTE_KEYS = MappingProxyType(
    {
        "enableDnsSupport": "enable_dns_support",
        "enableDnsHostnames": "enable_dns_hostnames",
        "enableNetworkAddressUsageMetrics": "enable_network_address_usage_metrics",
    }
)
_SUBNET_ATTRIBUTE_KEYS = MappingProxyType(
    {
        "mapPublicIpOnLaunch": "map_public_ip_on_launch",
        "assignIpv6AddressOnCreation": "assign_ipv6_address_on_creation",
        "mapCustomerOwnedIpOnLaunch": "map_customer_owned_ip_on_launch",
        "enableDns64": "enable_dns64",
        "enableResourceNameDnsARecordOnLaunch": "enable_resource_name_dns_a_record_on_launch",
        "enableResourceNameDnsAAAARecordOnLaunch": "enable_resource_name_dns_aaaa_record_on_launch",
        "privateDnsHostnameTypeOnLaunch": "private_dns_hostname_type_on_launch",
        "enableLniAtDeviceIndex": "enable_lni_at_device_index",
    }
)

EC2: Table = {
    "CreateTags": tuple(_t(t, _TAG_IDS, "tags") for t in _EC2_TAGGABLE),
    "DeleteTags": tuple(_t(t, _TAG_IDS, "tags") for t in _EC2_TAGGABLE),
    "AuthorizeSecurityGroupIngress": (
        _t("aws_security_group", _GROUP, "ingress"),
        _create("aws_vpc_security_group_ingress_rule", _RULE_IDS_RESPONSE),
    ),
    "RevokeSecurityGroupIngress": (
        _t("aws_security_group", _GROUP, "ingress"),
        _delete("aws_vpc_security_group_ingress_rule", _RULE_IDS_REQUEST),
        _delete("aws_vpc_security_group_ingress_rule", match_on=_RULE_GROUP, loose=True),
    ),
    "AuthorizeSecurityGroupEgress": (
        _t("aws_security_group", _GROUP, "egress"),
        _create("aws_vpc_security_group_egress_rule", _RULE_IDS_RESPONSE),
    ),
    "RevokeSecurityGroupEgress": (
        _t("aws_security_group", _GROUP, "egress"),
        _delete("aws_vpc_security_group_egress_rule", _RULE_IDS_REQUEST),
        _delete("aws_vpc_security_group_egress_rule", match_on=_RULE_GROUP, loose=True),
    ),
    "ModifySecurityGroupRules": (
        _t("aws_security_group", _GROUP, ("ingress", "egress")),
        _t("aws_vpc_security_group_ingress_rule", _RULE_IDS_REQUEST, _RULE_ATTRS),
        _t("aws_vpc_security_group_egress_rule", _RULE_IDS_REQUEST, _RULE_ATTRS),
    ),
    "UpdateSecurityGroupRuleDescriptionsIngress": (
        _t("aws_security_group", _GROUP, "ingress"),
        _t("aws_vpc_security_group_ingress_rule", _RULE_IDS_REQUEST, "description"),
    ),
    "UpdateSecurityGroupRuleDescriptionsEgress": (
        _t("aws_security_group", _GROUP, "egress"),
        _t("aws_vpc_security_group_egress_rule", _RULE_IDS_REQUEST, "description"),
    ),
    "DeleteSecurityGroup": (_delete("aws_security_group", _GROUP),),
    "CreateSecurityGroup": (_create("aws_security_group", "responseElements.groupId"),),
    "ModifyVpcAttribute": (
        _t("aws_vpc", "requestParameters.vpcId", keyed=("requestParameters",), key_map=_VPC_ATTRIBUTE_KEYS),
    ),
    "AssociateVpcCidrBlock": (
        _t("aws_vpc", "requestParameters.vpcId", ("ipv6_cidr_block", "assign_generated_ipv6_cidr_block")),
    ),
    "DisassociateVpcCidrBlock": (_t("aws_vpc", "responseElements.vpcId", ("ipv6_cidr_block",)),),
    "DeleteVpc": (_delete("aws_vpc", "requestParameters.vpcId"),),
    "CreateVpc": (_create("aws_vpc", "responseElements.vpc.vpcId"),),
    "ModifySubnetAttribute": (
        _t(
            "aws_subnet",
            "requestParameters.subnetId",
            keyed=("requestParameters",),
            key_map=_SUBNET_ATTRIBUTE_KEYS,
        ),
    ),
    "DeleteSubnet": (_delete("aws_subnet", "requestParameters.subnetId"),),
    "CreateSubnet": (_create("aws_subnet", "responseElements.subnet.subnetId"),),
    "ModifyInstanceAttribute": (
        _t(
            "aws_instance",
            _INSTANCE,
            keyed=("requestParameters", "requestParameters.attribute"),
            key_map=_INSTANCE_ATTRIBUTE_KEYS,
        ),
    ),
    "ModifyInstanceMetadataOptions": (_t("aws_instance", _INSTANCE, "metadata_options"),),
    "StopInstances": (_t("aws_instance", _INSTANCE, "instance_state"),),
    "StartInstances": (_t("aws_instance", _INSTANCE, "instance_state"),),
    "AssociateIamInstanceProfile": (
        _t(
            "aws_instance",
            "requestParameters.AssociateIamInstanceProfileRequest.InstanceId",
            "iam_instance_profile",
        ),
    ),
    "TerminateInstances": (_delete("aws_instance", _INSTANCE),),
    "RunInstances": (_create("aws_instance", "responseElements.instancesSet.items[*].instanceId"),),
}

# --- IAM -----------------------------------------------------------------------------------------
_ROLE = "requestParameters.roleName"
_USER = "requestParameters.userName"
_POLICY = "requestParameters.policyArn"
_ROLE_ATTACHMENT = MappingProxyType({"role": _ROLE, "policy_arn": _POLICY})
_USER_ATTACHMENT = MappingProxyType({"user": _USER, "policy_arn": _POLICY})

IAM: Table = {
    "UpdateAssumeRolePolicy": (_t("aws_iam_role", _ROLE, "assume_role_policy"),),
    "UpdateRole": (
        _t(
            "aws_iam_role",
            _ROLE,
            keyed=("requestParameters",),
            key_map=MappingProxyType(
                {"description": "description", "maxSessionDuration": "max_session_duration"}
            ),
        ),
    ),
    "UpdateRoleDescription": (_t("aws_iam_role", _ROLE, "description"),),
    "TagRole": (_t("aws_iam_role", _ROLE, "tags"),),
    "UntagRole": (_t("aws_iam_role", _ROLE, "tags"),),
    "PutRolePermissionsBoundary": (_t("aws_iam_role", _ROLE, "permissions_boundary"),),
    "DeleteRolePermissionsBoundary": (_t("aws_iam_role", _ROLE, "permissions_boundary"),),
    "PutRolePolicy": (
        _t("aws_iam_role", _ROLE, "inline_policy"),
        _t("aws_iam_role_policy", "{requestParameters.roleName}:{requestParameters.policyName}", "policy"),
    ),
    "DeleteRolePolicy": (
        _t("aws_iam_role", _ROLE, "inline_policy"),
        _delete("aws_iam_role_policy", "{requestParameters.roleName}:{requestParameters.policyName}"),
    ),
    "AttachRolePolicy": (
        _t("aws_iam_role", _ROLE, "managed_policy_arns"),
        _create(
            "aws_iam_role_policy_attachment",
            "{requestParameters.roleName}/{requestParameters.policyArn}",
            match_on=_ROLE_ATTACHMENT,
        ),
    ),
    "DetachRolePolicy": (
        _t("aws_iam_role", _ROLE, "managed_policy_arns"),
        _delete(
            "aws_iam_role_policy_attachment",
            "{requestParameters.roleName}/{requestParameters.policyArn}",
            match_on=_ROLE_ATTACHMENT,
        ),
    ),
    "DeleteRole": (_delete("aws_iam_role", _ROLE),),
    "CreateRole": (_create("aws_iam_role", ("responseElements.role.roleName", _ROLE)),),
    "CreatePolicyVersion": (_t("aws_iam_policy", _POLICY, "policy"),),
    "SetDefaultPolicyVersion": (_t("aws_iam_policy", _POLICY, "policy"),),
    "TagPolicy": (_t("aws_iam_policy", _POLICY, "tags"),),
    "UntagPolicy": (_t("aws_iam_policy", _POLICY, "tags"),),
    "DeletePolicy": (_delete("aws_iam_policy", _POLICY),),
    "CreatePolicy": (_create("aws_iam_policy", "responseElements.policy.arn"),),
    "TagUser": (_t("aws_iam_user", _USER, "tags"),),
    "UntagUser": (_t("aws_iam_user", _USER, "tags"),),
    "UpdateUser": (
        _t(
            "aws_iam_user",
            _USER,
            keyed=("requestParameters",),
            key_map=MappingProxyType({"newUserName": "name", "newPath": "path"}),
        ),
    ),
    "PutUserPermissionsBoundary": (_t("aws_iam_user", _USER, "permissions_boundary"),),
    "DeleteUserPermissionsBoundary": (_t("aws_iam_user", _USER, "permissions_boundary"),),
    "DeleteUser": (_delete("aws_iam_user", _USER),),
    "CreateUser": (_create("aws_iam_user", ("responseElements.user.userName", _USER)),),
    # Sub-resources Terraform never sees unless they are declared: reported as findings under the user.
    "CreateAccessKey": (_create("aws_iam_access_key", "responseElements.accessKey.accessKeyId"),),
    "UpdateAccessKey": (_t("aws_iam_access_key", "requestParameters.accessKeyId", "status"),),
    "DeleteAccessKey": (_delete("aws_iam_access_key", "requestParameters.accessKeyId"),),
    "PutUserPolicy": (
        _create("aws_iam_user_policy", "{requestParameters.userName}:{requestParameters.policyName}"),
    ),
    "DeleteUserPolicy": (
        _delete("aws_iam_user_policy", "{requestParameters.userName}:{requestParameters.policyName}"),
    ),
    "AttachUserPolicy": (
        _create(
            "aws_iam_user_policy_attachment",
            "{requestParameters.userName}/{requestParameters.policyArn}",
            match_on=_USER_ATTACHMENT,
        ),
    ),
    "DetachUserPolicy": (
        _delete(
            "aws_iam_user_policy_attachment",
            "{requestParameters.userName}/{requestParameters.policyArn}",
            match_on=_USER_ATTACHMENT,
        ),
    ),
}

# --- SQS -----------------------------------------------------------------------------------------
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

SQS: Table = {
    "SetQueueAttributes": (
        _t("aws_sqs_queue", _QUEUE, keyed=("requestParameters.attributes",), key_map=_QUEUE_ATTRIBUTE_KEYS),
    ),
    "TagQueue": (_t("aws_sqs_queue", _QUEUE, "tags"),),
    "UntagQueue": (_t("aws_sqs_queue", _QUEUE, "tags"),),
    "AddPermission": (_t("aws_sqs_queue", _QUEUE, "policy"),),
    "RemovePermission": (_t("aws_sqs_queue", _QUEUE, "policy"),),
    "DeleteQueue": (_delete("aws_sqs_queue", _QUEUE),),
    "CreateQueue": (_create("aws_sqs_queue", ("responseElements.queueUrl", "requestParameters.queueName")),),
}

# --- SNS -----------------------------------------------------------------------------------------
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

SNS: Table = {
    "SetTopicAttributes": (
        _t(
            "aws_sns_topic", _TOPIC, keyed=("requestParameters.attributeName",), key_map=_TOPIC_ATTRIBUTE_KEYS
        ),
    ),
    "TagResource": (_t("aws_sns_topic", _TOPIC, "tags"),),
    "UntagResource": (_t("aws_sns_topic", _TOPIC, "tags"),),
    "AddPermission": (_t("aws_sns_topic", _TOPIC, "policy"),),
    "RemovePermission": (_t("aws_sns_topic", _TOPIC, "policy"),),
    "PutDataProtectionPolicy": (_t("aws_sns_topic", _TOPIC, "data_protection_policy"),),
    "DeleteTopic": (_delete("aws_sns_topic", _TOPIC),),
    "CreateTopic": (_create("aws_sns_topic", "responseElements.topicArn"),),
}

RULES: Mapping[str, Table] = MappingProxyType(
    {
        "s3.amazonaws.com": S3,
        "ec2.amazonaws.com": EC2,
        "iam.amazonaws.com": IAM,
        "sqs.amazonaws.com": SQS,
        "sns.amazonaws.com": SNS,
    }
)

# Mutating calls not in the tables still name their resource in these places (attributes unknown).
FALLBACK: Mapping[str, tuple[Target, ...]] = MappingProxyType(
    {
        "s3.amazonaws.com": tuple(_t(t, _BUCKET) for t in _S3_BUCKET_TYPES),
        "ec2.amazonaws.com": (
            _t("aws_instance", "requestParameters.instanceId"),
            _t("aws_security_group", "requestParameters.groupId"),
        ),
        "iam.amazonaws.com": (
            _t("aws_iam_role", _ROLE),
            _t("aws_iam_user", _USER),
            _t("aws_iam_policy", _POLICY),
        ),
        "sqs.amazonaws.com": (_t("aws_sqs_queue", _QUEUE),),
        "sns.amazonaws.com": (_t("aws_sns_topic", _TOPIC),),
    }
)

# The 16 resource types the engine collects (issue 2); the tables must cover each of them.
COVERED_TYPES = (
    "aws_s3_bucket",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc",
    "aws_subnet",
    "aws_iam_role",
    "aws_iam_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_user",
    "aws_sqs_queue",
    "aws_sns_topic",
    "aws_instance",
)


def rules_for(event_source: str, event_name: str) -> tuple[Target, ...]:
    return RULES.get(event_source, {}).get(event_name, ())


def services_for_type(resource_type: str) -> frozenset[str]:
    """eventSources whose tables can change this resource type (for time-proximity candidates)."""
    return frozenset(
        source
        for source, table in RULES.items()
        if any(target.type == resource_type for targets in table.values() for target in targets)
    )
