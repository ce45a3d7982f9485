"""S3: the bucket and the bucket-level resources split out of it in provider v4+."""

from __future__ import annotations

from types import MappingProxyType

from driftdeck.core.resource_types.facts import (
    CFN_TAGS,
    ArnRow,
    Identity,
    ResourceType,
    Risk,
    Unsupported,
    cfn_property,
    create,
    delete,
    row,
    target,
)

SOURCE = "s3.amazonaws.com"
_BUCKET = "requestParameters.bucketName"
_SSE = "server_side_encryption_configuration[0].rule[0]"
_PAB_ATTRS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
_NO_TAGS = Unsupported("has no tags of its own (its bucket's tags apply)")
_BUCKET_PART_ID = "bucket name"
_NOT_IN_CFN = Unsupported("a property of AWS::S3::Bucket in CloudFormation, compared there")
_PART_OF_BUCKET = Unsupported("found by ARN as its bucket")


def _bucket_part(name: str, *, events: tuple, force_new: frozenset[str], arguments: tuple[str, ...],
                 revert: str | Unsupported) -> ResourceType:
    return ResourceType(
        name=name, service="s3", parent="aws_s3_bucket",
        identity=Identity(_BUCKET_PART_ID, None, _NOT_IN_CFN),
        event_source=SOURCE, events=(*events, delete("DeleteBucket", name, _BUCKET)),
        fallback=(target(name, _BUCKET),),
        collector="s3", force_new=force_new, replacement_cost=(), import_arguments=arguments,
        computed_when_unset=frozenset(), revert=revert, tag_revert=_NO_TAGS, arn=_PART_OF_BUCKET,
    )


def _bucket_rows(event_name: str, attrs: str | tuple[str, ...]) -> tuple:
    return (row(event_name, "aws_s3_bucket", _BUCKET, attrs),)


# Template property -> Terraform attribute rows for aws_s3_bucket (see `facts.PropertyMap`).
_BUCKET_CFN_PROPERTIES = (
    cfn_property("BucketName", "bucket"),
    CFN_TAGS,
    cfn_property(
        "VersioningConfiguration/Status",
        "versioning_configuration[0].status",  # aws_s3_bucket_versioning spelling
        "versioning[0].enabled",  # aws_s3_bucket's computed block
        defaults=(None, "Disabled"),
        conv="versioning_status",
    ),
    cfn_property(
        "BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm",
        f"{_SSE}.apply_server_side_encryption_by_default[0].sse_algorithm",
        "rule[0].apply_server_side_encryption_by_default[0].sse_algorithm",
        defaults=(None, "AES256"),
    ),
    # CloudFormation's own drift detection never looks at KMS key ids; we do.
    cfn_property(
        "BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/KMSMasterKeyID",
        f"{_SSE}.apply_server_side_encryption_by_default[0].kms_master_key_id",
        "rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id",
        defaults=(None, ""),
    ),
    cfn_property(
        "BucketEncryption/ServerSideEncryptionConfiguration/0/BucketKeyEnabled",
        f"{_SSE}.bucket_key_enabled",
        "rule[0].bucket_key_enabled",
        defaults=(None, False),
    ),
    cfn_property("ObjectLockEnabled", "object_lock_enabled", defaults=(None, False)),
)

BUCKET = ResourceType(
    name="aws_s3_bucket", service="s3",
    identity=Identity("bucket name", "bucket", "AWS::S3::Bucket", cfn_name_property="BucketName",
                      cfn_attributes=MappingProxyType({"Arn": "s3_arn", "DomainName": "s3_domain_name"})),
    cfn_properties=_BUCKET_CFN_PROPERTIES,
    event_source=SOURCE,
    events=(
        *_bucket_rows("PutBucketTagging", "tags"),
        *_bucket_rows("DeleteBucketTagging", "tags"),
        *_bucket_rows("PutBucketVersioning", "versioning"),
        *_bucket_rows("PutBucketPolicy", "policy"),
        *_bucket_rows("DeleteBucketPolicy", "policy"),
        *_bucket_rows("PutBucketEncryption", "server_side_encryption_configuration"),
        *_bucket_rows("DeleteBucketEncryption", "server_side_encryption_configuration"),
        *_bucket_rows("PutBucketAcl", ("acl", "grant")),
        *_bucket_rows("PutBucketLogging", "logging"),
        *_bucket_rows("PutBucketLifecycle", "lifecycle_rule"),
        *_bucket_rows("PutBucketLifecycleConfiguration", "lifecycle_rule"),
        *_bucket_rows("PutBucketCors", "cors_rule"),
        *_bucket_rows("PutBucketWebsite", "website"),
        *_bucket_rows("PutBucketReplication", "replication_configuration"),
        *_bucket_rows("PutBucketRequestPayment", "request_payer"),
        *_bucket_rows("PutAccelerateConfiguration", "acceleration_status"),
        *_bucket_rows("PutBucketObjectLockConfiguration", "object_lock_configuration"),
        delete("DeleteBucket", "aws_s3_bucket", _BUCKET),
        create("CreateBucket", "aws_s3_bucket", _BUCKET),
    ),
    fallback=(target("aws_s3_bucket", _BUCKET),),
    collector="s3",
    force_new=frozenset({"bucket", "bucket_prefix", "object_lock_enabled"}),
    replacement_cost=(Risk("data-loss", "replacing a bucket deletes it: every object (and version) in it is lost unless "
                                        "copied first; the name may not be reusable at once"),),
    import_arguments=("bucket", "tags"),
    computed_when_unset=frozenset({
        "versioning", "server_side_encryption_configuration", "policy", "acl", "grant", "lifecycle_rule", "logging",
        "website", "cors_rule", "replication_configuration", "object_lock_configuration", "request_payer",
        "acceleration_status",
    }),
    revert="s3_bucket", tag_revert="s3_bucket",
    arn=ArnRow("s3", "", "bare_name"),
)

VERSIONING = _bucket_part(
    "aws_s3_bucket_versioning",
    events=(row("PutBucketVersioning", "aws_s3_bucket_versioning", _BUCKET, ("versioning_configuration", "mfa")),),
    force_new=frozenset({"bucket", "expected_bucket_owner"}),
    arguments=("bucket", "versioning_configuration"), revert="s3_versioning",
)

PUBLIC_ACCESS_BLOCK = _bucket_part(
    "aws_s3_bucket_public_access_block",
    events=(
        row("PutBucketPublicAccessBlock", "aws_s3_bucket_public_access_block", _BUCKET, _PAB_ATTRS),
        row("PutPublicAccessBlock", "aws_s3_bucket_public_access_block", _BUCKET, _PAB_ATTRS),
        delete("DeleteBucketPublicAccessBlock", "aws_s3_bucket_public_access_block", _BUCKET),
        delete("DeletePublicAccessBlock", "aws_s3_bucket_public_access_block", _BUCKET),
    ),
    force_new=frozenset({"bucket"}),
    arguments=("bucket", *_PAB_ATTRS), revert="s3_public_access_block",
)

POLICY = _bucket_part(
    "aws_s3_bucket_policy",
    events=(
        row("PutBucketPolicy", "aws_s3_bucket_policy", _BUCKET, "policy"),
        delete("DeleteBucketPolicy", "aws_s3_bucket_policy", _BUCKET),
    ),
    force_new=frozenset({"bucket"}),
    arguments=("bucket", "policy"), revert="s3_bucket_policy",
)

ENCRYPTION = _bucket_part(
    "aws_s3_bucket_server_side_encryption_configuration",
    events=(
        row("PutBucketEncryption", "aws_s3_bucket_server_side_encryption_configuration", _BUCKET, ("rule",)),
        delete("DeleteBucketEncryption", "aws_s3_bucket_server_side_encryption_configuration", _BUCKET),
    ),
    force_new=frozenset({"bucket", "expected_bucket_owner"}),
    arguments=("bucket", "rule"),
    revert=Unsupported("no boto3 revert written yet: the plan reverts it with terraform apply"),
)

TYPES = (BUCKET, VERSIONING, PUBLIC_ACCESS_BLOCK, POLICY, ENCRYPTION)
