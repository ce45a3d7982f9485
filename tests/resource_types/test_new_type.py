"""`aws_iam_group_policy`, added as one registry entry: what that entry alone gives the engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from driftdeck.core.attribution import parse_log
from driftdeck.core.attribution.matching import touches, touches_resource
from driftdeck.core.attribution.rules import services_for_type
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.model import ResourceResult, Status
from driftdeck.core.resource_types import REGISTRY, Unsupported
from driftdeck.core.resource_types.projections import parent_type

WHEN = datetime(2026, 5, 1, 9, tzinfo=UTC)
GROUP_POLICY = "aws_iam_group_policy"


def _touches(name: str) -> list:
    rec = {
        "eventVersion": "1.09", "eventTime": WHEN.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": "iam.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "eventID": f"id-{name}", "readOnly": False,
        "eventType": "AwsApiCall", "userIdentity": {"type": "IAMUser", "userName": "u",
                                                    "arn": "arn:aws:iam::123456789012:user/u"},
        "requestParameters": {"groupName": "devs", "policyName": "inline"}, "responseElements": None,
    }
    (event,) = parse_log(json.dumps({"Records": [rec]}).encode(), "memory")
    return [t for t in touches(event) if t.type == GROUP_POLICY]


def _policy(status: Status) -> ResourceResult:
    return ResourceResult(address=None if status is Status.UNMANAGED else "aws_iam_group_policy.inline",
                          type=GROUP_POLICY, id="devs:inline", status=status, source=None,
                          parent="aws_iam_group.devs" if status is Status.UNMANAGED else None)


def test_put_group_policy_changes_a_managed_policy_and_creates_an_unmanaged_one() -> None:
    found = _touches("PutGroupPolicy")
    assert {(t.effect, frozenset(t.attrs or ())) for t in found} == {
        ("update", frozenset({"policy"})), ("create", frozenset())}
    for touch in found:
        assert touches_resource(touch, _policy(Status.CHANGED))
        assert touches_resource(touch, _policy(Status.UNMANAGED))


def test_delete_group_policy_explains_a_missing_policy() -> None:
    (touch,) = _touches("DeleteGroupPolicy")
    assert touch.effect == "delete" and touches_resource(touch, _policy(Status.MISSING))


def test_the_entry_is_read_through_the_provider_under_its_group() -> None:
    entry = REGISTRY[GROUP_POLICY]
    assert collector_for(GROUP_POLICY) is None  # the provider-backed reader takes every other type
    assert isinstance(entry.revert, Unsupported) and isinstance(entry.import_arguments, Unsupported)
    assert entry.identity.import_id == "group name:policy name"  # terraform import GROUP:POLICY
    assert parent_type(GROUP_POLICY) == "aws_iam_group"
    assert services_for_type(GROUP_POLICY) == {"iam.amazonaws.com"}
