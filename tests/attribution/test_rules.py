"""The matching tables: every engine resource type is covered, and API calls map to the right attributes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from ct_records import iam_user, record
from repo_paths import CORPORA

from driftdeck.core.attribution import parse_log
from driftdeck.core.attribution.matching import touches
from driftdeck.core.attribution.rules import COVERED_TYPES, RULES

CORPUS = CORPORA / "cloudtrail"
WHEN = datetime(2026, 5, 1, 9, tzinfo=UTC)


def _touched(name: str, service: str, params: dict[str, Any], response: dict[str, Any] | None = None) -> dict:
    rec = record(name, service, iam_user("u"), when=WHEN, params=params, response=response)
    (event,) = parse_log(json.dumps(rec).encode(), "memory")
    return {(t.type, t.effect): (set(t.ids), t.attrs) for t in touches(event)}


@pytest.mark.parametrize("resource_type", COVERED_TYPES)
def test_each_engine_type_has_change_and_delete_rules(resource_type: str) -> None:
    effects = {
        target.effect
        for table in RULES.values()
        for targets in table.values()
        for target in targets
        if target.type == resource_type
    }
    assert {"delete"} <= effects and effects & {"update", "create"}, effects


CASES = [
    (
        "PutBucketTagging",
        "s3",
        {"bucketName": "b"},
        None,
        ("aws_s3_bucket", "update"),
        "b",
        {"tags", "tags_all"},
    ),
    (
        "PutBucketVersioning",
        "s3",
        {"bucketName": "b"},
        None,
        ("aws_s3_bucket_versioning", "update"),
        "b",
        {"versioning_configuration", "mfa"},
    ),
    (
        "PutPublicAccessBlock",
        "s3",
        {"bucketName": "b"},
        None,
        ("aws_s3_bucket_public_access_block", "update"),
        "b",
        {"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"},
    ),
    ("PutBucketPolicy", "s3", {"bucketName": "b"}, None, ("aws_s3_bucket_policy", "update"), "b", {"policy"}),
    (
        "PutBucketEncryption",
        "s3",
        {"bucketName": "b"},
        None,
        ("aws_s3_bucket_server_side_encryption_configuration", "update"),
        "b",
        {"rule"},
    ),
    (
        "AuthorizeSecurityGroupIngress",
        "ec2",
        {"groupId": "sg-1"},
        None,
        ("aws_security_group", "update"),
        "sg-1",
        {"ingress"},
    ),
    (
        "UpdateAssumeRolePolicy",
        "iam",
        {"roleName": "r"},
        None,
        ("aws_iam_role", "update"),
        "r",
        {"assume_role_policy"},
    ),
    (
        "DeleteQueue",
        "sqs",
        {"queueUrl": "https://sqs.us-east-1.amazonaws.com/1/q"},
        None,
        ("aws_sqs_queue", "delete"),
        "q",
        None,
    ),
    (
        "SetQueueAttributes",
        "sqs",
        {"queueUrl": "https://x/1/q", "attributes": {"VisibilityTimeout": "5", "Policy": "{}"}},
        None,
        ("aws_sqs_queue", "update"),
        "q",
        {"visibility_timeout_seconds", "policy"},
    ),
    ("TagRole", "iam", {"roleName": "r"}, None, ("aws_iam_role", "update"), "r", {"tags", "tags_all"}),
    ("TagUser", "iam", {"userName": "u1"}, None, ("aws_iam_user", "update"), "u1", {"tags", "tags_all"}),
    (
        "TagQueue",
        "sqs",
        {"queueUrl": "https://x/1/q"},
        None,
        ("aws_sqs_queue", "update"),
        "q",
        {"tags", "tags_all"},
    ),
    (
        "TagResource",
        "sns",
        {"resourceArn": "arn:aws:sns:us-east-1:1:t"},
        None,
        ("aws_sns_topic", "update"),
        "arn:aws:sns:us-east-1:1:t",
        {"tags", "tags_all"},
    ),
    (
        "CreateAccessKey",
        "iam",
        {"userName": "u1"},
        {"accessKey": {"accessKeyId": "AKIA1"}},
        ("aws_iam_access_key", "create"),
        "AKIA1",
        None,
    ),
    (
        "PutUserPolicy",
        "iam",
        {"userName": "u1", "policyName": "p"},
        None,
        ("aws_iam_user_policy", "create"),
        "u1:p",
        None,
    ),
    (
        "ModifyInstanceAttribute",
        "ec2",
        {"instanceId": "i-1", "instanceType": {"value": "t3.large"}},
        None,
        ("aws_instance", "update"),
        "i-1",
        {"instance_type"},
    ),
    (
        "ModifyInstanceAttribute",
        "ec2",
        {"instanceId": "i-1", "attribute": "disableApiTermination"},
        None,
        ("aws_instance", "update"),
        "i-1",
        {"disable_api_termination"},
    ),
    (
        "CreateTags",
        "ec2",
        {"resourcesSet": {"items": [{"resourceId": "vpc-1"}, {"resourceId": "i-9"}]}},
        None,
        ("aws_vpc", "update"),
        "vpc-1",
        {"tags", "tags_all"},
    ),
    (
        "DeleteTags",
        "ec2",
        {"resourcesSet": {"items": [{"resourceId": "subnet-1"}]}},
        None,
        ("aws_subnet", "update"),
        "subnet-1",
        {"tags", "tags_all"},
    ),
    (
        "SetTopicAttributes",
        "sns",
        {"topicArn": "arn:aws:sns:us-east-1:1:t", "attributeName": "DisplayName"},
        None,
        ("aws_sns_topic", "update"),
        "arn:aws:sns:us-east-1:1:t",
        {"display_name"},
    ),
    (
        "CreatePolicyVersion",
        "iam",
        {"policyArn": "arn:aws:iam::1:policy/p", "setAsDefault": True},
        None,
        ("aws_iam_policy", "update"),
        "arn:aws:iam::1:policy/p",
        {"policy"},
    ),
    (
        "AttachRolePolicy",
        "iam",
        {"roleName": "r", "policyArn": "arn:aws:iam::aws:policy/Admin"},
        None,
        ("aws_iam_role", "update"),
        "r",
        {"managed_policy_arns"},
    ),
    (
        "DetachRolePolicy",
        "iam",
        {"roleName": "r", "policyArn": "arn:aws:iam::aws:policy/Admin"},
        None,
        ("aws_iam_role_policy_attachment", "delete"),
        "r/arn:aws:iam::aws:policy/Admin",
        None,
    ),
    (
        "ModifyVpcAttribute",
        "ec2",
        {"vpcId": "vpc-1", "enableDnsHostnames": {"value": True}},
        None,
        ("aws_vpc", "update"),
        "vpc-1",
        {"enable_dns_hostnames"},
    ),
    (
        "ModifySubnetAttribute",
        "ec2",
        {"subnetId": "subnet-1", "mapPublicIpOnLaunch": {"value": True}},
        None,
        ("aws_subnet", "update"),
        "subnet-1",
        {"map_public_ip_on_launch"},
    ),
    (
        "TerminateInstances",
        "ec2",
        {"instancesSet": {"items": [{"instanceId": "i-1"}]}},
        None,
        ("aws_instance", "delete"),
        "i-1",
        None,
    ),
    ("DeleteBucket", "s3", {"bucketName": "b"}, None, ("aws_s3_bucket_policy", "delete"), "b", None),
    ("DeleteRole", "iam", {"roleName": "r"}, None, ("aws_iam_role", "delete"), "r", None),
    (
        "DeleteTopic",
        "sns",
        {"topicArn": "arn:aws:sns:us-east-1:1:t"},
        None,
        ("aws_sns_topic", "delete"),
        "t",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "service", "params", "response", "key", "resource_id", "attrs"),
    CASES,
    ids=[c[0] + ":" + c[4][0] for c in CASES],
)
def test_api_call_maps_to_resource_and_attributes(
    name: str,
    service: str,
    params: dict,
    response: dict | None,
    key: tuple,
    resource_id: str,
    attrs: set | None,
) -> None:
    touched = _touched(name, service, params, response)
    assert key in touched, touched
    ids, found_attrs = touched[key]
    assert resource_id in ids
    assert found_attrs == (frozenset(attrs) if attrs is not None else None)


def test_unknown_instance_attribute_is_a_resource_level_change() -> None:
    touched = _touched("ModifyInstanceAttribute", "ec2", {"instanceId": "i-1", "kernel": {"value": "k"}})
    assert touched[("aws_instance", "update")] == ({"i-1"}, None)


def test_unlisted_mutating_call_falls_back_to_resource_level() -> None:
    touched = _touched("PutBucketOwnershipControls", "s3", {"bucketName": "b"})
    assert touched[("aws_s3_bucket", "update")] == ({"b"}, None)


def test_refused_and_read_only_calls_touch_nothing() -> None:
    rec = record(
        "PutBucketTagging", "s3", iam_user("u"), when=WHEN, params={"bucketName": "b"}, error="AccessDenied"
    )
    read = record(
        "GetBucketTagging", "s3", iam_user("u"), when=WHEN, params={"bucketName": "b"}, read_only=True
    )
    events = parse_log(json.dumps([rec, read]).encode(), "memory")
    assert [touches(e) for e in events] == [[], []]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="CloudTrail corpus not on this machine")
def test_corpus_changes_map_to_terraform_resources() -> None:
    stratus = CORPUS / "DataDog__stratus-red-team" / "records"

    def touched(file: str, name: str) -> dict:
        events = parse_log((stratus / file).read_bytes(), file)
        event = next(e for e in events if e.event_name == name and not e.failed)
        return {(t.type, t.effect): (t.ids, t.attrs) for t in touches(event)}

    sg = touched(
        "aws.exfiltration.ec2-security-group-open-port-22-ingress.json", "AuthorizeSecurityGroupIngress"
    )
    assert sg[("aws_security_group", "update")] == ({"sg-003dc7f1f1c686164"}, {"ingress"})
    assert sg[("aws_vpc_security_group_ingress_rule", "create")][0] == {"sgr-09b3e3d2ca1edf2a2"}
    role = touched("aws.persistence.iam-backdoor-role.json", "UpdateAssumeRolePolicy")
    assert role[("aws_iam_role", "update")] == ({"stratus-red-team-backdoor-r-role"}, {"assume_role_policy"})
    key = touched("aws.persistence.iam-backdoor-user.json", "CreateAccessKey")
    assert key[("aws_iam_access_key", "create")][0] == {"AKIAL80DWDVKKM0UXEER"}
    user_data = touched("aws.execution.ec2-user-data.json", "ModifyInstanceAttribute")
    assert user_data[("aws_instance", "update")] == ({"i-DDd6c7B0e18F0E35f"}, {"user_data"})
