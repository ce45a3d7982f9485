"""S3 collectors: the bucket and its four configuration sub-resources.

API answers are shared through the scan memo: one ListBuckets per scan, and each per-bucket Get*
call at most once per bucket even though both `aws_s3_bucket` (legacy inline attributes such as
`policy` and `versioning`) and the dedicated sub-resource read the same configuration. Per bucket
that is at most five requests for all five types together, where Terraform's refresh of
`aws_s3_bucket` alone makes about fifteen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import botocore.exceptions

from driftdeck.core.aws import AwsContext, error_code
from driftdeck.core.live.collectors import register
from driftdeck.core.live.collectors.base import Collector, ReadOutcome
from driftdeck.core.live.collectors.fanout import map_concurrently, read_each
from driftdeck.core.model import DesiredResource, LiveResource

# "The bucket does not exist". HeadBucket has no error document, so there a bare 404 says it; a
# bodiless 404 to any other call (a wrong endpoint, an unimplemented API) proves nothing.
BUCKET_NOT_FOUND = frozenset({"NoSuchBucket"})
HEAD_NOT_FOUND = frozenset({"NoSuchBucket", "404", "NotFound"})
# "This configuration is not set on the bucket": the sub-resource is missing, the bucket is not.
POLICY_NOT_FOUND = frozenset({"NoSuchBucketPolicy"})
ENCRYPTION_NOT_FOUND = frozenset({"ServerSideEncryptionConfigurationNotFoundError"})
PUBLIC_ACCESS_BLOCK_NOT_FOUND = frozenset({"NoSuchPublicAccessBlockConfiguration"})
TAGS_NOT_FOUND = frozenset({"NoSuchTagSet", "NoSuchTagSetError"})


class BucketGone(Exception):
    """The bucket itself does not exist (an explicit answer from S3)."""


def _bucket_name(resource: DesiredResource) -> str:
    # Sub-resource ids are "bucket" or "bucket,expected_bucket_owner".
    name = resource.attributes.get("bucket")
    return str(name) if name else resource.id.split(",")[0]


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


# --- shared, memoised API access ----------------------------------------------------------------


def list_buckets(ctx: AwsContext, region: str) -> dict[str, str | None]:
    """Every bucket of the account -> its region when ListBuckets says (once per scan)."""

    def fetch() -> dict[str, str | None]:
        client = ctx.client("s3", region)
        buckets: dict[str, str | None] = {}
        # An explicit page size makes S3 paginate (an unpaginated ListBuckets is only allowed
        # below the default bucket quota); 10000 is S3's maximum and keeps moto, which drops the
        # continuation token, from truncating the list.
        for page in client.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": 10000}):
            for b in page.get("Buckets") or []:
                buckets[b["Name"]] = b.get("BucketRegion")
        return buckets

    return ctx.memo(("s3", "list_buckets"), fetch)


def bucket_exists(ctx: AwsContext, region: str, bucket: str) -> bool:
    """From the listing; a bucket not listed is confirmed with HeadBucket (404 -> gone)."""
    try:
        if bucket in list_buckets(ctx, region):
            return True
    except botocore.exceptions.ClientError:
        # ListAllMyBuckets may be denied while per-bucket reads are allowed: ask the bucket itself.
        pass

    def head() -> bool:
        try:
            ctx.client("s3", region).head_bucket(Bucket=bucket)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) in HEAD_NOT_FOUND:
                return False
            raise
        return True

    return ctx.memo(("s3", "head_bucket", bucket), head)


def bucket_call(
    ctx: AwsContext, region: str, operation: str, bucket: str, absent: frozenset[str]
) -> dict[str, Any] | None:
    """One Get* call per bucket per scan; None when S3 says the configuration is not set.

    NoSuchBucket raises BucketGone; any other error propagates (-> unknown).
    """

    def fetch() -> dict[str, Any] | None:
        try:
            response: dict[str, Any] = getattr(ctx.client("s3", region), operation)(Bucket=bucket)
        except botocore.exceptions.ClientError as exc:
            code = error_code(exc)
            if code in absent:
                return None
            if code in BUCKET_NOT_FOUND:
                raise BucketGone(bucket) from None
            raise
        return response

    return ctx.memo(("s3", operation, bucket), fetch)


def listed_region(ctx: AwsContext, region: str, bucket: str) -> str | None:
    """The region ListBuckets reports for `bucket` (real S3 does; None when unknown), so that
    per-bucket calls go straight to the bucket's region instead of through a redirect."""
    try:
        return list_buckets(ctx, region).get(bucket)
    except botocore.exceptions.ClientError:
        return None


def bucket_region(ctx: AwsContext, region: str, bucket: str) -> str:
    """The bucket's region: from ListBuckets when it says, else GetBucketLocation (memoised)."""
    known = list_buckets(ctx, region).get(bucket)
    if known:
        return known

    def locate() -> str:
        answer = ctx.client("s3", region).get_bucket_location(Bucket=bucket)
        constraint = answer.get("LocationConstraint")
        # S3's legacy spellings: no constraint is us-east-1, "EU" is eu-west-1.
        return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint)

    return ctx.memo(("s3", "get_bucket_location", bucket), locate)


# --- API answers in Terraform's shapes ----------------------------------------------------------


def tags_from(answer: dict[str, Any] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in (answer or {}).get("TagSet") or []}


def policy_from(answer: dict[str, Any] | None) -> str:
    return str((answer or {}).get("Policy") or "")


def encryption_rules(answer: dict[str, Any] | None) -> list[dict[str, Any]]:
    """`rule` blocks as the provider writes them for both the bucket and the SSE resource."""
    rules = ((answer or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    out = []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault")
        out.append(
            {
                "apply_server_side_encryption_by_default": [
                    {
                        "kms_master_key_id": default.get("KMSMasterKeyID") or "",
                        "sse_algorithm": default.get("SSEAlgorithm") or "",
                    }
                ]
                if default
                else [],
                "bucket_key_enabled": bool(rule.get("BucketKeyEnabled", False)),
            }
        )
    return out


def versioning_status(answer: dict[str, Any] | None) -> str:
    # A bucket that never had versioning has no Status; the provider spells that "Disabled".
    return str((answer or {}).get("Status") or "Disabled")


# --- collectors ---------------------------------------------------------------------------------


class _BucketScoped(Collector):
    """Common read loop: one live object per bucket, concurrent over buckets."""

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        def one(resource: DesiredResource) -> ReadOutcome:
            bucket = _bucket_name(resource)
            try:
                if not bucket_exists(ctx, region, bucket):
                    return ReadOutcome.missing()
                where = listed_region(ctx, region, bucket) or region
                attributes = self.live_attributes(ctx, where, bucket)
            except BucketGone:
                return ReadOutcome.missing()
            if attributes is None:
                return ReadOutcome.missing()
            return ReadOutcome(
                live=LiveResource(
                    type=self.resource_type, id=resource.id, attributes=attributes, region=where, arn=bucket_arn(bucket)
                )
            )

        return read_each(resources, one, BUCKET_NOT_FOUND)

    def live_attributes(self, ctx: AwsContext, region: str, bucket: str) -> dict[str, Any] | None:
        """Live attributes of the bucket's configuration; None when it is not set (-> missing)."""
        raise NotImplementedError


@register
class S3BucketCollector(_BucketScoped):
    """`aws_s3_bucket`: tags and the legacy inline views of policy, versioning and encryption.

    Terraform refreshes those inline views on the bucket too (they drift together with the
    dedicated sub-resources in `terraform plan -refresh-only`), so they are checked here as well.
    """

    resource_type = "aws_s3_bucket"
    checked_attributes = ("bucket", "tags", "policy", "versioning", "server_side_encryption_configuration")
    json_attributes = frozenset({"policy"})
    set_attributes = frozenset({"server_side_encryption_configuration[].rule"})
    discoverable = True

    def live_attributes(self, ctx: AwsContext, region: str, bucket: str) -> dict[str, Any] | None:
        calls: list[tuple[str, frozenset[str]]] = [
            ("get_bucket_tagging", TAGS_NOT_FOUND),
            ("get_bucket_policy", POLICY_NOT_FOUND),
            ("get_bucket_versioning", frozenset()),
            ("get_bucket_encryption", ENCRYPTION_NOT_FOUND),
        ]
        tagging, policy, versioning, encryption = map_concurrently(
            calls, lambda c: bucket_call(ctx, region, c[0], bucket, c[1]), max_workers=4
        )
        rules = encryption_rules(encryption)
        ver = versioning or {}
        return {
            "bucket": bucket,
            "tags": tags_from(tagging),
            "policy": policy_from(policy),
            "versioning": [
                {"enabled": ver.get("Status") == "Enabled", "mfa_delete": ver.get("MFADelete") == "Enabled"}
            ],
            "server_side_encryption_configuration": [{"rule": rules}] if rules else [],
        }

    def discover(self, ctx: AwsContext, region: str) -> list[LiveResource]:
        names = sorted(list_buckets(ctx, region))
        regions = map_concurrently(names, lambda name: bucket_region(ctx, region, name))
        return [
            LiveResource(type=self.resource_type, id=name, attributes={"bucket": name}, region=region, arn=bucket_arn(name))
            for name, where in zip(names, regions, strict=True)
            if where == region
        ]

    def live_id(self, resource: DesiredResource) -> str:
        return _bucket_name(resource)


@register
class S3BucketVersioningCollector(_BucketScoped):
    """`aws_s3_bucket_versioning` (GetBucketVersioning)."""

    resource_type = "aws_s3_bucket_versioning"
    checked_attributes = ("bucket", "versioning_configuration")

    def live_attributes(self, ctx: AwsContext, region: str, bucket: str) -> dict[str, Any] | None:
        answer = bucket_call(ctx, region, "get_bucket_versioning", bucket, frozenset())
        return {
            "bucket": bucket,
            "versioning_configuration": [
                {"status": versioning_status(answer), "mfa_delete": (answer or {}).get("MFADelete") or ""}
            ],
        }


@register
class S3BucketPublicAccessBlockCollector(_BucketScoped):
    """`aws_s3_bucket_public_access_block` (GetPublicAccessBlock); no configuration -> missing."""

    resource_type = "aws_s3_bucket_public_access_block"
    checked_attributes = (
        "bucket",
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    )

    def live_attributes(self, ctx: AwsContext, region: str, bucket: str) -> dict[str, Any] | None:
        answer = bucket_call(ctx, region, "get_public_access_block", bucket, PUBLIC_ACCESS_BLOCK_NOT_FOUND)
        if answer is None:
            return None
        conf = answer.get("PublicAccessBlockConfiguration") or {}
        return {
            "bucket": bucket,
            "block_public_acls": bool(conf.get("BlockPublicAcls", False)),
            "block_public_policy": bool(conf.get("BlockPublicPolicy", False)),
            "ignore_public_acls": bool(conf.get("IgnorePublicAcls", False)),
            "restrict_public_buckets": bool(conf.get("RestrictPublicBuckets", False)),
        }


@register
class S3BucketPolicyCollector(_BucketScoped):
    """`aws_s3_bucket_policy` (GetBucketPolicy), compared as a policy document; none -> missing."""

    resource_type = "aws_s3_bucket_policy"
    checked_attributes = ("bucket", "policy")
    json_attributes = frozenset({"policy"})

    def live_attributes(self, ctx: AwsContext, region: str, bucket: str) -> dict[str, Any] | None:
        answer = bucket_call(ctx, region, "get_bucket_policy", bucket, POLICY_NOT_FOUND)
        if answer is None:
            return None
        return {"bucket": bucket, "policy": policy_from(answer)}


@register
class S3BucketEncryptionCollector(_BucketScoped):
    """`aws_s3_bucket_server_side_encryption_configuration` (GetBucketEncryption); none -> missing."""

    resource_type = "aws_s3_bucket_server_side_encryption_configuration"
    checked_attributes = ("bucket", "rule")
    set_attributes = frozenset({"rule"})

    def live_attributes(self, ctx: AwsContext, region: str, bucket: str) -> dict[str, Any] | None:
        answer = bucket_call(ctx, region, "get_bucket_encryption", bucket, ENCRYPTION_NOT_FOUND)
        if answer is None:
            return None
        return {"bucket": bucket, "rule": encryption_rules(answer)}
