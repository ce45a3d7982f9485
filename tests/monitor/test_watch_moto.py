"""`MonitorLoop` with the real scan against the moto server over HTTP, the real audit log and a real
webhook receiver: an out-of-band change is seen by the next poll, a `.tf` edit wakes the loop and is
recorded with its text before and after, and every delivery is in a log that verifies."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from log_lines import Lines

from driftdeck.core.audit import AuditReader, verify_workspace
from driftdeck.core.aws import AwsContext
from driftdeck.core.monitor.alerts import Dispatcher, Sink
from driftdeck.core.monitor.loop import MonitorLoop
from driftdeck.core.monitor.plans import plan_writer
from driftdeck.core.monitor.recorder import AuditRecorder
from driftdeck.core.scan.run import ScanOptions, run_scan
from driftdeck.core.settings import Config, SinkConfig

UNMANAGED = ("aws_s3_bucket", "aws_sqs_queue")  # discovery of every type would only slow the polls
WAIT = 30.0  # a bound on waiting for the loop, never a timing assertion




def _loop(workspace: Path, receiver_url: str, interval: float, log: Lines) -> MonitorLoop:
    config = Config(interval_seconds=interval, sinks=(SinkConfig(kind="webhook", name="ops", url=receiver_url, retries=0),))
    return MonitorLoop(
        scan=lambda: run_scan(ScanOptions(path=workspace, unmanaged_types=UNMANAGED), ctx=AwsContext()),
        config=config,
        dispatcher=Dispatcher([Sink(s) for s in config.sinks], rate_limit_seconds=0),
        recorder=AuditRecorder(workspace, heartbeat=False),
        log=log,
        workspace=str(workspace),
        watch_paths=(workspace,),
        write_plan=plan_writer(workspace),
    )


def _until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def _run(loop: MonitorLoop) -> threading.Thread:
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    return thread


def test_out_of_band_change_is_seen_by_the_next_poll_alerted_and_recorded(estate: Any, receiver: Any) -> None:
    log = Lines()
    loop = _loop(estate.workspace, receiver.url, interval=2, log=log)
    thread = _run(loop)
    try:
        # Wait for what is read next: `polls` counts a poll before its scan.completed line is written.
        assert _until(lambda: bool(log.events("scan.completed")))
        first = log.events("scan.completed")[0]
        assert first["drifted"] == 0 and first["unknown"] == 0 and first["total"] == 6
        started_before = len(log.events("scan.started"))
        estate.client("sqs").set_queue_attributes(QueueUrl=estate.queue_url, Attributes={"VisibilityTimeout": "300"})
        assert _until(lambda: bool(log.events("drift.new")))
        events = [line["event"] for line in list(log.lines)]
        detected_in = events[: events.index("drift.new")].count("scan.completed")
        assert detected_in <= started_before + 1  # the first poll started after the change, i.e. within one interval
    finally:
        loop.stop.set()
        thread.join(timeout=WAIT)
    assert not thread.is_alive()
    assert log.events("drift.new")[0]["resource"] == "aws_sqs_queue.dlq"
    assert ("drift.new", "aws_sqs_queue.dlq") in receiver.events()
    body = next(b for b in receiver.bodies() if b["event"] == "drift.new")
    assert [d["path"] for d in body["differences"]] == ["visibility_timeout_seconds"]
    assert body["differences"][0]["actual"] == 300
    assert body["plan"] == ".driftdeck/plans/plan-aws_sqs_queue.dlq.md"  # the alert links the plan it wrote
    plan_text = (estate.workspace / body["plan"]).read_text()
    assert "visibility_timeout_seconds" in plan_text and "set_queue_attributes" in plan_text.replace("-", "_")

    reader = AuditReader.for_workspace(estate.workspace)
    deliveries = list(reader.iter_entries(kinds={"alert.delivery"}))
    assert [(e.data["alert"], e.data["sink"], e.data["ok"], e.subject["address"]) for e in deliveries] == [
        ("drift.new", "ops", True, "aws_sqs_queue.dlq")]
    planned = list(reader.iter_entries(kinds={"remediation.planned"}))
    assert [(e.subject["address"], e.data["markdown"]) for e in planned] == [("aws_sqs_queue.dlq", body["plan"])]
    detected = list(reader.iter_entries(kinds={"drift.detected"}))
    assert [e.subject["address"] for e in detected] == ["aws_sqs_queue.dlq"]
    assert len(list(reader.iter_entries(kinds={"scan.completed"}))) == loop.polls
    assert verify_workspace(estate.workspace).exit_code == 0


def test_tf_edit_wakes_the_loop_and_is_recorded_with_before_and_after(estate: Any, receiver: Any) -> None:
    log = Lines()
    loop = _loop(estate.workspace, receiver.url, interval=600, log=log)  # only the edit can cause a 2nd poll
    thread = _run(loop)
    main_tf = estate.workspace / "main.tf"
    before = main_tf.read_text()
    try:
        assert _until(lambda: loop.polls >= 1)
        assert _until(loop.watching.is_set)  # the file watcher runs: the edit below cannot be missed
        main_tf.write_text(before.replace('name = "dd-jobs-dlq"', 'name = "dd-jobs-dlq"\n  delay_seconds = 5'))
        assert _until(lambda: bool(log.events("drift.new")))  # woke up long before the 600 s interval
    finally:
        loop.stop.set()
        thread.join(timeout=WAIT)
    assert not thread.is_alive()
    assert loop.polls == 2
    new = log.events("drift.new")
    assert [(n["resource"], n["after"]) for n in new] == [("aws_sqs_queue.dlq", "pending")]  # code edited, not applied
    assert ("drift.new", "aws_sqs_queue.dlq") in receiver.events()
    changes = log.events("config.changed")
    assert [(c["file"], c["change"], c["added"], c["removed"]) for c in changes] == [("main.tf", "modified", 1, 0)]
    reader = AuditReader.for_workspace(estate.workspace)
    entries = list(reader.iter_entries(kinds={"config.changed"}))
    assert len(entries) == 1
    entry = reader.get(entries[0].seq)
    assert entry is not None
    assert entry.data["file"] == "main.tf" and "+  delay_seconds = 5" in entry.data["diff"]
    assert entry.before == before and entry.after == main_tf.read_text()
    assert verify_workspace(estate.workspace).exit_code == 0
