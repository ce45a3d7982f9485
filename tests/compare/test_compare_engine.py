"""The engine's shared rules hold in every adapter: state vs live, pending (code vs state) and
CloudFormation (template vs live, workspace template vs deployed)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from driftdeck.core.compare.cloudformation import compare_cfn, compare_code
from driftdeck.core.compare.code_rules import diff_attributes
from driftdeck.core.compare.engine import change_kind, documents_equal, is_empty, pair_in_any_order, walk
from driftdeck.core.compare.state_vs_live import compare_attributes
from driftdeck.core.model import ChangeKind, DesiredResource, Difference, SourceRef

EMPTIES = st.sampled_from([None, "", [], {}])


def _stack_resource(tf_type: str, props: dict[str, Any], code: dict[str, Any] | None = None) -> DesiredResource:
    return DesiredResource(
        address="cfn:s/R", type=tf_type, id="id-1", attributes=props,
        source=SourceRef(kind="cloudformation", stack="s", logical_id="R"), code_attributes=code,
    )


# --- emptiness: null, "", [] and {} are one "not set" ------------------------------------------


@given(EMPTIES, EMPTIES)
def test_two_empty_values_are_no_difference_in_the_engine_and_every_adapter(a: Any, b: Any) -> None:
    out: list[Difference] = []
    walk("x", a, b, frozenset(), out)
    assert out == []
    assert documents_equal(a, b)
    assert compare_attributes({"x": a}, {"x": b}) == []
    assert compare_attributes({"x": a}, {"x": b}, json_attributes=["x"]) == []
    # CloudFormation: a JSON row and a scalar row (the template's value against the live one).
    assert compare_cfn(_stack_resource("aws_sqs_queue", {"RedrivePolicy": a}), {"redrive_policy": b}) == []
    assert compare_cfn(_stack_resource("aws_iam_role", {"Description": a}), {"description": b}) == []
    # ... and the workspace template against the deployed one.
    assert compare_code(_stack_resource("aws_sqs_queue", {"RedrivePolicy": a}, {"RedrivePolicy": b})) == []


@given(st.sampled_from([[], {}]), st.booleans())
def test_an_empty_collection_in_code_is_not_pending_against_null_or_itself_in_state(code: Any, null_state: bool) -> None:
    # Narrower on purpose: Terraform treats `tags = {}` / `x = []` in code like null in state, but
    # a null or "" string in code is not "unset" for every provider.
    assert diff_attributes({"x": code}, {"x": None if null_state else code}) == []


@given(EMPTIES, st.text(min_size=1).filter(lambda t: t.strip() != ""))
def test_which_side_is_empty_says_added_or_removed(empty: Any, value: str) -> None:
    assert change_kind(empty, value) is ChangeKind.ADDED
    assert change_kind(value, empty) is ChangeKind.REMOVED
    assert is_empty(empty) and not is_empty(value)


def test_an_emptied_property_in_the_workspace_template_is_not_a_pending_edit() -> None:
    # Bug: workspace template vs deployed compared "" and null as the same but not [] / {} and
    # null at a property's top level, so `Tags: []` against no Tags was a pending edit.
    assert compare_code(_stack_resource("aws_sqs_queue", {"QueueName": "q", "Tags": []}, {"QueueName": "q"})) == []
    assert compare_code(_stack_resource("aws_sqs_queue", {"QueueName": "q"}, {"QueueName": "q", "RedrivePolicy": {}})) == []


# --- JSON documents: the same IAM policy is no difference --------------------------------------

_ACTIONS = st.lists(st.sampled_from(["s3:GetObject", "s3:PutObject", "sqs:SendMessage", "sts:AssumeRole"]), min_size=1, max_size=3, unique=True)
_STATEMENTS = st.lists(
    st.fixed_dictionaries({
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": _ACTIONS,
        "Principal": st.fixed_dictionaries({"AWS": st.sampled_from(["123456789012", "210987654321"])}),
    }),
    min_size=1, max_size=3,
)


def _as_iam_stores_it(policy: dict[str, Any], order: st.DataObject) -> dict[str, Any]:
    """The same policy as IAM would hand it back: statements and actions in another order, a
    one-element list as its element, a bare account principal as the root ARN, keys reordered."""
    statements = order.draw(st.permutations(policy["Statement"]))
    stored = []
    for statement in statements:
        actions = order.draw(st.permutations(statement["Action"]))
        account = statement["Principal"]["AWS"]
        stored.append({
            "Principal": {"AWS": [f"arn:aws:iam::{account}:root"]},
            "Action": actions[0] if len(actions) == 1 else actions,
            "Effect": statement["Effect"],
        })
    return {"Statement": stored[0] if len(stored) == 1 else stored, "Version": policy["Version"]}


@given(_STATEMENTS, st.data())
def test_the_same_policy_is_no_difference_in_the_engine_and_every_adapter(statements: list[dict[str, Any]], order: st.DataObject) -> None:
    written = {"Version": "2012-10-17", "Statement": statements}
    stored = _as_iam_stores_it(written, order)
    assert documents_equal(written, stored)
    assert compare_attributes({"policy": json.dumps(written)}, {"policy": json.dumps(stored)}, json_attributes=["policy"]) == []
    assert diff_attributes({"policy": json.dumps(written)}, {"policy": json.dumps(stored)}) == []
    role = _stack_resource("aws_iam_role", {"AssumeRolePolicyDocument": written})
    assert compare_cfn(role, {"assume_role_policy": json.dumps(stored)}) == []


# --- sets: pairing in any order -------------------------------------------------------------------


@given(st.lists(st.integers(0, 5), max_size=6), st.data())
def test_pairing_in_any_order_leaves_only_what_one_side_has_more_of(items: list[int], data: st.DataObject) -> None:
    other = data.draw(st.lists(st.integers(0, 5), max_size=6))
    left, right = pair_in_any_order(items, other, lambda a, b: a == b)
    for value in range(6):
        surplus = items.count(value) - other.count(value)
        assert sum(1 for i in left if items[i] == value) == max(surplus, 0)
        assert sum(1 for j in right if other[j] == value) == max(-surplus, 0)
