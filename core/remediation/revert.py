"""Revert: AWS API calls that put exactly the drifted attributes back to their state values.

Each builder answers some differences of one resource and leaves the rest for `terraform apply`.
Calls are `AwsCall`s, so the AWS CLI line shown to the operator and the boto3 call `apply` runs are
one and the same. Only builders listed in `SAFE_KINDS` have a tested boto3 path; `apply` refuses
any plan that needs another.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from driftdeck.core.model import ChangeKind, Difference, ResourceResult, Status
from driftdeck.core.remediation.plan import AwsCall
from driftdeck.core.remediation.sensitive import MARKER, Sensitivity, placeholder, sensitivity_of
from driftdeck.core.resource_types.projections import revert_builders, tag_reverts

# Drift kinds whose boto3 revert is exercised against moto by the test suite.
SAFE_KINDS = frozenset({"tags", "security-group-rules", "s3-versioning", "s3-public-access-block", "sqs-attributes"})


@dataclass
class RevertCalls:
    calls: list[AwsCall] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def revert_calls(result: ResourceResult) -> RevertCalls:
    """The AWS calls that undo `result`'s live drift, for the drift kinds driftdeck knows."""
    out = RevertCalls()
    if result.status == Status.UNMANAGED:
        _unmanaged_rule(result, out)
        return out
    if result.status != Status.CHANGED:
        return out
    sens = sensitivity_of(result)
    live_diffs = [d for d in result.differences if d.side == "live"]
    # Tag calls show a placeholder for a secret value, so sensitive tags are answered too.
    tag_diffs = [d for d in live_diffs if d.path.startswith("tags.")]
    if tag_diffs:
        _tags(result, tag_diffs, out, sens)
    builder = _BUILDERS.get(_BUILDER_NAMES.get(result.type, ""))
    rest = [d for d in live_diffs if not d.path.startswith("tags.") and not d.sensitive and not sens.covers(d.path)]
    if builder is not None and rest:
        builder(result, rest, out)
    return out


# ---------------------------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------------------------


def expected_tags(result: ResourceResult) -> dict[str, str]:
    exp = result.expected or {}
    tags = exp.get("tags_all") if isinstance(exp.get("tags_all"), dict) else exp.get("tags")
    return {str(k): str(v) for k, v in (tags if isinstance(tags, dict) else {}).items()}


def _tags_known(result: ResourceResult) -> bool:
    """Whether state's tag values are at hand (a scan redacts a map with a sensitive tag as a whole)."""
    exp = result.expected or {}
    return isinstance(exp.get("tags_all"), dict) or isinstance(exp.get("tags"), dict) or not (
        exp.get("tags") == MARKER or exp.get("tags_all") == MARKER)


def _tags(result: ResourceResult, diffs: list[Difference], out: RevertCalls, sens: Sensitivity | None = None) -> None:
    sens = sens or Sensitivity()
    if _tags_known(result):
        expected = expected_tags(result)
    else:
        # the scan redacted the tag maps; the state file still has the values (shown only as placeholders)
        state = sens.state_attributes
        tags = state.get("tags_all") if isinstance(state.get("tags_all"), dict) else state.get("tags")
        if not isinstance(tags, dict):
            return  # the tag values are nowhere at hand: only `terraform apply` can restore them
        expected = {str(k): str(v) for k, v in tags.items()}
    secret = {k for k in expected if sens.covers(f"tags.{k}") or sens.covers(f"tags_all.{k}")}
    keys = [d.path.split(".", 1)[1] for d in diffs]
    restore = {k: expected[k] for k in keys if k in expected}
    drop = [k for k in keys if k not in expected]
    region = result.region
    rid = result.id
    exp = result.expected or {}
    calls: list[AwsCall] = []
    family = _TAG_FAMILIES.get(result.type)

    def call(service: str, operation: str, params: dict[str, Any], shown: dict[str, Any], effect: str,
             where: str | None = region) -> AwsCall:
        hidden = shown != params
        if hidden:
            effect += "; sensitive values are shown as placeholders: fill them in before running this command"
        return AwsCall(service, operation, params, effect, where, shown_params=shown if hidden else None)

    def tag_list(tags: dict[str, str]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        return _tag_list(tags), _tag_list({k: placeholder(f"tags.{k}") if k in secret else v for k, v in tags.items()})

    if family == "s3_bucket":
        bucket = str(exp.get("bucket") or rid)
        if expected:
            real, shown = tag_list(expected)
            calls.append(call("s3", "put_bucket_tagging", {"Bucket": bucket, "Tagging": {"TagSet": real}},
                              {"Bucket": bucket, "Tagging": {"TagSet": shown}},
                              f"replace the bucket's whole tag set with the {_count(len(expected), 'tag')} in state"))
        else:
            calls.append(AwsCall("s3", "delete_bucket_tagging", {"Bucket": bucket}, "remove every tag from the bucket", region))
    elif family == "ec2":
        if restore:
            real, shown = tag_list(restore)
            calls.append(call("ec2", "create_tags", {"Resources": [rid], "Tags": real}, {"Resources": [rid], "Tags": shown},
                              f"set {_tag_words(restore)} back to {_their(restore)} state value{_s(len(restore))}"))
        if drop:
            calls.append(AwsCall("ec2", "delete_tags", {"Resources": [rid], "Tags": [{"Key": k} for k in sorted(drop)]},
                                 f"remove {_tag_words(drop)} added out of band", region))
    elif family == "sqs":
        url = str(exp.get("url") or exp.get("id") or rid)
        if restore:
            shown_tags = {k: placeholder(f"tags.{k}") if k in secret else v for k, v in sorted(restore.items())}
            calls.append(call("sqs", "tag_queue", {"QueueUrl": url, "Tags": dict(sorted(restore.items()))},
                              {"QueueUrl": url, "Tags": shown_tags},
                              f"set {_tag_words(restore)} back to {_their(restore)} state value{_s(len(restore))}"))
        if drop:
            calls.append(AwsCall("sqs", "untag_queue", {"QueueUrl": url, "TagKeys": sorted(drop)},
                                 f"remove {_tag_words(drop)} added out of band", region))
    elif family == "sns":
        arn = str(exp.get("arn") or rid)
        if restore:
            real, shown = tag_list(restore)
            calls.append(call("sns", "tag_resource", {"ResourceArn": arn, "Tags": real}, {"ResourceArn": arn, "Tags": shown},
                              f"set {_tag_words(restore)} back to {_their(restore)} state value{_s(len(restore))}"))
        if drop:
            calls.append(AwsCall("sns", "untag_resource", {"ResourceArn": arn, "TagKeys": sorted(drop)},
                                 f"remove {_tag_words(drop)} added out of band", region))
    elif family in _IAM_TAGGING:
        noun, key_name, key_attr = _IAM_TAGGING[family]
        ident = str(exp.get(key_attr) or rid)
        if restore:
            real, shown = tag_list(restore)
            calls.append(call("iam", f"tag_{noun}", {key_name: ident, "Tags": real}, {key_name: ident, "Tags": shown},
                              f"set {_tag_words(restore)} back to {_their(restore)} state value{_s(len(restore))}", None))
        if drop:
            calls.append(AwsCall("iam", f"untag_{noun}", {key_name: ident, "TagKeys": sorted(drop)},
                                 f"remove {_tag_words(drop)} added out of band"))
    else:
        return
    out.calls.extend(calls)
    out.answered.extend(d.path for d in diffs)
    out.kinds.add("tags")
    hidden = sorted(k for k in secret if any(placeholder(f"tags.{k}") in c.cli() for c in calls))
    if hidden:
        out.notes.append(
            "the AWS CLI command shows " + ", ".join(placeholder(f"tags.{k}") for k in hidden)
            + " instead of the sensitive state value: fill it in before running the command, or use "
            "the terraform command; driftdeck's safe apply sends the state value without showing it")


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{_s(n)}"


def _their(items: Any) -> str:
    return "its" if len(items) == 1 else "their"


def _tag_words(keys: Any) -> str:
    names = sorted(keys)
    return f"tag{_s(len(names))} {', '.join(names)}"


# Which tag calls revert a type's tags, and which builder its other attributes: the registry's
# `ResourceType.tag_revert` / `.revert` name them, the code for each name is here.
_TAG_FAMILIES = tag_reverts()
_IAM_TAGGING = {
    "iam_role": ("role", "RoleName", "name"),
    "iam_user": ("user", "UserName", "name"),
    "iam_policy": ("policy", "PolicyArn", "arn"),
}


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


# ---------------------------------------------------------------------------------------------
# Per type
# ---------------------------------------------------------------------------------------------


def _security_group(result: ResourceResult, diffs: list[Difference], out: RevertCalls) -> None:
    for d in diffs:
        direction = d.path.split("[", 1)[0]
        if direction not in ("ingress", "egress") or d.path.count("[") != 1 or not d.path.endswith("]"):
            continue
        if d.change == ChangeKind.ADDED and isinstance(d.actual, dict):
            perm, verb = _permission(d.actual, result.id), "revoke"
            effect = f"remove the {direction} rule added out of band ({_rule_words(d.actual)})"
        elif d.change == ChangeKind.REMOVED and isinstance(d.expected, dict):
            perm, verb = _permission(d.expected, result.id), "authorize"
            effect = f"restore the {direction} rule removed out of band ({_rule_words(d.expected)})"
        else:
            continue
        out.calls.append(AwsCall("ec2", f"{verb}_security_group_{direction}", {"GroupId": result.id, "IpPermissions": [perm]},
                                 effect, result.region))
        out.answered.append(d.path)
        out.kinds.add("security-group-rules")


def _permission(block: dict[str, Any], group_id: str) -> dict[str, Any]:
    """A Terraform inline rule block as an EC2 IpPermission."""
    protocol = str(block.get("protocol") or "-1")
    desc = block.get("description") or None

    def described(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "Description": desc} if desc else item

    perm: dict[str, Any] = {"IpProtocol": protocol}
    if protocol != "-1":
        perm["FromPort"] = int(block.get("from_port") or 0)
        perm["ToPort"] = int(block.get("to_port") or 0)
    if block.get("cidr_blocks"):
        perm["IpRanges"] = [described({"CidrIp": c}) for c in block["cidr_blocks"]]
    if block.get("ipv6_cidr_blocks"):
        perm["Ipv6Ranges"] = [described({"CidrIpv6": c}) for c in block["ipv6_cidr_blocks"]]
    if block.get("prefix_list_ids"):
        perm["PrefixListIds"] = [described({"PrefixListId": p}) for p in block["prefix_list_ids"]]
    groups = list(block.get("security_groups") or [])
    if block.get("self"):
        groups.append(group_id)
    if groups:
        perm["UserIdGroupPairs"] = [described({"GroupId": g.split("/")[-1]}) for g in groups]
    return perm


def _rule_words(block: dict[str, Any]) -> str:
    protocol = block.get("protocol")
    ports = "all ports" if protocol == "-1" else f"{protocol} {block.get('from_port')}-{block.get('to_port')}"
    sources = [*(block.get("cidr_blocks") or []), *(block.get("ipv6_cidr_blocks") or []),
               *(block.get("prefix_list_ids") or []), *(block.get("security_groups") or [])]
    if block.get("self"):
        sources.append("self")
    return f"{ports} from {', '.join(sources) or 'nowhere'}"


def _security_group_rule(result: ResourceResult, diffs: list[Difference], out: RevertCalls) -> None:
    exp = result.expected or {}
    rule: dict[str, Any] = {"IpProtocol": str(exp.get("ip_protocol") or "-1")}
    if rule["IpProtocol"] != "-1":
        rule["FromPort"] = int(exp.get("from_port") or 0)
        rule["ToPort"] = int(exp.get("to_port") or 0)
    for attr, key in (("cidr_ipv4", "CidrIpv4"), ("cidr_ipv6", "CidrIpv6"), ("prefix_list_id", "PrefixListId"),
                      ("referenced_security_group_id", "ReferencedGroupId"), ("description", "Description")):
        if exp.get(attr):
            rule[key] = exp[attr]
    names = {"ip_protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "prefix_list_id",
             "referenced_security_group_id", "description"}
    mine = [d for d in diffs if d.path in names]
    if not mine or not exp.get("security_group_id"):
        return
    out.calls.append(AwsCall(
        "ec2", "modify_security_group_rules",
        {"GroupId": exp["security_group_id"], "SecurityGroupRules": [{"SecurityGroupRuleId": result.id, "SecurityGroupRule": rule}]},
        f"rewrite rule {result.id} to its state definition ({', '.join(d.path for d in mine)})", result.region,
    ))
    out.answered.extend(d.path for d in mine)
    out.kinds.add("security-group-rules")


def _unmanaged_rule(result: ResourceResult, out: RevertCalls) -> None:
    """An extra rule on a managed group: revoking it is the revert."""
    if _BUILDER_NAMES.get(result.type) != "security_group_rule":
        return
    live = result.live or {}
    group = live.get("security_group_id")
    if not group:
        return
    direction = "egress" if result.type.endswith("egress_rule") else "ingress"
    out.calls.append(AwsCall(
        "ec2", f"revoke_security_group_{direction}", {"GroupId": group, "SecurityGroupRuleIds": [result.id]},
        f"remove the {direction} rule {result.id} that no Terraform resource manages", result.region,
    ))
    out.answered.append(result.key)
    out.kinds.add("security-group-rules")


def _s3_versioning(result: ResourceResult, diffs: list[Difference], out: RevertCalls) -> None:
    mine = [d for d in diffs if d.path == "versioning_configuration[0].status"]
    if not mine:
        return
    exp = result.expected or {}
    status = str(mine[0].expected or "")
    bucket = str(exp.get("bucket") or result.id)
    if status == "Disabled":
        out.notes.append("S3 versioning cannot return to Disabled once enabled; the closest state is Suspended")
        status = "Suspended"
    out.calls.append(AwsCall("s3", "put_bucket_versioning", {"Bucket": bucket, "VersioningConfiguration": {"Status": status}},
                             f"set versioning of {bucket} back to {status}", result.region))
    out.answered.extend(d.path for d in mine)
    out.kinds.add("s3-versioning")


_PAB_FIELDS = {
    "block_public_acls": "BlockPublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "ignore_public_acls": "IgnorePublicAcls",
    "restrict_public_buckets": "RestrictPublicBuckets",
}


def _s3_public_access_block(result: ResourceResult, diffs: list[Difference], out: RevertCalls) -> None:
    mine = [d for d in diffs if d.path in _PAB_FIELDS]
    if not mine:
        return
    exp = result.expected or {}
    bucket = str(exp.get("bucket") or result.id)
    config = {api: bool(exp.get(tf)) for tf, api in _PAB_FIELDS.items()}
    out.calls.append(AwsCall("s3", "put_public_access_block", {"Bucket": bucket, "PublicAccessBlockConfiguration": config},
                             f"restore the public access block of {bucket} ({', '.join(d.path for d in mine)})", result.region))
    out.answered.extend(d.path for d in mine)
    out.kinds.add("s3-public-access-block")


# Terraform attribute -> SQS attribute that SetQueueAttributes accepts.
_SQS_SETTABLE = {
    "delay_seconds": "DelaySeconds",
    "max_message_size": "MaximumMessageSize",
    "message_retention_seconds": "MessageRetentionPeriod",
    "receive_wait_time_seconds": "ReceiveMessageWaitTimeSeconds",
    "visibility_timeout_seconds": "VisibilityTimeout",
    "policy": "Policy",
    "redrive_policy": "RedrivePolicy",
    "redrive_allow_policy": "RedriveAllowPolicy",
    "content_based_deduplication": "ContentBasedDeduplication",
    "deduplication_scope": "DeduplicationScope",
    "fifo_throughput_limit": "FifoThroughputLimit",
    "kms_master_key_id": "KmsMasterKeyId",
    "kms_data_key_reuse_period_seconds": "KmsDataKeyReusePeriodSeconds",
    "sqs_managed_sse_enabled": "SqsManagedSseEnabled",
}


def _sqs_queue(result: ResourceResult, diffs: list[Difference], out: RevertCalls) -> None:
    exp = result.expected or {}
    attrs: dict[str, str] = {}
    answered: list[str] = []
    for d in diffs:
        api = _SQS_SETTABLE.get(d.path)
        if api is None:
            continue
        attrs[api] = _sqs_text(exp.get(d.path, d.expected))
        answered.append(d.path)
    if not attrs:
        return
    url = str(exp.get("url") or exp.get("id") or result.id)
    out.calls.append(AwsCall("sqs", "set_queue_attributes", {"QueueUrl": url, "Attributes": attrs},
                             f"set {', '.join(answered)} back to the state values", result.region))
    out.answered.extend(answered)
    out.kinds.add("sqs-attributes")


def _sqs_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _s3_bucket_policy(result: ResourceResult, diffs: list[Difference], out: RevertCalls) -> None:
    mine = [d for d in diffs if d.path == "policy"]
    if not mine:
        return
    exp = result.expected or {}
    bucket = str(exp.get("bucket") or result.id)
    policy = exp.get("policy")
    if policy:
        call = AwsCall("s3", "put_bucket_policy", {"Bucket": bucket, "Policy": _json_text(policy)},
                       f"replace the bucket policy of {bucket} with the one in state", result.region)
    else:
        call = AwsCall("s3", "delete_bucket_policy", {"Bucket": bucket}, f"remove the bucket policy added to {bucket}", result.region)
    out.calls.append(call)
    out.answered.append("policy")
    out.kinds.add("s3-bucket-policy")


def _s3_bucket(result: ResourceResult, diffs: list[Difference], out: RevertCalls) -> None:
    """The bucket's own (deprecated, computed) `versioning` mirror and its `policy`."""
    _s3_bucket_policy(result, diffs, out)
    mine = [d for d in diffs if d.path == "versioning[0].enabled"]
    if not mine:
        return
    exp = result.expected or {}
    bucket = str(exp.get("bucket") or result.id)
    status = "Enabled" if mine[0].expected is True else "Suspended"
    out.calls.append(AwsCall("s3", "put_bucket_versioning", {"Bucket": bucket, "VersioningConfiguration": {"Status": status}},
                             f"set versioning of {bucket} back to {status}", result.region))
    out.answered.extend(d.path for d in mine)
    out.kinds.add("s3-versioning")


def _iam_role(result: ResourceResult, diffs: list[Difference], out: RevertCalls) -> None:
    exp = result.expected or {}
    name = str(exp.get("name") or result.id)
    for d in diffs:
        if d.path == "assume_role_policy" and exp.get("assume_role_policy"):
            out.calls.append(AwsCall("iam", "update_assume_role_policy",
                                     {"RoleName": name, "PolicyDocument": _json_text(exp["assume_role_policy"])},
                                     f"restore the trust policy of role {name}"))
            out.answered.append(d.path)
            out.kinds.add("iam-trust-policy")
        elif d.path in ("description", "max_session_duration"):
            key = "Description" if d.path == "description" else "MaxSessionDuration"
            out.calls.append(AwsCall("iam", "update_role", {"RoleName": name, key: exp.get(d.path)},
                                     f"set {d.path} of role {name} back to its state value"))
            out.answered.append(d.path)
            out.kinds.add("iam-role")


def _iam_policy(result: ResourceResult, diffs: list[Difference], out: RevertCalls) -> None:
    mine = [d for d in diffs if d.path == "policy"]
    exp = result.expected or {}
    if not mine or not exp.get("policy"):
        return
    arn = str(exp.get("arn") or result.id)
    out.calls.append(AwsCall("iam", "create_policy_version",
                             {"PolicyArn": arn, "PolicyDocument": _json_text(exp["policy"]), "SetAsDefault": True},
                             f"make the state's document the default version of {arn} (IAM keeps at most 5 versions)"))
    out.answered.append("policy")
    out.kinds.add("iam-policy")


def _sns_topic(result: ResourceResult, diffs: list[Difference], out: RevertCalls) -> None:
    exp = result.expected or {}
    arn = str(exp.get("arn") or result.id)
    names = {"display_name": "DisplayName", "policy": "Policy", "delivery_policy": "DeliveryPolicy",
             "kms_master_key_id": "KmsMasterKeyId", "signature_version": "SignatureVersion", "tracing_config": "TracingConfig"}
    for d in diffs:
        api = names.get(d.path)
        if api is None:
            continue
        value = exp.get(d.path)
        text = _json_text(value) if isinstance(value, (dict, list)) else "" if value is None else str(value)
        out.calls.append(AwsCall("sns", "set_topic_attributes", {"TopicArn": arn, "AttributeName": api, "AttributeValue": text},
                                 f"set {d.path} of the topic back to its state value", result.region))
        out.answered.append(d.path)
        out.kinds.add("sns-attributes")


# Builder name (`ResourceType.revert`) -> the code that writes its boto3 calls.
_BUILDERS: dict[str, Callable[[ResourceResult, list[Difference], RevertCalls], None]] = {
    "security_group": _security_group,
    "security_group_rule": _security_group_rule,
    "s3_versioning": _s3_versioning,
    "s3_public_access_block": _s3_public_access_block,
    "sqs_queue": _sqs_queue,
    "s3_bucket_policy": _s3_bucket_policy,
    "s3_bucket": _s3_bucket,
    "iam_role": _iam_role,
    "iam_policy": _iam_policy,
    "sns_topic": _sns_topic,
}
_BUILDER_NAMES = revert_builders()  # type -> builder name
