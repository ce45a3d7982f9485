"""A running watch notices when its audit log stops verifying and alerts once (audit.chain_failed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from driftdeck.core.audit import layout
from driftdeck.core.model import ResourceResult, ScanReport, Status
from driftdeck.core.monitor.alerts import Dispatcher, Sink
from driftdeck.core.monitor.loop import MonitorLoop
from driftdeck.core.monitor.recorder import AuditRecorder
from driftdeck.core.settings import Config, SinkConfig


def _report() -> ScanReport:
    ok = ResourceResult("aws_sqs_queue.q", "aws_sqs_queue", "q", Status.IN_SYNC, None)
    return ScanReport(generated_at="2026-11-28T08:00:00Z", duration_ms=1, sources=[], resources=[ok])


def test_tampered_log_is_alerted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Any) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))
    workspace = tmp_path / "iac"
    workspace.mkdir()
    lines: list[dict[str, Any]] = []
    recorder = AuditRecorder(workspace, heartbeat=False)
    config = Config(sinks=(SinkConfig(kind="webhook", name="ops", url=receiver.url, retries=0),))
    loop = MonitorLoop(scan=_report, config=config, dispatcher=Dispatcher([Sink(s) for s in config.sinks]),
                     recorder=recorder, log=lambda event, level="info", **f: lines.append({"event": event, **f}),
                     workspace=str(workspace))
    loop.poll_once()
    assert receiver.events() == []  # a whole chain: nothing to say

    segment = layout.segments(recorder.log.log_dir)[0][1]
    text = segment.read_bytes()
    assert b'"scan.completed"' in text
    segment.write_bytes(text.replace(b'"scan.completed"', b'"scan.complete"', 1))  # an edited past entry

    loop.poll_once()
    loop.poll_once()
    assert receiver.events() == [("audit.chain_failed", "audit-log")]
    body = receiver.bodies()[0]
    assert body["after"] == "tampered" and "tampered at seq" in body["detail"]
    assert [line["event"] for line in lines].count("audit.chain_failed") == 1
    loop.close()
