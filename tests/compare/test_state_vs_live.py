"""Generic comparison rules: paths, empties, sets, policy documents, sensitive values."""

from __future__ import annotations

import json

from driftdeck.core.compare.state_vs_live import compare_attributes
from driftdeck.core.model import ChangeKind


def test_map_and_nested_paths_use_terraform_spelling() -> None:
    diffs = compare_attributes(
        {"tags": {"Env": "prod", "Owner": "platform"}, "versioning": [{"enabled": True}]},
        {"tags": {"Env": "prod", "Owner": "mallory", "New": "x"}, "versioning": [{"enabled": False}]},
    )
    got = {(d.path, d.expected, d.actual, d.change) for d in diffs}
    assert got == {
        ("tags.Owner", "platform", "mallory", ChangeKind.UPDATED),
        ("tags.New", None, "x", ChangeKind.ADDED),
        ("versioning[0].enabled", True, False, ChangeKind.UPDATED),
    }


def test_attributes_not_read_live_are_not_checked() -> None:
    assert compare_attributes({"arn": "a", "tags": {}}, {"tags": {}}) == []


def test_empty_values_are_equal_but_removals_are_not() -> None:
    assert compare_attributes({"policy": "", "tags": None}, {"policy": None, "tags": {}}) == []
    (diff,) = compare_attributes({"description": "x"}, {"description": ""})
    assert diff.change is ChangeKind.REMOVED


def test_numbers_stored_as_text_compare_equal() -> None:
    assert compare_attributes({"delay_seconds": 0, "port": "22"}, {"delay_seconds": "0", "port": 22}) == []
    assert compare_attributes({"delay_seconds": 0}, {"delay_seconds": "5"})


def test_sets_ignore_order_and_report_added_and_removed_elements() -> None:
    a = {"from_port": 80, "cidr_blocks": ["10.0.0.0/8"]}
    b = {"from_port": 443, "cidr_blocks": ["0.0.0.0/0"]}
    c = {"from_port": 22, "cidr_blocks": ["0.0.0.0/0"]}
    assert compare_attributes({"ingress": [a, b]}, {"ingress": [b, a]}, set_attributes={"ingress"}) == []
    diffs = compare_attributes({"ingress": [a, b]}, {"ingress": [b, c]}, set_attributes={"ingress"})
    assert {(d.path, d.change) for d in diffs} == {("ingress[0]", ChangeKind.REMOVED), ("ingress[1]", ChangeKind.ADDED)}
    # Without the set declaration the same lists differ positionally.
    assert compare_attributes({"ingress": [a, b]}, {"ingress": [b, a]})


def test_policy_documents_compare_semantically_and_report_the_attribute() -> None:
    state = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]})
    live_same = {"Statement": {"Resource": ["*"], "Action": "s3:GetObject", "Effect": "Allow"}, "Version": "2012-10-17"}
    assert compare_attributes({"policy": state}, {"policy": json.dumps(live_same)}, json_attributes={"policy"}) == []
    live_other = dict(live_same, Statement={"Resource": "*", "Action": "s3:*", "Effect": "Allow"})
    (diff,) = compare_attributes({"policy": state}, {"policy": live_other}, json_attributes={"policy"})
    assert diff.path == "policy"
    assert diff.expected["Statement"][0]["Action"] == ["s3:GetObject"]
    assert diff.actual["Statement"]["Action"] == "s3:*"


def test_url_encoded_iam_documents_are_understood() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    import urllib.parse

    encoded = urllib.parse.quote(json.dumps(doc))
    assert compare_attributes({"assume_role_policy": json.dumps(doc)}, {"assume_role_policy": encoded}, json_attributes={"assume_role_policy"}) == []


def test_sensitive_differences_hide_values() -> None:
    (diff,) = compare_attributes({"password": "a"}, {"password": "b"}, sensitive_paths={"password"})
    assert diff.sensitive
    out = diff.to_json()
    assert out["expected"] == out["actual"] == "(sensitive)"
