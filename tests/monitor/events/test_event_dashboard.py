"""Pilot: the dashboard with `--events` on a real SQS queue (moto) shows a change after one event,
records it, reads that resource once, and names the event source in the status bar."""

from __future__ import annotations

from event_support import QUEUE, Estate, envelope, until
from tui_helpers import run_async, settle, wait_for

from driftdeck.core.model import Status  # noqa: E402
from driftdeck.core.scan.run import ScanOptions, run_scan  # noqa: E402
from driftdeck.tui.app import DriftdeckApp  # noqa: E402
from driftdeck.tui.audit_feed import MemoryFeed  # noqa: E402
from driftdeck.tui.live_events import LiveEvents  # noqa: E402
from driftdeck.tui.widgets.bars import PollBar  # noqa: E402


@run_async
async def test_dashboard_shows_an_event_driven_change_with_one_read(estate: Estate) -> None:
    options = ScanOptions(path=estate.workspace, unmanaged_types=("aws_s3_bucket",), evaluate_code=False, reader="native")
    audit = MemoryFeed()
    events = LiveEvents(f"sqs:{QUEUE}", options, estate.ctx, lambda: run_scan(options, ctx=estate.ctx))
    app = DriftdeckApp(estate.workspace, scanner=events.scanner, feed=audit, poll_interval=0, watch=False,
                       events_status=events.status_text)
    target = estate.buckets[0]
    key = f"aws_s3_bucket.{target.replace('-', '_')}"
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(app, pilot)
            assert app.results[key].status is Status.IN_SYNC
            events.start(app)
            mark = len(estate.proxy.requests)
            estate.send([envelope(estate.change_tags(target, {"Env": "dev"}, who="mallory"))])
            await wait_for(pilot, lambda: key in app.results and app.results[key].status is Status.CHANGED, rounds=1200)
            await settle(app, pilot)
            bar = app.query_one(PollBar)
            await wait_for(pilot, lambda: f"events sqs:{QUEUE} · lag " in bar._last, rounds=600)  # next status tick
            assert "full poll " in bar._last
            reads = estate.bucket_operations(mark)
            assert {bucket for bucket, _ in reads} == {target} and set(reads.values()) == {1}
            assert app.results[key].attribution[0].actor.endswith("mallory")
            assert [e.subject.get("address") for e in audit.events() if e.kind == "drift.detected"] == [key]
            assert until(estate.queue_empty)
    finally:
        events.stop.set()


@run_async
async def test_dashboard_says_when_the_queue_is_unreachable_and_keeps_scanning(estate: Estate) -> None:
    options = ScanOptions(path=estate.workspace, unmanaged_types=("aws_s3_bucket",), evaluate_code=False, reader="native")
    audit = MemoryFeed()
    events = LiveEvents("sqs:no-such-queue", options, estate.ctx, lambda: run_scan(options, ctx=estate.ctx))
    app = DriftdeckApp(estate.workspace, scanner=events.scanner, feed=audit, poll_interval=0, watch=False,
                       events_status=events.status_text)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(app, pilot)
            events.start(app)
            bar = app.query_one(PollBar)
            await wait_for(pilot, lambda: "events sqs:no-such-queue · unreachable" in bar._last, rounds=1200)
            assert "polling continues" in bar._last
            await pilot.press("r")
            await settle(app, pilot)
            assert app.scans_applied == 2 and app.poll.error is None
    finally:
        events.stop.set()
