"""The dashboard and `driftdeck watch` drive the same monitor loop (core.monitor.loop): for the same
scans they record the same audit events, the attribution evidence behind new drift included (before,
only `driftdeck scan` recorded it; the dashboard and watch recorded bare transitions)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sample_reports import drifted_estate, small_estate
from tui_helpers import ScriptedScanner, make_app, run_async, settle

from driftdeck.core.attribution.engine import AttributionMatch
from driftdeck.core.attribution.events import parse_record
from driftdeck.core.audit import AuditReader
from driftdeck.core.model import Attribution, ScanReport, Status
from driftdeck.core.monitor.alerts import Dispatcher
from driftdeck.core.monitor.loop import MonitorLoop
from driftdeck.core.monitor.recorder import AuditRecorder
from driftdeck.core.settings import Config
from driftdeck.tui.audit_core import open_feed

RECORDED_KINDS = {"scan.completed", "drift.detected", "drift.resolved", "cloud.change.attributed"}
RECORD = {
    "eventVersion": "1.09", "eventTime": "2026-01-01T09:55:00Z", "eventID": "7d3c8a52-0001",
    "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/mallory", "userName": "mallory"},
    "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress", "awsRegion": "us-east-1",
    "requestParameters": {}, "responseElements": None, "readOnly": False, "recipientAccountId": "123456789012",
}


def _attributed_drift() -> ScanReport:
    """`drifted_estate` with its first changed resource explained by a CloudTrail event."""
    report = drifted_estate()
    changed = next(r for r in report.resources if r.status is Status.CHANGED)
    who = Attribution(actor="mallory", actor_type="IAMUser", via="aws-cli", event_name=RECORD["eventName"],
                      event_time=RECORD["eventTime"], source_ip=None, user_agent=None, confidence="exact",
                      event_id=RECORD["eventID"])
    return replace(report, attribution_matches=[AttributionMatch(changed, who, parse_record(RECORD))])


def _recorded(workspace: Path) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """What the log holds about the scans, oldest first, without what differs per log (workspace, links)."""
    entries = sorted(AuditReader.for_workspace(workspace).iter_entries(kinds=RECORDED_KINDS), key=lambda e: e.seq)
    return [(e.kind, {k: v for k, v in e.subject.items() if k != "workspace"},
             {k: v for k, v in e.data.items() if k != "drift_event"}) for e in entries]


def _watch_records(workspace: Path, reports: list[ScanReport]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    loop = MonitorLoop(scan=ScriptedScanner(reports), config=Config(), dispatcher=Dispatcher([]),
                     recorder=AuditRecorder(workspace, heartbeat=False), log=lambda *a, **k: None,
                     workspace=str(workspace))
    for _ in reports:
        loop.poll_once()
    loop.close()
    return _recorded(workspace)


@run_async
async def test_the_dashboard_records_what_watch_records_for_the_same_scans(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))
    reports = [small_estate(), _attributed_drift()]
    (tmp_path / "watch").mkdir()
    (tmp_path / "tui").mkdir()
    watched = _watch_records(tmp_path / "watch", reports)

    app = make_app(tmp_path / "tui", reports, feed=open_feed(tmp_path / "tui"))
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(app, pilot)
        app.scan_now()
        await settle(app, pilot)
        assert {t.key for t in app.last_transitions if t.is_new_drift}  # the loop's transitions reached the UI
    shown = _recorded(tmp_path / "tui")

    assert shown == watched
    (attributed,) = [data for kind, _, data in shown if kind == "cloud.change.attributed"]
    assert attributed["actor"].endswith("mallory") and attributed["event_name"] == RECORD["eventName"]


@run_async
async def test_the_dashboard_links_attribution_evidence_to_its_drift_event(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path / "config"))
    app = make_app(tmp_path, [small_estate(), _attributed_drift()], feed=open_feed(tmp_path))
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(app, pilot)
        app.scan_now()
        await settle(app, pilot)
    reader = AuditReader.for_workspace(tmp_path)
    (linked,) = reader.iter_entries(kinds=["cloud.change.attributed"])
    detected = {f"{e.seq}:{e.hash}": e for e in reader.iter_entries(kinds=["drift.detected"])}
    assert detected[linked.data["drift_event"]].data["key"] == linked.data["resource"]["address"]
