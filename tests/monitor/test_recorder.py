"""AuditRecorder on a real audit log: failed remediations are never lost, subjects are cleaned,
nothing is written after the closing checkpoint; a failed auto-remediation is recorded and alerted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from driftdeck.core.audit import AuditReader, verify_workspace
from driftdeck.core.model import Difference, ResourceResult, ScanReport, Status
from driftdeck.core.monitor.alerts import Dispatcher, Sink
from driftdeck.core.monitor.auto_remediation import AutoRemediationOutcome
from driftdeck.core.monitor.loop import MonitorLoop
from driftdeck.core.monitor.recorder import AuditRecorder
from driftdeck.core.settings import AutoRemediationRule, Config, SinkConfig

PAB = "aws_s3_bucket_public_access_block.data"


def _report(status: Status) -> ScanReport:
    diffs = [Difference("block_public_acls", True, False)] if status is Status.CHANGED else []
    res = ResourceResult(PAB, "aws_s3_bucket_public_access_block", "dd-data", status, None, diffs)
    return ScanReport(generated_at="2026-11-28T08:00:00Z", duration_ms=1, sources=[], resources=[res])


def test_failed_auto_remediation_is_recorded_and_alerted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         receiver: Any) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))
    workspace = tmp_path / "iac"
    workspace.mkdir()
    reports = iter([_report(Status.IN_SYNC), _report(Status.CHANGED)])
    recorder = AuditRecorder(workspace, heartbeat=False)
    config = Config(sinks=(SinkConfig(kind="webhook", name="ops", url=receiver.url, retries=0),),
                    auto_remediation=(AutoRemediationRule(name="pab", type="aws_s3_bucket_public_access_block"),))
    failed = AutoRemediationOutcome("failed", "put_public_access_block failed: AccessDenied",
                                    calls=[], before={"status": "changed"}, after={"status": "changed"})
    loop = MonitorLoop(scan=lambda: next(reports), config=config, dispatcher=Dispatcher([Sink(s) for s in config.sinks]),
                     recorder=recorder, log=lambda *a, **k: None, workspace=str(workspace),
                     remediate=lambda *a: failed)
    loop.poll_once()
    loop.poll_once()
    loop.close()
    assert receiver.events() == [("drift.new", PAB), ("remediation.failed", PAB)]
    reader = AuditReader.for_workspace(workspace)
    outcome = [e for e in reader.iter_entries() if e.kind.startswith("remediation.")]
    assert len(outcome) == 1
    entry = outcome[0]
    # The log knows no `remediation.failed` kind yet: the failure is kept under the applied kind.
    assert entry.kind in ("remediation.failed", "remediation.applied") and entry.data["outcome"] == "failed"
    assert entry.data["rule"] == "pab" and "AccessDenied" in entry.data["detail"]
    assert entry.subject["address"] == PAB and entry.subject["resource_type"] == "aws_s3_bucket_public_access_block"
    assert [e.data["alert"] for e in reader.iter_entries(kinds={"alert.delivery"})] == ["remediation.failed", "drift.new"]
    assert verify_workspace(workspace).exit_code == 0


def test_recorder_cleans_subjects_and_writes_nothing_after_close(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))
    recorder = AuditRecorder(tmp_path, heartbeat=False)
    recorder.event("alert.delivery", {"address": "a.b", "resource": "ignored", "provider_id": None, "tool": "x"},
                   {"ok": True, "elapsed": 0.25})
    size = recorder.log.size
    recorder.close()
    recorder.event("alert.delivery", {"address": "a.b"}, {"ok": True})
    recorder.scan(_report(Status.CHANGED))
    assert recorder.integrity() is None
    entries = list(AuditReader.for_workspace(tmp_path).iter_entries())
    assert entries[0].kind == "audit.checkpoint" and entries[0].data["reason"] == "session end"
    assert len(entries) == size + 1  # only the closing checkpoint after the delivery
    delivery = next(e for e in entries if e.kind == "alert.delivery")
    assert delivery.subject["address"] == "a.b" and delivery.subject["tool"] == "driftdeck"
    assert "resource" not in delivery.subject
    assert delivery.data["elapsed"] == "0.25"  # the log takes no floats: kept as text
