"""A restarted watch (or the next `watch --once`) seeds its baseline from the audit log: drift that
was already alerted stays quiet, and its resolution still alerts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftdeck.core.model import Difference, ResourceResult, ScanReport, Status
from driftdeck.core.monitor.alerts import Dispatcher, Sink
from driftdeck.core.monitor.loop import MonitorLoop
from driftdeck.core.monitor.recorder import AuditRecorder
from driftdeck.core.settings import Config, SinkConfig

QUEUE = "aws_sqs_queue.q"


def _report(queue: Status, stray: bool = False) -> ScanReport:
    diffs = [Difference("delay_seconds", 0, 5)] if queue is Status.CHANGED else []
    resources = [ResourceResult(QUEUE, "aws_sqs_queue", "q", queue, None, diffs)]
    if stray:
        resources.append(ResourceResult(None, "aws_s3_bucket", "stray", Status.UNMANAGED, None))
    return ScanReport(generated_at="2026-11-28T08:00:00Z", duration_ms=1, sources=[], resources=resources)


def _session(workspace: Path, receiver: Any, reports: Iterator[ScanReport], polls: int) -> list[str]:
    recorder = AuditRecorder(workspace, heartbeat=False)
    config = Config(sinks=(SinkConfig(kind="webhook", name="ops", url=receiver.url, retries=0),))
    loop = MonitorLoop(scan=lambda: next(reports), config=config, dispatcher=Dispatcher([Sink(s) for s in config.sinks]),
                     recorder=recorder, log=lambda *a, **k: None, workspace=str(workspace))
    loop.seed(recorder.known_drift())
    kinds = [t.kind.value for _ in range(polls) for t in loop.poll_once()]
    loop.close()
    return kinds


def test_restart_does_not_realert_known_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Any) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))
    workspace = tmp_path / "iac"
    workspace.mkdir()
    assert _session(workspace, receiver, iter([_report(Status.IN_SYNC), _report(Status.CHANGED, stray=True)]), 2) == [
        "drift.new", "unmanaged.new"]
    assert len(receiver.requests) == 2

    # Restart: the same drift (an unknown first, as during an outage) is not news.
    later = iter([_report(Status.UNKNOWN, stray=True), _report(Status.CHANGED, stray=True), _report(Status.IN_SYNC)])
    assert _session(workspace, receiver, later, 3) == ["drift.resolved", "drift.resolved"]
    assert receiver.events()[2:] == [("drift.resolved", QUEUE), ("drift.resolved", "aws_s3_bucket:stray")]
