"""Code vs state (pending edits) as a pure function."""

from __future__ import annotations

import json
from typing import Any

from driftdeck.core.compare.code_rules import diff_attributes
from driftdeck.core.inputs.hcl import CodeInstance
from driftdeck.core.model import ChangeKind, DesiredResource, SourceRef
from driftdeck.core.scan.pending import compare_code_to_state, match_code_to_live
from driftdeck.core.unknown import UNKNOWN


def code(address: str, attrs: dict[str, Any], mode: str = "managed") -> CodeInstance:
    return CodeInstance(address, mode, "aws_x", "y", "", None, attrs, "main.tf", 1)


def state(address: str, attrs: dict[str, Any], sensitive: frozenset[str] = frozenset()) -> DesiredResource:
    return DesiredResource(address, "aws_x", "id-1", attrs, SourceRef(kind="terraform"), sensitive_paths=sensitive)


def by_path(diffs: list[Any]) -> dict[str, Any]:
    return {d.path: d for d in diffs}


def test_in_sync_when_code_matches_state_ignoring_computed_and_unknown() -> None:
    c = {"a": code("aws_x.y", {"name": "n", "delay": "5", "arn": UNKNOWN, "tags": {"Env": "p"},
                              "rule": [{"status": "Enabled"}], "ids": ["b", "a"]})}
    s = [state("aws_x.y", {"name": "n", "delay": 5, "arn": "arn:1", "id": "id-1", "tags": {"Env": "p"},
                           "rule": [{"status": "Enabled", "computed": "x"}], "ids": ["a", "b"]})]
    assert compare_code_to_state({"aws_x.y": c["a"]}, s) == {}


def test_edited_attributes_are_pending_with_terraform_paths() -> None:
    c = code("aws_x.y", {"name": "new", "tags": {"Env": "prod", "New": "1"}, "rule": [{"status": "Suspended"}]})
    s = state("aws_x.y", {"name": "old", "tags": {"Env": "dev", "Gone": "x"}, "rule": [{"status": "Enabled"}]})
    diffs = by_path(compare_code_to_state({"aws_x.y": c}, [s])["aws_x.y"])
    assert set(diffs) == {"name", "tags.Env", "tags.New", "tags.Gone", "rule[0].status"}
    assert (diffs["name"].expected, diffs["name"].actual, diffs["name"].side) == ("new", "old", "code")
    assert diffs["tags.New"].change is ChangeKind.ADDED
    assert diffs["tags.Gone"].change is ChangeKind.REMOVED


def test_json_documents_compare_semantically() -> None:
    c = code("aws_x.y", {"policy": '{"Statement":[{"Action":"s3:GetObject","Effect":"Allow"}]}'})
    s = state("aws_x.y", {"policy": '{"Statement": {"Effect": "Allow", "Action": ["s3:GetObject"]}}'})
    assert compare_code_to_state({"aws_x.y": c}, [s]) == {}


def test_added_and_removed_instances() -> None:
    c = {"aws_x.y[1]": code("aws_x.y[1]", {"name": "b", "arn": UNKNOWN}), "data.aws_d.z": code("data.aws_d.z", {}, "data")}
    s = [state("aws_x.y[0]", {}), state("module.remote.aws_x.y", {}), state("data.aws_d.q", {})]
    result = compare_code_to_state(c, s, undecidable=lambda a: a.startswith("module.remote."))
    assert set(result) == {"aws_x.y[1]", "aws_x.y[0]"}
    (added,) = result["aws_x.y[1]"]
    assert added.change is ChangeKind.ADDED and added.expected == {"name": "b"}
    (removed,) = result["aws_x.y[0]"]
    assert removed.change is ChangeKind.REMOVED and removed.actual == "id-1"


def test_sensitive_attributes_are_flagged() -> None:
    c = code("aws_x.y", {"password": "new"})
    s = state("aws_x.y", {"password": "old"}, sensitive=frozenset({"password"}))
    (diff,) = compare_code_to_state({"aws_x.y": c}, [s])["aws_x.y"]
    assert diff.sensitive and diff.to_json()["expected"] == "(sensitive)"


def test_set_typed_blocks_match_in_any_order() -> None:
    c = code("aws_x.y", {"ingress": [{"from_port": 80}, {"from_port": 443}]})
    same = state("aws_x.y", {"ingress": [{"from_port": 443, "self": False}, {"from_port": 80, "self": False}]})
    assert compare_code_to_state({"aws_x.y": c}, [same]) == {}
    changed = state("aws_x.y", {"ingress": [{"from_port": 443}, {"from_port": 22}]})
    diffs = compare_code_to_state({"aws_x.y": c}, [changed])["aws_x.y"]
    assert [(d.path, d.expected, d.actual) for d in diffs] == [("ingress[0].from_port", 80, 443), ("ingress[1].from_port", 443, 22)]


def test_block_written_as_object_matches_state_list() -> None:
    c = code("aws_x.y", {"versioning": {"enabled": True}})
    s = state("aws_x.y", {"versioning": [{"enabled": True, "mfa_delete": False}]})
    assert compare_code_to_state({"aws_x.y": c}, [s]) == {}
    s = state("aws_x.y", {"versioning": [{"enabled": False, "mfa_delete": False}]})
    (diff,) = compare_code_to_state({"aws_x.y": c}, [s])["aws_x.y"]
    assert diff.path == "versioning[0].enabled"


def test_code_to_live_by_natural_names() -> None:
    from driftdeck.core.model import LiveResource

    bucket = CodeInstance("aws_s3_bucket.b", "managed", "aws_s3_bucket", "b", "", None,
                          {"bucket": "acme-logs", "tags": {"Env": "prod"}}, "main.tf", 1)
    queue = CodeInstance("aws_sqs_queue.q", "managed", "aws_sqs_queue", "q", "", None, {"name": "jobs"}, "main.tf", 5)
    nameless = CodeInstance("aws_sqs_queue.n", "managed", "aws_sqs_queue", "n", "", None, {"name": UNKNOWN}, "main.tf", 9)
    live = [
        LiveResource("aws_s3_bucket", "acme-logs", {"bucket": "acme-logs", "tags": {"Env": "dev"}}),
        LiveResource("aws_sqs_queue", "https://sqs/123/other", {"name": "other"}),
    ]
    matched = match_code_to_live({i.address: i for i in (bucket, queue, nameless)}, live)
    assert matched == {"aws_s3_bucket.b": live[0], "aws_sqs_queue.q": None}
    (diff,) = diff_attributes(bucket.attributes, live[0].attributes, side="live")
    assert (diff.path, diff.expected, diff.actual, diff.side) == ("tags.Env", "prod", "dev", "live")


def test_include_type_limits_the_comparison_to_what_state_covers() -> None:
    c = {"random_pet.p": CodeInstance("random_pet.p", "managed", "random_pet", "p", "", None, {"length": 2}, "main.tf", 1)}
    assert set(compare_code_to_state(c, [])) == {"random_pet.p"}
    assert compare_code_to_state(c, [], include_type=lambda t: t.startswith("aws_")) == {}


def test_state_lookup_from_tfstate_keeps_data_sources_and_other_providers() -> None:
    from driftdeck.core.inputs.hcl import state_lookup_from_tfstate

    doc = {"version": 4, "resources": [
        {"mode": "data", "type": "aws_region", "name": "current", "instances": [{"attributes": {"name": "eu-west-1"}}]},
        {"mode": "managed", "type": "random_pet", "name": "p", "instances": [{"attributes": {"id": "happy-cat"}}]},
        {"module": "module.net", "mode": "managed", "type": "aws_subnet", "name": "s",
         "instances": [{"index_key": "a", "attributes": {"id": "subnet-1"}}, {"index_key": 0, "attributes": {"id": "x"}}]},
    ]}
    assert state_lookup_from_tfstate(doc) == {
        "data.aws_region.current": {"name": "eu-west-1"},
        "random_pet.p": {"id": "happy-cat"},
        'module.net.aws_subnet.s["a"]': {"id": "subnet-1"},
        "module.net.aws_subnet.s[0]": {"id": "x"},
    }


def test_a_bare_account_principal_in_code_is_not_pending_against_its_root_arn_in_state() -> None:
    # Bug: pending used its own weaker copy of the policy rule, so a document IAM (and drift, via
    # compare.policy) treats as the same stayed "pending" forever after apply.
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "%s"}}]}
    c = code("aws_x.y", {"assume_role_policy": json.dumps(doc) % "123456789012"})
    s = state("aws_x.y", {"assume_role_policy": json.dumps(doc) % "arn:aws:iam::123456789012:root"})
    assert compare_code_to_state({"aws_x.y": c}, [s]) == {}
