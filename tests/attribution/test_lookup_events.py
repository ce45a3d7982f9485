"""LookupEvents source: recorded responses through botocore's Stubber (moto's server has no LookupEvents),
and the per-region rate limit checked on an injected clock (no real sleeping, no timing)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.stub import ANY, Stubber

from driftdeck.core.attribution import EXACT, LookupEventsSource, TokenBucket, attribute_report
from driftdeck.core.attribution.events import parse_time
from driftdeck.core.model import Difference, ResourceResult, ScanReport, SourceInfo, SourceRef, Status

RECORDED = Path(__file__).parent / "recorded" / "lookup_events_frank.json"


class FakeClock:
    """Time moves only when someone sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _client(region: str) -> Any:
    return boto3.client(
        "cloudtrail", region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def _with_datetimes(response: dict[str, Any]) -> dict[str, Any]:
    for event in response.get("Events", []):
        event["EventTime"] = parse_time(event["EventTime"])
    return response


@pytest.fixture()
def stubbed() -> Iterator[tuple[dict[str, Stubber], dict[str, Any]]]:
    clients = {r: _client(r) for r in ("us-east-1", "eu-west-1")}
    stubbers = {r: Stubber(c) for r, c in clients.items()}
    for stubber in stubbers.values():
        stubber.activate()
    yield stubbers, clients
    for stubber in stubbers.values():
        stubber.deactivate()


def test_recorded_lookup_events_attribute_an_assumed_role_change_to_the_human(
    stubbed: tuple[dict[str, Stubber], dict[str, Any]],
) -> None:
    stubbers, clients = stubbed
    for call in json.loads(RECORDED.read_text())["calls"]:
        expected = dict(call["expected_params"], StartTime=ANY, EndTime=ANY)
        stubbers[call["region"]].add_response(
            xform_name(call["operation"]), _with_datetimes(call["response"]), expected
        )

    clock = FakeClock()
    source = LookupEventsSource(["us-east-1"], client_factory=clients.__getitem__, clock=clock)
    bucket = ResourceResult(
        "aws_s3_bucket.logs",
        "aws_s3_bucket",
        "acme-prod-logs",
        Status.CHANGED,
        SourceRef("terraform", state="s3://state/infra.tfstate"),
        [Difference("tags.Owner", "platform", "frank"), Difference("versioning[0].enabled", True, False)],
        region="us-east-1",
    )
    report = ScanReport(
        "2026-03-02T11:00:00Z",
        0,
        [SourceInfo("terraform", "infra", "s3://state/infra.tfstate", written_at="2026-03-02T09:00:00Z")],
        [bucket],
    )
    attribute_report(report, source)

    by_attribute = {a.attribute: a for a in bucket.attribution}
    assert set(by_attribute) == {"tags", "versioning"}
    assert by_attribute["tags"].event_name == "PutBucketTagging"
    assert by_attribute["versioning"].event_name == "PutBucketVersioning"  # from the second page
    for attribution in bucket.attribution:
        assert (attribution.actor, attribution.actor_type, attribution.confidence) == (
            "frank",
            "IAMUser",
            EXACT,
        )
        assert attribution.chain[-1].endswith("assumed-role/admin/frank-session")
    assert source.calls == 3
    stubbers["us-east-1"].assert_no_pending_responses()

    # Asked again: served from the cache (the Stubber would raise on any further call).
    attribute_report(report, source)
    assert source.calls == 3 and len(bucket.attribution) == 2


def test_lookup_events_never_exceeds_two_requests_per_second_per_region(
    stubbed: tuple[dict[str, Stubber], dict[str, Any]],
) -> None:
    stubbers, clients = stubbed
    clock = FakeClock()
    calls: list[tuple[str, float]] = []
    names = [f"queue-{i}" for i in range(12)]
    for region, client in clients.items():
        client.meta.events.register(
            "before-parameter-build.cloudtrail.LookupEvents",
            lambda region=region, **_: calls.append((region, clock.monotonic())),
        )
        for name in sorted(names):
            params = {
                "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": name}],
                "StartTime": ANY,
                "EndTime": ANY,
                "MaxResults": 50,
            }
            stubbers[region].add_response("lookup_events", {"Events": []}, params)

    source = LookupEventsSource(list(clients), client_factory=clients.__getitem__, clock=clock)
    end = datetime(2026, 3, 2, tzinfo=UTC)
    assert source.events(end - timedelta(days=1), end, resource_names=names) == []

    assert len(calls) == 24 and clock.sleeps  # it had to wait, on the injected clock
    for region in clients:
        times = [t for r, t in calls if r == region]
        assert len(times) == 12
        for i in range(len(times) - 2):
            assert times[i + 2] - times[i] >= 1.0 - 1e-9, f"3 calls within 1 s in {region}"
        assert all(b - a >= 0.5 - 1e-9 for a, b in zip(times, times[1:], strict=False))
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def test_many_resource_names_become_one_mutating_events_sweep(
    stubbed: tuple[dict[str, Stubber], dict[str, Any]],
) -> None:
    stubbers, clients = stubbed
    params = {
        "LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
        "StartTime": ANY,
        "EndTime": ANY,
        "MaxResults": 50,
    }
    stubbers["us-east-1"].add_response("lookup_events", {"Events": []}, params)
    source = LookupEventsSource(
        ["us-east-1"], client_factory=clients.__getitem__, clock=FakeClock(), max_name_queries=5
    )
    end = datetime(2026, 3, 2, tzinfo=UTC)
    source.events(end - timedelta(hours=1), end, resource_names=[f"n{i}" for i in range(6)])
    assert source.calls == 1


def test_api_errors_are_reported_not_raised(stubbed: tuple[dict[str, Stubber], dict[str, Any]]) -> None:
    stubbers, clients = stubbed
    stubbers["us-east-1"].add_client_error("lookup_events", "AccessDeniedException", "not allowed")
    source = LookupEventsSource(["us-east-1"], client_factory=clients.__getitem__, clock=FakeClock())
    end = datetime(2026, 3, 2, tzinfo=UTC)
    assert source.events(end - timedelta(hours=1), end, resource_names=["x"]) == []
    assert len(source.errors) == 1 and "AccessDeniedException" in str(source.errors[0])
    assert "LookupEvents us-east-1" in str(source.errors[0])


def test_token_bucket_allows_a_burst_of_capacity_then_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, capacity=3.0, clock=clock)
    stamps = []
    for _ in range(7):
        bucket.acquire()
        stamps.append(clock.now - 1000.0)
    assert stamps[:3] == [0.0, 0.0, 0.0]
    assert [round(s, 6) for s in stamps[3:]] == [0.5, 1.0, 1.5, 2.0]


def test_session_origins_are_asked_by_event_name_when_keys_are_many(
    stubbed: tuple[dict[str, Stubber], dict[str, Any]],
) -> None:
    stubbers, clients = stubbed
    names = sorted(
        [
            "AssumeRole",
            "AssumeRoleWithSAML",
            "AssumeRoleWithWebIdentity",
            "GetFederationToken",
            "GetSessionToken",
        ]
    )
    for region in ("eu-west-1", "us-east-1"):  # the scanned region, then STS's global-endpoint region
        for name in names:
            params = {
                "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": name}],
                "StartTime": ANY,
                "EndTime": ANY,
                "MaxResults": 50,
            }
            stubbers[region].add_response("lookup_events", {"Events": []}, params)
    source = LookupEventsSource(
        ["eu-west-1"], client_factory=clients.__getitem__, clock=FakeClock(), max_name_queries=3
    )
    end = datetime(2026, 3, 2, tzinfo=UTC)
    assert source.session_events([f"ASIAKEY{i}" for i in range(4)], end - timedelta(hours=12), end) == []
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def test_an_unavailable_lookup_api_is_reported_once_per_region_not_per_resource(aws_env: Any) -> None:
    """moto's server does not implement LookupEvents: a real HTTP error, asked for many resources."""

    from driftdeck.core.attribution import LookupEventsSource

    source = LookupEventsSource(["us-east-1"], client_factory=lambda region: boto3.client("cloudtrail", region_name=region))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    source.events(start, start + timedelta(hours=1), resource_names=[f"queue-{i}" for i in range(6)])
    assert len(source.errors) == 1
    message = str(source.errors[0])
    assert "LookupEvents us-east-1" in message and "\n" not in message and len(message) < 400
