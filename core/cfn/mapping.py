"""Data: how CloudFormation resource types and properties correspond to Terraform types and attributes.

The live collectors speak Terraform (`visibility_timeout_seconds`, `tags.Env`); templates speak
CloudFormation (`VisibilityTimeout`, `/Properties/Tags/0/Value`). Each table row says where a
template property lives on the live side and how to compare it. Adding a property is adding a row.

Row fields:
- `cfn`: property path below `Properties`, `/`-separated (`VersioningConfiguration/Status`);
- `tf`: candidate Terraform attribute paths, tried in order (the first present in the live
  attributes is used; absent everywhere means "not read live", never drift);
- `kind`: how values compare: `scalar`, `tags` (Key/Value list vs map), `json` (policy documents,
  semantic), `set` (list of scalars, order-free), `rules` (security-group rules),
  `inline_policies` (IAM role `Policies` vs `inline_policy`);
- `defaults`: the service's value(s) when the template leaves the property unset; when given, a live
  value outside them is reported as "not in template". `None` means unset is not checked (e.g. a
  name CloudFormation generates).
- `live_to_cfn`: name of a converter in `compare.LIVE_CONVERTERS` (live value -> template spelling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from driftdeck.core.resource_types.projections import cloudformation_types, physical_id_forms


@dataclass(frozen=True)
class PropertyMap:
    cfn: str
    tf: tuple[str, ...]
    kind: str = "scalar"
    defaults: tuple[Any, ...] | None = None
    live_to_cfn: str | None = None


def _p(cfn: str, *tf: str, kind: str = "scalar", defaults: tuple[Any, ...] | None = None, conv: str | None = None) -> PropertyMap:
    return PropertyMap(cfn, tuple(tf), kind, defaults, conv)


TAGS = _p("Tags", "tags", kind="tags", defaults=({},))

# CloudFormation type -> Terraform type, for the types the engine's collectors read
# (`ResourceType.identity.cfn_type`).
TERRAFORM_TYPES: dict[str, str] = cloudformation_types()

CLOUDFORMATION_TYPES: dict[str, str] = {tf: cfn for cfn, tf in TERRAFORM_TYPES.items()}

# What CloudFormation's physical id is, in the form the Terraform provider uses as the id.
PHYSICAL_ID_FORM: dict[str, str] = physical_id_forms()

_SSE = "server_side_encryption_configuration[0].rule[0]"

PROPERTY_MAPS: dict[str, tuple[PropertyMap, ...]] = {
    "aws_s3_bucket": (
        _p("BucketName", "bucket"),
        TAGS,
        _p(
            "VersioningConfiguration/Status",
            "versioning_configuration[0].status",  # aws_s3_bucket_versioning spelling
            "versioning[0].enabled",  # aws_s3_bucket's computed block
            defaults=(None, "Disabled"),
            conv="versioning_status",
        ),
        _p(
            "BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm",
            f"{_SSE}.apply_server_side_encryption_by_default[0].sse_algorithm",
            "rule[0].apply_server_side_encryption_by_default[0].sse_algorithm",
            defaults=(None, "AES256"),
        ),
        # CloudFormation's own drift detection never looks at KMS key ids; we do.
        _p(
            "BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/KMSMasterKeyID",
            f"{_SSE}.apply_server_side_encryption_by_default[0].kms_master_key_id",
            "rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id",
            defaults=(None, ""),
        ),
        _p(
            "BucketEncryption/ServerSideEncryptionConfiguration/0/BucketKeyEnabled",
            f"{_SSE}.bucket_key_enabled",
            "rule[0].bucket_key_enabled",
            defaults=(None, False),
        ),
        _p("ObjectLockEnabled", "object_lock_enabled", defaults=(None, False)),
    ),
    "aws_sqs_queue": (
        _p("QueueName", "name"),
        TAGS,
        _p("VisibilityTimeout", "visibility_timeout_seconds", defaults=(30,)),
        _p("MessageRetentionPeriod", "message_retention_seconds", defaults=(345600,)),
        # The limit rose from 256 KiB to 1 MiB in 2025; either is "the default" depending on age.
        _p("MaximumMessageSize", "max_message_size", defaults=(262144, 1048576)),
        _p("DelaySeconds", "delay_seconds", defaults=(0,)),
        _p("ReceiveMessageWaitTimeSeconds", "receive_wait_time_seconds", defaults=(0,)),
        _p("FifoQueue", "fifo_queue", defaults=(None, False)),
        _p("ContentBasedDeduplication", "content_based_deduplication", defaults=(None, False)),
        _p("KmsMasterKeyId", "kms_master_key_id", defaults=(None, "")),
        _p("KmsDataKeyReusePeriodSeconds", "kms_data_key_reuse_period_seconds", defaults=(None, 300)),
        _p("SqsManagedSseEnabled", "sqs_managed_sse_enabled"),
        _p("RedrivePolicy", "redrive_policy", kind="json", defaults=(None,)),
        _p("RedriveAllowPolicy", "redrive_allow_policy", kind="json", defaults=(None,)),
        _p("DeduplicationScope", "deduplication_scope"),
        _p("FifoThroughputLimit", "fifo_throughput_limit"),
    ),
    "aws_sns_topic": (
        _p("TopicName", "name"),
        TAGS,
        _p("DisplayName", "display_name", defaults=(None, "")),
        _p("KmsMasterKeyId", "kms_master_key_id", defaults=(None, "")),
        _p("FifoTopic", "fifo_topic", defaults=(None, False)),
        _p("ContentBasedDeduplication", "content_based_deduplication", defaults=(None, False)),
        _p("DeliveryPolicy", "delivery_policy", kind="json"),
        _p("ArchivePolicy", "archive_policy", kind="json"),
        _p("SignatureVersion", "signature_version"),
        _p("TracingConfig", "tracing_config"),
    ),
    "aws_iam_role": (
        _p("RoleName", "name"),
        TAGS,
        _p("AssumeRolePolicyDocument", "assume_role_policy", kind="json"),
        _p("Description", "description", defaults=(None, "")),
        _p("MaxSessionDuration", "max_session_duration", defaults=(3600,)),
        _p("Path", "path", defaults=("/",)),
        _p("PermissionsBoundary", "permissions_boundary", defaults=(None, "")),
        _p("ManagedPolicyArns", "managed_policy_arns", kind="set", defaults=([],)),
        _p("Policies", "inline_policy", kind="inline_policies", defaults=([],)),
    ),
    "aws_iam_policy": (
        _p("ManagedPolicyName", "name"),
        _p("PolicyDocument", "policy", kind="json"),
        _p("Description", "description", defaults=(None, "")),
        _p("Path", "path", defaults=("/",)),
    ),
    "aws_iam_user": (
        _p("UserName", "name"),
        TAGS,
        _p("Path", "path", defaults=("/",)),
        _p("PermissionsBoundary", "permissions_boundary", defaults=(None, "")),
    ),
    "aws_security_group": (
        _p("GroupName", "name"),
        _p("GroupDescription", "description"),
        _p("VpcId", "vpc_id"),
        TAGS,
        _p("SecurityGroupIngress", "ingress", kind="rules", defaults=([],)),
        # Unset egress means CloudFormation keeps the default allow-all rule.
        _p(
            "SecurityGroupEgress",
            "egress",
            kind="rules",
            defaults=([{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}],),
        ),
    ),
    "aws_vpc": (
        _p("CidrBlock", "cidr_block"),
        TAGS,
        _p("EnableDnsSupport", "enable_dns_support", defaults=(True,)),
        _p("EnableDnsHostnames", "enable_dns_hostnames", defaults=(False,)),
        _p("InstanceTenancy", "instance_tenancy", defaults=("default",)),
    ),
    "aws_subnet": (
        _p("VpcId", "vpc_id"),
        _p("CidrBlock", "cidr_block"),
        TAGS,
        _p("AvailabilityZone", "availability_zone"),
        _p("AvailabilityZoneId", "availability_zone_id"),
        _p("MapPublicIpOnLaunch", "map_public_ip_on_launch", defaults=(False,)),
        _p("AssignIpv6AddressOnCreation", "assign_ipv6_address_on_creation", defaults=(None, False)),
        _p("Ipv6CidrBlock", "ipv6_cidr_block"),
    ),
    "aws_instance": (
        _p("ImageId", "ami"),
        _p("InstanceType", "instance_type"),
        TAGS,
        _p("KeyName", "key_name"),
        _p("SubnetId", "subnet_id"),
        _p("SecurityGroupIds", "vpc_security_group_ids", kind="set"),
        _p("SecurityGroups", "security_groups", kind="set"),
        _p("IamInstanceProfile", "iam_instance_profile"),
        _p("Monitoring", "monitoring", defaults=(None, False)),
        _p("EbsOptimized", "ebs_optimized"),
        _p("SourceDestCheck", "source_dest_check", defaults=(None, True)),
        _p("DisableApiTermination", "disable_api_termination", defaults=(None, False)),
        _p("InstanceInitiatedShutdownBehavior", "instance_initiated_shutdown_behavior", defaults=(None, "stop")),
        _p("PrivateIpAddress", "private_ip"),
        _p("AvailabilityZone", "availability_zone"),
        _p("Tenancy", "tenancy", defaults=(None, "default")),
        _p("UserData", "user_data_base64"),
    ),
}


def terraform_type(cfn_type: str) -> str | None:
    """The Terraform type for a CloudFormation type, or None when the engine has no collector for it."""
    return TERRAFORM_TYPES.get(cfn_type)


def property_maps(tf_type: str) -> tuple[PropertyMap, ...]:
    return PROPERTY_MAPS.get(tf_type, ())


def mapped_properties(tf_type: str) -> frozenset[str]:
    """Top-level template properties that are compared for this type (others are not checked)."""
    return frozenset(row.cfn.split("/", 1)[0] for row in property_maps(tf_type))
