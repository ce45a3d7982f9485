"""The event engine's pieces without AWS: message parsing, event → touched resources, merging a
targeted re-check into the previous report, overflow, LookupEvents polling windows, [events] config."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from event_support import envelope, tagging_record
from log_lines import Lines

from driftdeck.core.attribution import LookupEventsSource, parse_record
from driftdeck.core.errors import InputError
from driftdeck.core.model import ResourceResult, ScanReport, SourceRef, Status
from driftdeck.core.monitor.events import (
    EventDrivenScan,
    EventFeed,
    LookupPollingSource,
    Received,
    TouchIndex,
)
from driftdeck.core.monitor.events.sources import parse_message
from driftdeck.core.scan.run import merge_rechecked
from driftdeck.core.settings import parse_config


def _result(name: str, status: Status = Status.IN_SYNC, *, rtype: str = "aws_s3_bucket", address: str | None = "",
            parent: str | None = None, arn: str | None = None) -> ResourceResult:
    return ResourceResult(address=f"{rtype}.{name}" if address == "" else address, type=rtype, id=name, status=status,
                          source=SourceRef("terraform", state="t.tfstate"), arn=arn, parent=parent,
                          expected={"bucket": name} if rtype == "aws_s3_bucket" else {})


def test_messages_are_eventbridge_envelopes_or_bare_records_and_anything_else_says_why() -> None:
    record = tagging_record("b1", {"Env": "x"})
    assert parse_message(envelope(record)).event_id == record["eventID"]
    assert parse_message(json.dumps(record)).event_name == "PutBucketTagging"
    with pytest.raises(ValueError, match="not JSON"):
        parse_message('{"detail": {')
    with pytest.raises(ValueError, match="not a CloudTrail record"):
        parse_message('{"hello": "world"}')
    other = json.loads(envelope(record))
    other["detail-type"] = "EC2 Instance State-change Notification"
    with pytest.raises(ValueError, match="detail-type"):
        parse_message(json.dumps(other))


def test_events_touch_resources_by_table_by_arn_and_read_only_or_failed_calls_touch_nothing() -> None:
    thing = _result("t1", rtype="aws_example_thing", arn="arn:aws:example:us-east-1:123456789012:thing/t1")
    index = TouchIndex([_result("b1"), _result("b2"), thing, _result("loose", Status.UNMANAGED, address=None)])
    tagging = tagging_record("b2", {"Env": "x"})
    assert index.touched(parse_record(tagging)).keys == {"aws_s3_bucket.b2"}
    assert not index.touched(parse_record({**tagging, "readOnly": True, "eventName": "GetBucketTagging"})).keys
    assert not index.touched(parse_record({**tagging, "errorCode": "AccessDenied"})).keys
    created = index.touched(parse_record({**tagging, "eventName": "CreateBucket", "requestParameters": {"bucketName": "new"}}))
    assert created.rediscover == {"aws_s3_bucket"} and not created.keys
    deleted = index.touched(parse_record({**tagging, "eventName": "DeleteBucket", "requestParameters": {"bucketName": "loose"}}))
    assert deleted.keys == {"aws_s3_bucket:loose"} and deleted.rediscover == {"aws_s3_bucket"}
    no_row = {**tagging, "eventSource": "example.amazonaws.com", "eventName": "UpdateThing",
              "requestParameters": {"thingArn": "arn:aws:example:us-east-1:123456789012:thing/t1", "size": 3}}
    assert index.touched(parse_record(no_row)).keys == {"aws_example_thing.t1"}


def test_a_targeted_recheck_replaces_only_what_it_read() -> None:
    previous = [_result("a"), _result("b", Status.CHANGED), _result("x", Status.UNMANAGED, address=None),
                _result("pol", Status.UNMANAGED, rtype="aws_iam_user_policy", address=None, parent="aws_s3_bucket.a"),
                _result("q", Status.UNMANAGED, rtype="aws_sqs_queue", address=None)]
    fresh = [_result("a", Status.CHANGED), _result("y", Status.UNMANAGED, address=None)]
    merged = merge_rechecked(previous, fresh, frozenset({"aws_s3_bucket.a"}), {"aws_s3_bucket"})
    assert [(r.key, r.status) for r in merged] == [
        ("aws_s3_bucket.a", Status.CHANGED), ("aws_s3_bucket.b", Status.CHANGED), ("aws_sqs_queue:q", Status.UNMANAGED),
        ("aws_s3_bucket:y", Status.UNMANAGED)]


class ListSource:
    """An in-memory LiveSource: deliveries queued by the test, acknowledgements recorded."""

    name = "memory"

    def __init__(self, bodies: Sequence[str]) -> None:
        self.pending = [Received(parse_message(b), receipt=f"r{i}") for i, b in enumerate(bodies)]
        self.acknowledged: list[str] = []

    def receive(self, wait_seconds: float) -> list[Received]:
        out, self.pending = self.pending[:10], self.pending[10:]
        return out

    def acknowledge(self, received: Sequence[Received]) -> None:
        self.acknowledged += [r.receipt or "" for r in received]


def _report(results: list[ResourceResult]) -> ScanReport:
    return ScanReport("2026-12-07T00:00:00Z", 0, [], results)


def test_more_touched_resources_than_the_queue_holds_schedule_a_full_poll_and_say_so() -> None:
    buckets = [f"b{i}" for i in range(5)]
    source = ListSource([envelope(tagging_record(b, {"Env": "x"})) for b in buckets])
    log = Lines()
    feed = EventFeed(source, log=log, max_pending=3, full_poll_seconds=3600)
    full_polls: list[int] = []

    def full_scan() -> ScanReport:
        full_polls.append(1)
        return _report([_result(b) for b in buckets])

    def recheck(*_args: Any) -> ScanReport:
        raise AssertionError("an overflowing batch must not be re-checked piecemeal")

    scan = EventDrivenScan(feed, full_scan, recheck)
    scan()
    while feed.pump():
        pass
    assert feed.ready.is_set() and log.events("events.overflow")[0]["action"] == "full poll scheduled"
    scan()
    assert len(full_polls) == 2 and scan.rechecks == 0
    assert source.acknowledged == []  # not before the full poll was recorded
    scan.recorded()
    assert sorted(source.acknowledged) == sorted(f"r{i}" for i in range(5))


def test_lookup_polling_overlaps_its_windows_and_the_feed_drops_what_it_saw_already() -> None:
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    t0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    times = iter([t0, t0 + timedelta(seconds=30)])
    overlap = timedelta(minutes=15)
    first = tagging_record("b1", {"Env": "x"}, when=t0 - timedelta(minutes=1))
    second = tagging_record("b1", {"Env": "y"}, when=t0 + timedelta(seconds=10))

    def page(records: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Events": [{"EventId": r["eventID"], "CloudTrailEvent": json.dumps(r)} for r in records]}

    def expect(start: datetime, end: datetime) -> dict[str, Any]:
        return {"LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
                "StartTime": start, "EndTime": end, "MaxResults": 50}

    with Stubber(client) as stub:
        stub.add_response("lookup_events", page([first]), expect(t0 - overlap, t0))
        stub.add_response("lookup_events", page([first, second]), expect(t0 - overlap, t0 + timedelta(seconds=30)))
        lookup = LookupEventsSource(["us-east-1"], client_factory=lambda _region: client, rate_per_region=1000)
        source = LookupPollingSource(lookup, every_seconds=0, overlap=overlap, now=lambda: next(times))
        feed = EventFeed(source, log=Lines(), full_poll_seconds=3600)
        feed.scanned([_result("b1")], full=True)
        assert feed.pump() == 1
        batch = feed.take()
        assert [e.event_id for e in batch.events] == [first["eventID"]]
        feed.done(batch)
        assert feed.pump() == 2
        assert [e.event_id for e in feed.take().events] == [second["eventID"]] and feed.counts["duplicate"] == 1
        stub.assert_no_pending_responses()


def test_lookup_polling_answers_a_quick_look_before_the_next_sweep_without_a_call() -> None:
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    with Stubber(client) as stub:
        stub.add_response("lookup_events", {"Events": []})
        lookup = LookupEventsSource(["us-east-1"], client_factory=lambda _region: client, rate_per_region=1000)
        source = LookupPollingSource(lookup, every_seconds=3600)
        assert source.receive(0) == []  # the sweep
        assert source.receive(0) == []  # not due: no call (the Stubber has no response left to give)
        stub.assert_no_pending_responses()


def test_events_configuration_is_checked_with_file_and_line(tmp_path: Path) -> None:
    config = parse_config('[events]\nsource = "sqs:drift-events"\nfull_poll_seconds = 600\n', tmp_path / "c.toml")
    assert (config.events_source, config.events_full_poll_seconds) == ("sqs:drift-events", 600.0)
    with pytest.raises(InputError) as info:
        parse_config('[events]\nsource = "kafka:x"\n', tmp_path / "c.toml")
    assert info.value.line == 2 and "sqs:QUEUE" in info.value.detail


def test_watch_with_events_runs_full_polls_on_the_safety_net_interval(tmp_path: Path) -> None:
    from driftdeck.tui.cli import build_parser
    from driftdeck.tui.commands.watch import _loader

    config = _loader(tmp_path, None, build_parser().parse_args(["watch", str(tmp_path), "--events", "sqs:q"]))
    assert (config.events_source, config.interval_seconds) == ("sqs:q", 900.0)
    explicit = build_parser().parse_args(["watch", str(tmp_path), "--events", "lookup", "--interval", "120"])
    assert _loader(tmp_path, None, explicit).interval_seconds == 120.0
    assert _loader(tmp_path, None, build_parser().parse_args(["watch", str(tmp_path)])).interval_seconds == 60.0
    with pytest.raises(InputError, match="unknown event source"):
        from driftdeck.core.monitor.events import live_source_from_spec

        live_source_from_spec("kafka:x", session=boto3.session.Session(region_name="us-east-1"))


def test_a_ready_batch_wakes_the_scanner_once_not_on_every_receive() -> None:
    # Found by bench/time_to_detect.py: a wake on every receive woke the loop again after it had
    # taken the batch, and the empty batch that followed became a full poll (150 reads, seconds late).
    source = ListSource([envelope(tagging_record("b1", {"Env": "x"}))])
    wakes: list[int] = []
    feed = EventFeed(source, log=Lines(), full_poll_seconds=3600, on_ready=lambda: wakes.append(1))
    feed.scanned([_result("b1")], full=True)
    assert feed.pump() == 1 and wakes == []  # more may follow in the burst
    assert feed.pump() == 0 and wakes == [1]  # the queue ran dry: ready
    assert feed.pump() == 0 and feed.pump() == 0
    assert wakes == [1]
    assert feed.take().keys == {"aws_s3_bucket.b1"}
    assert feed.pump() == 0 and wakes == [1] and not feed.ready.is_set()
