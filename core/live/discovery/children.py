"""Child objects of managed resources that Terraform never sees: objects put into a managed bucket,
subscriptions added to a managed topic, policies attached to (or put inline on) a managed group.

Each is an `unmanaged` finding whose `parent` is the managed resource's address, unless a resource
in the scan manages it. Runs for every found resource of a type in `CHILD_CHECKS`, whichever
reader read it. (The IAM role/user and security-group children live in their native collectors.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from driftdeck.core.aws import AwsContext, describe_failure, is_not_found, paginate
from driftdeck.core.model import DesiredResource, ResourceResult, Status, partition_for

# Buckets can hold millions of objects: one page, never more. The finding gives the count on that
# page (a lower bound when the page was full) and the first few keys.
OBJECT_PAGE = 1000
FIRST_KEYS = 5

_NOT_FOUND = frozenset({"NoSuchBucket", "NotFound", "NoSuchEntity", "NotFoundException"})

ChildCheck = Callable[[AwsContext, str, DesiredResource], list[ResourceResult]]


def _desired(ctx: AwsContext, *types: str) -> list[DesiredResource]:
    return [r for r in ctx.desired if r.type in types]


def _piece(rtype: str, rid: str, parent: DesiredResource, live: dict[str, Any], *, name: str, region: str | None,
           arn: str | None = None, what: str, aggregate: bool = False) -> ResourceResult:
    return ResourceResult(
        address=None, type=rtype, id=rid, status=Status.UNMANAGED, source=None, live=live, arn=arn, region=region,
        name=name, parent=parent.address, aggregate=aggregate,
        reason=f"{what} on managed {parent.type} {parent.id} that nothing in the scanned state manages",
    )


def bucket_objects(ctx: AwsContext, region: str, bucket: DesiredResource) -> list[ResourceResult]:
    """Objects in a managed bucket that no aws_s3_object (or legacy aws_s3_bucket_object) manages."""
    name = str(bucket.attributes.get("bucket") or bucket.id)
    claimed = {str(r.attributes.get("key")) for r in _desired(ctx, "aws_s3_object", "aws_s3_bucket_object")
               if r.attributes.get("bucket") == name}
    page = ctx.client("s3", region).list_objects_v2(Bucket=name, MaxKeys=OBJECT_PAGE)
    keys = [o["Key"] for o in page.get("Contents") or [] if o["Key"] not in claimed]
    if not keys:
        return []
    more = bool(page.get("IsTruncated"))
    count = f"{len(keys)}{'+' if more else ''}"
    first = keys[:FIRST_KEYS]
    live = {"bucket": name, "object_count": len(keys), "count_is_lower_bound": more, "first_keys": first}
    return [_piece(
        "aws_s3_object", f"{name}/*", bucket, live, name=f"{count} object(s) in {name}", region=region,
        arn=f"arn:{partition_for(region)}:s3:::{name}/*",
        what=f"{count} object(s) (first: {', '.join(first)})", aggregate=True,
    )]


def topic_subscriptions(ctx: AwsContext, region: str, topic: DesiredResource) -> list[ResourceResult]:
    """Subscriptions of a managed topic that no aws_sns_topic_subscription manages."""
    arn = str(topic.attributes.get("arn") or topic.id)
    claimed = {r.id for r in _desired(ctx, "aws_sns_topic_subscription")}
    claimed |= {str(r.attributes.get("arn")) for r in _desired(ctx, "aws_sns_topic_subscription")}
    subs = paginate(ctx.client("sns", region), "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
    out: list[ResourceResult] = []
    for sub in subs:
        sub_arn = str(sub.get("SubscriptionArn") or "")
        endpoint = f"{sub.get('Protocol')}:{sub.get('Endpoint')}"
        if sub_arn in claimed:
            continue
        confirmed = sub_arn.startswith("arn:")
        live = {"topic_arn": arn, "protocol": sub.get("Protocol"), "endpoint": sub.get("Endpoint"),
                "arn": sub_arn if confirmed else None}
        out.append(_piece(
            "aws_sns_topic_subscription", sub_arn if confirmed else f"{arn}:{endpoint}", topic, live,
            name=endpoint, region=region, arn=sub_arn if confirmed else None,
            what="subscription" + ("" if confirmed else " (pending confirmation)"),
        ))
    return out


def group_policies(ctx: AwsContext, region: str, group: DesiredResource) -> list[ResourceResult]:
    """Managed policies attached to, and inline policies put on, a managed IAM group."""
    name = str(group.attributes.get("name") or group.id)
    iam = ctx.client("iam")
    claimed_att = {f"{r.attributes.get('group')}/{r.attributes.get('policy_arn')}"
                   for r in _desired(ctx, "aws_iam_group_policy_attachment")}
    for r in _desired(ctx, "aws_iam_policy_attachment"):
        claimed_att |= {f"{g}/{r.attributes.get('policy_arn')}" for g in r.attributes.get("groups") or []}
    claimed_inline = {r.id for r in _desired(ctx, "aws_iam_group_policy")}
    out: list[ResourceResult] = []
    for att in paginate(iam, "list_attached_group_policies", "AttachedPolicies", GroupName=name):
        aid = f"{name}/{att['PolicyArn']}"
        if aid not in claimed_att:
            out.append(_piece(
                "aws_iam_group_policy_attachment", aid, group, {"group": name, "policy_arn": att["PolicyArn"]},
                name=str(att.get("PolicyName") or att["PolicyArn"].rsplit("/", 1)[-1]), region=None,
                arn=att["PolicyArn"], what="policy attachment",
            ))
    for policy_name in paginate(iam, "list_group_policies", "PolicyNames", GroupName=name):
        pid = f"{name}:{policy_name}"
        if pid not in claimed_inline:
            out.append(_piece("aws_iam_group_policy", pid, group, {"group": name, "name": policy_name},
                              name=policy_name, region=None, what="inline policy"))
    return out


CHILD_CHECKS: dict[str, ChildCheck] = {
    "aws_s3_bucket": bucket_objects,
    "aws_sns_topic": topic_subscriptions,
    "aws_iam_group": group_policies,
}


def child_findings(ctx: AwsContext, region: str, resource: DesiredResource) -> list[ResourceResult]:
    """The unmanaged children of one found managed resource; an `unknown` finding naming what was
    not checked when AWS would not answer (never an implied "none")."""
    check = CHILD_CHECKS.get(resource.type)
    if check is None:
        return []
    try:
        return check(ctx, region, resource)
    except Exception as exc:  # noqa: BLE001 - say which children were not checked
        if is_not_found(exc, _NOT_FOUND):
            return []  # gone between the read and this check: the resource's own verdict says so
        return [ResourceResult(
            address=None, type=resource.type, id=f"{resource.id}/*", status=Status.UNKNOWN, source=None,
            region=region, parent=resource.address,
            reason=f"objects Terraform cannot see under {resource.address} not checked: {describe_failure(exc)}",
        )]
