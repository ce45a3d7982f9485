"""Events from a real SQS queue (moto) for real boto3 changes: one event → one read of that resource
and a `drift.detected` in the audit log carrying the event; bursts coalesce; duplicates, out-of-order
and poisoned messages; an unreachable queue is reported while full polls go on."""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
from aws_test_support import s3_error
from event_support import QUEUE, Estate, envelope, iso, now, tagging_record, until
from log_lines import Lines

from driftdeck.core.audit import AuditReader
from driftdeck.core.monitor.alerts import Dispatcher
from driftdeck.core.monitor.events import (
    EventDrivenScan,
    EventFeed,
    SqsSource,
    start_events,
    targeted_recheck,
)
from driftdeck.core.monitor.loop import MonitorLoop
from driftdeck.core.monitor.recorder import AuditRecorder
from driftdeck.core.scan.run import ScanOptions, run_scan
from driftdeck.core.settings import Config

UNMANAGED = ("aws_s3_bucket",)


def _options(estate: Estate) -> ScanOptions:
    return ScanOptions(path=estate.workspace, unmanaged_types=UNMANAGED, evaluate_code=False, reader="native")


@dataclass
class Driven:
    """An EventFeed + EventDrivenScan driven by hand, so every step is observable."""

    feed: EventFeed
    scan: EventDrivenScan
    log: Lines


def _driven(estate: Estate, source: Any = None, **feed_args: Any) -> Driven:
    log = Lines()
    options = _options(estate)
    feed = EventFeed(source or estate.source(), log=log, wait_seconds=0, full_poll_seconds=3600, **feed_args)
    scan = EventDrivenScan(feed, lambda: run_scan(options, ctx=estate.ctx), targeted_recheck(options, estate.ctx))
    return Driven(feed, scan, log)


def _pump_until_ready(feed: EventFeed) -> None:
    assert until(lambda: feed.pump() >= 0 and feed.ready.is_set())


def test_one_event_records_the_change_with_exactly_one_read_of_that_resource(estate: Estate) -> None:
    log = Lines()
    options = _options(estate)
    recorder = AuditRecorder(estate.workspace, heartbeat=False)
    loop = MonitorLoop(scan=lambda: run_scan(options, ctx=estate.ctx), config=Config(interval_seconds=3600),
                     dispatcher=Dispatcher([]), recorder=recorder, log=log, workspace=str(estate.workspace))
    feed = start_events(loop, estate.source(), options, estate.ctx, coalesce_seconds=0.2, wait_seconds=1)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        assert until(lambda: loop.polls >= 1)
        per_bucket_full = estate.bucket_requests()
        assert set(per_bucket_full) == set(estate.buckets)
        mark = len(estate.proxy.requests)
        target = estate.buckets[1]
        change = estate.change_tags(target, {"Env": "dev"}, who="mallory")
        estate.send([envelope(change)])
        assert until(lambda: bool(log.events("drift.new")))
        assert until(estate.queue_empty)  # deleted once recorded
        reads = estate.bucket_operations(mark)
        assert {bucket for bucket, _ in reads} == {target} and set(reads.values()) == {1}  # one read, of that bucket only
        assert len(reads) == per_bucket_full[target] - 1  # the full poll also located it (discovery)
        assert [line["resource"] for line in log.events("drift.new")] == [f"aws_s3_bucket.{target.replace('-', '_')}"]
        assert loop.polls == 2 and feed.counts["received"] == 1
        scanner = loop.scan
        assert isinstance(scanner, EventDrivenScan) and (scanner.full_polls, scanner.rechecks) == (1, 1)
    finally:
        loop.stop.set()
        thread.join(30)
    detected = [e for e in AuditReader(recorder.log.log_dir).iter_entries(kinds={"drift.detected"})]
    assert len(detected) == 1
    after = detected[0].after
    assert after["address"] == f"aws_s3_bucket.{target.replace('-', '_')}"
    assert [a["event_id"] for a in after["attribution"]] == [change["eventID"]]
    assert "mallory" in after["attribution"][0]["actor"]


def test_a_burst_of_200_events_for_20_resources_is_20_reads(wide_estate: Estate) -> None:
    estate = wide_estate
    driven = _driven(estate, coalesce_seconds=3600)  # only a drained queue ends the burst here
    driven.scan()  # the first full poll builds the index
    per_bucket_full = estate.bucket_requests()
    mark = len(estate.proxy.requests)
    bodies = []
    for round_ in range(10):
        for name in estate.buckets:
            bodies.append(envelope(estate.change_tags(name, {"Env": f"r{round_}"})))
    random.Random(18).shuffle(bodies)
    estate.send(bodies)
    _pump_until_ready(driven.feed)
    report = driven.scan()
    assert driven.scan.rechecks == 1 and driven.scan.full_polls == 1
    reads = estate.bucket_operations(mark)
    assert {bucket for bucket, _ in reads} == set(estate.buckets) and set(reads.values()) == {1}  # 20 reads
    assert sum(reads.values()) == sum(per_bucket_full.values()) - len(estate.buckets)  # no discovery
    assert sum(1 for r in report.resources if r.status.value == "changed") == 20
    driven.scan.recorded()
    assert until(estate.queue_empty)
    assert driven.feed.counts["received"] == 200


def test_duplicates_and_out_of_order_events_read_once_and_name_the_newest_change(estate: Estate) -> None:
    driven = _driven(estate)
    driven.scan()
    target = estate.buckets[0]
    older = estate.change_tags(target, {"Env": "first"}, who="alice")
    newer = estate.change_tags(target, {"Env": "second"}, who="bob")
    older["eventTime"] = iso(now() - timedelta(seconds=30))  # it happened first, it arrives last
    mark = len(estate.proxy.requests)
    estate.send([envelope(newer), envelope(newer), envelope(older)])  # duplicate, then an older event
    _pump_until_ready(driven.feed)
    report = driven.scan()
    reads = estate.bucket_requests(mark)
    assert list(reads) == [target]
    result = next(r for r in report.resources if r.id == target)
    assert result.status.value == "changed"
    assert result.live is not None and result.live["tags"] == {"Env": "second"}
    assert result.attribution[0].event_id == newer["eventID"]
    assert driven.feed.counts["duplicate"] == 1
    driven.scan.recorded()
    assert until(estate.queue_empty)
    # Redelivered after processing (e.g. a lost delete): acknowledged, not re-read.
    estate.send([envelope(newer)])
    assert until(lambda: driven.feed.pump() == 0 and estate.queue_empty())
    assert driven.feed.counts["duplicate"] == 2 and not driven.feed.ready.is_set()


def test_a_poisoned_message_is_logged_deleted_after_the_redrive_count_and_never_blocks(estate: Estate) -> None:
    url = estate.sqs.create_queue(QueueName="driftdeck-poison", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    source = SqsSource(url, estate.sqs)
    driven = _driven(estate, source=source, max_receives=3)
    driven.scan()
    target = estate.buckets[2]
    estate.sqs.send_message(QueueUrl=url, MessageBody='{"detail-type": "AWS API Call via CloudTrail", "detail": {')
    estate.sqs.send_message(QueueUrl=url, MessageBody=envelope(estate.change_tags(target, {"Env": "x"})))
    _pump_until_ready(driven.feed)
    report = driven.scan()
    assert next(r for r in report.resources if r.id == target).status.value == "changed"
    driven.scan.recorded()
    assert until(lambda: driven.feed.pump() >= 0 and bool(
        [p for p in driven.log.events("events.poisoned") if p["action"] == "deleted"]))
    poisoned = driven.log.events("events.poisoned")
    assert [p["receive_count"] for p in poisoned][-1] == 3 and "not JSON" in poisoned[0]["problem"]
    attrs = estate.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_an_unreachable_queue_is_reported_and_full_polls_continue(estate: Estate) -> None:
    log = Lines()
    options = _options(estate)
    loop = MonitorLoop(scan=lambda: run_scan(options, ctx=estate.ctx), config=Config(interval_seconds=1),
                     dispatcher=Dispatcher([]), recorder=None, log=log, workspace=str(estate.workspace))
    feed = start_events(loop, SqsSource("no-such-queue", estate.sqs), options, estate.ctx, wait_seconds=1)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        assert until(lambda: bool(log.events("events.unreachable")) and loop.polls >= 3)
        status = feed.status()
        assert status.error is not None and "unreachable" in status.text() and "polling continues" in status.text()
        assert status.last_full_poll is not None
        assert "QueueDoesNotExist" in log.events("events.unreachable")[0]["error"] or \
            "NonExistentQueue" in log.events("events.unreachable")[0]["error"]
    finally:
        loop.stop.set()
        thread.join(30)


def test_the_queue_is_named_in_the_status_with_its_lag(estate: Estate) -> None:
    driven = _driven(estate)
    driven.scan()
    estate.send([envelope(estate.change_tags(estate.buckets[0], {"Env": "y"}))])
    _pump_until_ready(driven.feed)
    text = driven.feed.status().text()
    assert text.startswith(f"events sqs:{QUEUE} · lag ") and "full poll " in text and "1 pending" in text
    assert json.loads(envelope({"eventSource": "s3.amazonaws.com", "eventTime": "t", "awsRegion": "r"}))["source"] == "aws.s3"


def test_a_bucket_created_outside_any_state_becomes_unmanaged_from_its_event_and_resolves_when_deleted(
        estate: Estate) -> None:
    driven = _driven(estate)
    driven.scan()
    estate.s3.create_bucket(Bucket="dd-rogue")
    created = tagging_record("dd-rogue", {})
    created.update(eventName="CreateBucket", requestParameters={"bucketName": "dd-rogue", "Host": "s3.amazonaws.com"})
    mark = len(estate.proxy.requests)
    estate.send([envelope(created)])
    _pump_until_ready(driven.feed)
    report = driven.scan()
    rogue = next(r for r in report.resources if r.key == "aws_s3_bucket:dd-rogue")
    assert rogue.status.value == "unmanaged" and rogue.attribution[0].event_id == created["eventID"]
    # No managed bucket was re-read: discovery listed the buckets (and located each, as S3 discovery does).
    assert {operation for _, operation in estate.bucket_operations(mark)} == {"S3 GET bucket?location"}
    assert sorted(r.status.value for r in report.resources if r.address is not None) == ["in_sync"] * 3
    driven.scan.recorded()
    estate.s3.delete_bucket(Bucket="dd-rogue")
    deleted = dict(created, eventName="DeleteBucket", eventID="deleted-1")
    estate.send([envelope(deleted)])
    _pump_until_ready(driven.feed)
    report = driven.scan()
    assert "aws_s3_bucket:dd-rogue" not in {r.key for r in report.resources}
    assert sum(1 for r in report.resources if r.address is not None) == len(estate.buckets)


def test_records_routed_by_the_documented_eventbridge_rule_reach_the_feed_and_read_only_calls_do_not(
        estate: Estate) -> None:
    # moto's EventBridge delivers rule targets for PutEvents: the envelope here is moto's, not ours.
    events = boto3.client("events", endpoint_url=estate.s3.meta.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    arn = estate.sqs.get_queue_attributes(QueueUrl=estate.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="driftdeck-api-calls", EventPattern=json.dumps(
        {"detail-type": ["AWS API Call via CloudTrail"], "detail": {"readOnly": [False]}}))  # as in docs/events.md
    events.put_targets(Rule="driftdeck-api-calls", Targets=[{"Id": "queue", "Arn": arn}])
    driven = _driven(estate)
    driven.scan()
    target = estate.buckets[1]
    change = estate.change_tags(target, {"Env": "routed"})
    read = dict(tagging_record(target, {}), eventName="GetBucketTagging", readOnly=True)
    answer = events.put_events(Entries=[
        {"Source": "aws.s3", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(record)}
        for record in (read, change)])
    assert answer["FailedEntryCount"] == 0
    _pump_until_ready(driven.feed)
    batch_keys = {r.key for r in driven.scan().resources if r.status.value == "changed"}
    assert batch_keys == {f"aws_s3_bucket.{target.replace('-', '_')}"}
    assert driven.feed.counts["received"] == 1 and driven.scan.rechecks == 1


def test_an_event_whose_resource_could_not_be_read_is_delivered_again_not_dropped(estate: Estate) -> None:
    url = estate.sqs.create_queue(QueueName="driftdeck-retry", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    driven = _driven(estate, source=SqsSource(url, estate.sqs))
    driven.scan()
    target = estate.buckets[0]
    key = f"aws_s3_bucket.{target.replace('-', '_')}"
    estate.proxy.add(lambda r: r.method == "GET" and r.path.strip("/") == target and "tagging" in r.query,
                     **s3_error("AccessDenied", 403))
    change = estate.change_tags(target, {"Env": "unread"})
    estate.sqs.send_message(QueueUrl=url, MessageBody=envelope(change))
    _pump_until_ready(driven.feed)
    assert next(r for r in driven.scan().resources if r.key == key).status.value == "unknown"
    driven.scan.recorded()
    assert driven.log.events("events.recheck_unknown")[0]["action"] == "redelivery"
    estate.proxy.faults.clear()  # the permission is back
    _pump_until_ready(driven.feed)  # the same message, delivered again
    result = next(r for r in driven.scan().resources if r.key == key)
    assert result.status.value == "changed" and result.attribution[0].event_id == change["eventID"]
    driven.scan.recorded()
    attrs = estate.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_rechecked_bucket_keeps_the_unmanaged_objects_found_in_it(estate: Estate) -> None:
    """A tag event re-reads the bucket; the objects counted in it are re-read with it, never dropped
    from the report as if they had gone (that would read as a resolution until the next full poll)."""
    target = estate.buckets[0]
    estate.s3.put_object(Bucket=target, Key="loose.csv", Body=b"x")
    driven = _driven(estate)
    first = driven.scan()
    objects = [r for r in first.resources if r.parent == f"aws_s3_bucket.{target.replace('-', '_')}" and r.aggregate]
    assert [r.name for r in objects] == [f"1 object(s) in {target}"]
    estate.s3.put_object(Bucket=target, Key="second.csv", Body=b"y")
    estate.send([envelope(estate.change_tags(target, {"Env": "dev"}))])
    _pump_until_ready(driven.feed)
    report = driven.scan()
    assert driven.scan.rechecks == 1
    after = [r for r in report.resources if r.parent == objects[0].parent and r.aggregate]
    assert [r.name for r in after] == [f"2 object(s) in {target}"]  # re-read with its bucket, not kept stale
