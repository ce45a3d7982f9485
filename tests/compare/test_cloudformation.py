"""compare_cfn as a pure function: mapping rows, normalisation, unknowns, defaults, sensitivity."""

from __future__ import annotations

import json
from typing import Any

from driftdeck.core.compare.cloudformation import NOT_IN_TEMPLATE, compare_cfn
from driftdeck.core.inputs.cfn.deploy_time import DeployTimeUnknown
from driftdeck.core.model import ChangeKind, DesiredResource, SourceRef
from driftdeck.core.resource_types.cloudformation import PROPERTY_MAPS, TERRAFORM_TYPES, mapped_properties


def _desired(tf_type: str, props: dict[str, Any], rid: str = "id-1", **kw: Any) -> DesiredResource:
    return DesiredResource(
        address="cfn:s/R", type=tf_type, id=rid, attributes=props,
        source=SourceRef(kind="cloudformation", stack="s", logical_id="R"), **kw,
    )


def test_every_supported_type_has_a_mapping_table() -> None:
    assert set(PROPERTY_MAPS) == set(TERRAFORM_TYPES.values())
    assert "VisibilityTimeout" in mapped_properties("aws_sqs_queue")
    assert "SecurityGroupIngress" in mapped_properties("aws_security_group")


def test_unknown_values_are_never_drift() -> None:
    desired = _desired(
        "aws_sqs_queue",
        {"VisibilityTimeout": DeployTimeUnknown("parameter T"), "Tags": [{"Key": "Env", "Value": DeployTimeUnknown("x")}],
         "RedrivePolicy": {"deadLetterTargetArn": DeployTimeUnknown("Dlq.Arn"), "maxReceiveCount": 3}},
    )
    live = {"visibility_timeout_seconds": 99, "tags": {"Env": "prod"}, "redrive_policy": '{"maxReceiveCount": 1}'}
    assert compare_cfn(desired, live) == []


def test_unknown_tag_key_suppresses_added_tags_but_known_ones_still_compare() -> None:
    desired = _desired("aws_sqs_queue", {"Tags": [{"Key": DeployTimeUnknown("k"), "Value": "v"}, {"Key": "Env", "Value": "dev"}]})
    [diff] = compare_cfn(desired, {"tags": {"Env": "prod", "Other": "1"}})
    assert (diff.path, diff.expected, diff.actual) == ("/Properties/Tags/1/Value", "dev", "prod")


def test_aws_reserved_tags_are_ignored() -> None:
    desired = _desired("aws_vpc", {"Tags": [{"Key": "Name", "Value": "a"}]})
    live = {"tags": {"Name": "a", "aws:cloudformation:stack-name": "s"}}
    assert compare_cfn(desired, live) == []


def test_attributes_not_read_live_are_not_checked() -> None:
    desired = _desired("aws_sqs_queue", {"VisibilityTimeout": 45, "DelaySeconds": 5})
    assert compare_cfn(desired, {}) == []


def test_policy_documents_compare_semantically() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}
    same = json.dumps({"Statement": [{"Resource": ["*"], "Action": "s3:GetObject", "Effect": "Allow"}], "Version": "2012-10-17"})
    desired = _desired("aws_iam_policy", {"PolicyDocument": doc})
    assert compare_cfn(desired, {"policy": same}) == []
    assert compare_cfn(desired, {"policy": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"}) == []
    [diff] = compare_cfn(desired, {"policy": same.replace("GetObject", "PutObject")})
    assert diff.path == "/Properties/PolicyDocument" and diff.expected == doc
    assert diff.actual["Statement"][0]["Action"] == "s3:PutObject"


def test_redrive_policy_numbers_match_their_text() -> None:
    desired = _desired("aws_sqs_queue", {"RedrivePolicy": {"deadLetterTargetArn": "arn:x", "maxReceiveCount": 5}})
    assert compare_cfn(desired, {"redrive_policy": '{"deadLetterTargetArn":"arn:x","maxReceiveCount":"5"}'}) == []


def test_scalars_compare_across_cloudformation_string_spellings() -> None:
    desired = _desired("aws_vpc", {"EnableDnsSupport": "true", "CidrBlock": "10.0.0.0/16"})
    assert compare_cfn(desired, {"enable_dns_support": True, "cidr_block": "10.0.0.0/16"}) == []
    [diff] = compare_cfn(desired, {"enable_dns_support": False, "cidr_block": "10.0.0.0/16"})
    assert (diff.path, diff.change, diff.note) == ("/Properties/EnableDnsSupport", ChangeKind.UPDATED, None)


def test_unset_properties_at_their_default_are_quiet() -> None:
    desired = _desired("aws_sqs_queue", {})
    live = {"visibility_timeout_seconds": 30, "max_message_size": 262144, "delay_seconds": 0, "redrive_policy": "",
            "kms_master_key_id": "", "fifo_queue": False, "tags": {}}
    assert compare_cfn(desired, live) == []
    diffs = compare_cfn(desired, {**live, "max_message_size": 1048576, "kms_master_key_id": "alias/evil"})
    assert [(d.path, d.actual, d.note) for d in diffs] == [("/Properties/KmsMasterKeyId", "alias/evil", NOT_IN_TEMPLATE)]


def test_security_group_rules_normalise_protocols_ports_and_self() -> None:
    sg = "sg-123"
    desired = _desired(
        "aws_security_group",
        {"SecurityGroupIngress": [
            {"IpProtocol": "6", "FromPort": "443", "ToPort": 443, "CidrIp": "10.0.0.0/8", "Description": "https"},
            {"IpProtocol": -1, "SourceSecurityGroupId": sg},
        ], "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]},
        rid=sg,
    )
    live: dict[str, Any] = {
        "ingress": [
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"], "description": "https"},
            {"protocol": "-1", "from_port": 0, "to_port": 0, "self": True, "description": ""},
        ],
        "egress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
    }
    assert compare_cfn(desired, live) == []
    live["ingress"][0]["description"] = "changed"
    live["ingress"][0]["cidr_blocks"].append("192.168.0.0/16")
    diffs = {d.path: d for d in compare_cfn(desired, live)}
    assert set(diffs) == {"/Properties/SecurityGroupIngress/0/Description", "/Properties/SecurityGroupIngress/2"}
    assert diffs["/Properties/SecurityGroupIngress/2"].actual == {
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "192.168.0.0/16", "Description": "changed"
    }


def test_role_inline_policies_and_managed_arns() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
    desired = _desired(
        "aws_iam_role",
        {"Policies": [{"PolicyName": "q", "PolicyDocument": doc}], "ManagedPolicyArns": ["arn:a", "arn:b"]},
    )
    live = {"inline_policy": [{"name": "q", "policy": json.dumps(doc)}], "managed_policy_arns": ["arn:b", "arn:a"]}
    assert compare_cfn(desired, live) == []
    live = {
        "inline_policy": [{"name": "q", "policy": json.dumps({"Statement": []})}, {"name": "extra", "policy": "{}"}],
        "managed_policy_arns": ["arn:b", "arn:c"],
    }
    paths = {d.path: d.change for d in compare_cfn(desired, live)}
    assert paths == {
        "/Properties/Policies/0/PolicyDocument": ChangeKind.UPDATED,
        "/Properties/Policies/1": ChangeKind.ADDED,
        "/Properties/ManagedPolicyArns/0": ChangeKind.REMOVED,
        "/Properties/ManagedPolicyArns/2": ChangeKind.ADDED,
    }


def test_secret_properties_are_flagged_sensitive() -> None:
    desired = _desired("aws_sns_topic", {"KmsMasterKeyId": "alias/a"}, sensitive_paths=frozenset({"KmsMasterKeyId"}))
    [diff] = compare_cfn(desired, {"kms_master_key_id": "alias/b"})
    assert diff.sensitive and diff.to_json()["expected"] == "(sensitive)"


def test_not_evaluated_resources_are_never_compared() -> None:
    desired = _desired("aws_sqs_queue", {}, reason="SAM resource: not evaluated")
    assert compare_cfn(desired, {"visibility_timeout_seconds": 999}) == []


def test_versioning_from_the_bucket_view_or_the_versioning_resource_view() -> None:
    desired = _desired("aws_s3_bucket", {"VersioningConfiguration": {"Status": "Enabled"}})
    assert compare_cfn(desired, {"versioning": [{"enabled": True}]}) == []
    assert compare_cfn(desired, {"versioning_configuration": [{"status": "Enabled"}]}) == []
    [diff] = compare_cfn(desired, {"versioning": [{"enabled": False}]})
    assert (diff.path, diff.change) == ("/Properties/VersioningConfiguration/Status", ChangeKind.REMOVED)


def test_kms_key_ids_are_checked_unlike_cloudformation_drift_detection() -> None:
    enc = {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "key-a"}}]}
    desired = _desired("aws_s3_bucket", {"BucketEncryption": enc})
    live = {"server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [
        {"sse_algorithm": "aws:kms", "kms_master_key_id": "key-b"}], "bucket_key_enabled": False}]}]}
    [diff] = compare_cfn(desired, live)
    assert diff.path == "/Properties/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/KMSMasterKeyID"
    assert (diff.expected, diff.actual) == ("key-a", "key-b")


def test_terraform_view_is_what_compare_cfn_expects() -> None:
    from driftdeck.core.inputs.cfn.tfview import terraform_view

    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
    cases = [
        _desired("aws_sqs_queue", {"QueueName": "q", "VisibilityTimeout": 45, "Tags": [{"Key": "A", "Value": "1"}],
                                    "RedrivePolicy": {"deadLetterTargetArn": "arn:x", "maxReceiveCount": 3}}),
        _desired("aws_s3_bucket", {"BucketName": "b", "VersioningConfiguration": {"Status": "Enabled"},
                                    "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"}}]}}),
        _desired("aws_iam_role", {"RoleName": "r", "AssumeRolePolicyDocument": doc,
                                   "Policies": [{"PolicyName": "p", "PolicyDocument": doc}], "ManagedPolicyArns": ["arn:m"]}),
        _desired("aws_security_group", {"GroupDescription": "d", "SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "-1", "SourceSecurityGroupId": "sg-1"}]}, rid="sg-1"),
    ]
    for desired in cases:
        view = terraform_view(desired)
        assert view, desired.type
        assert compare_cfn(desired, view) == [], desired.type
    role_view = terraform_view(cases[2])
    assert role_view["inline_policy"][0]["name"] == "p" and role_view["managed_policy_arns"] == ["arn:m"]
    assert terraform_view(cases[0])["tags"] == {"A": "1"}
    assert terraform_view(cases[1])["versioning"] == [{"enabled": True}]
    assert terraform_view(_desired("aws_sqs_queue", {"VisibilityTimeout": DeployTimeUnknown("p")})) == {}


def test_properties_without_a_comparison_row_are_listed_as_unchecked() -> None:
    from driftdeck.core.compare.cloudformation import unchecked_properties
    from driftdeck.core.compare.cloudformation_properties import STACK_TAGS_KEY

    desired = _desired(
        "aws_s3_bucket",
        {"BucketName": "b", "LifecycleConfiguration": {"Rules": []}, "CorsConfiguration": {}, STACK_TAGS_KEY: {"a": "b"}},
    )
    assert unchecked_properties(desired) == ["CorsConfiguration", "LifecycleConfiguration"]


def test_a_set_member_listed_twice_live_is_one_addition_not_two() -> None:
    # Bug: leftovers were every live member whose text was still in the pool, so one surplus
    # copy of a wanted member was reported as two additions.
    desired = _desired("aws_iam_role", {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/A"]})
    live = {"managed_policy_arns": ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/A"]}
    diffs = compare_cfn(desired, live)
    assert [(d.path, d.actual, d.change) for d in diffs] == [
        ("/Properties/ManagedPolicyArns/1", "arn:aws:iam::aws:policy/A", ChangeKind.ADDED)
    ]
