"""Snapshots of the key screens with fixed data (no clock, ports or paths in the image).

Regenerate after an intended visual change: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sample_reports import drifted_estate, mixed_sources_estate
from tui_helpers import make_app, settle

from driftdeck.tui.audit_feed import AuditEvent, ChainState, MemoryFeed
from driftdeck.tui.widgets.resource_tree import ResourceTree

SIZE = (160, 46)
SG = "module.network.aws_security_group.web"
FIXED = datetime(2026, 1, 1, 12, 0, 0)


def _feed() -> MemoryFeed:
    return MemoryFeed(
        [
            AuditEvent(1, "2026-01-01T11:00:00Z", "scan.completed", "ops@bastion", {"tool": "driftdeck"},
                       {"summary": {"total": 12, "in_sync": 12}}, hash="9f2c…a1", prev="origin"),
            AuditEvent(2, "2026-01-01T11:05:00Z", "drift.detected", "ops@bastion", {"address": SG},
                       {"from": "in_sync", "to": "changed"},
                       before={"ingress": ["tcp 443 0.0.0.0/0"], "tags": {"Env": "prod"}},
                       after={"ingress": ["tcp 443 0.0.0.0/0", "tcp 22 0.0.0.0/0"], "tags": {"Env": "prod"}},
                       hash="4be1…07", prev="9f2c…a1"),
            AuditEvent(3, "2026-01-01T11:06:00Z", "config.changed", "carol@laptop", {"tool": "driftdeck"},
                       {"file": "modules/queues/main.tf"}, before="name = \"acme-reports\"\n",
                       after="name = \"acme-reports\"\nvisibility_timeout_seconds = 120\n", hash="77d0…c3", prev="4be1…07"),
        ],
        state=ChainState("verified", 3),
    )


def _app(tmp_path: Path) -> Any:
    return make_app(tmp_path, [drifted_estate()], feed=_feed(), record_audit=False, clock=lambda: FIXED,
                    title="acme/infra")


def _before(*keys: str, select: str = SG) -> Any:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        await settle(app, pilot)
        app.query_one(ResourceTree).select_key(select)
        await settle(app, pilot)
        if keys:
            await pilot.press(*keys)
            await settle(app, pilot)
        app.clear_notifications()
        app.poll.last_seconds = 0.0  # the scripted scan's wall time varies with machine load
        app._render_poll()
        await pilot.pause()

    return run_before


def test_overview_with_a_changed_resource(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=SIZE, run_before=_before())


def test_raw_state_vs_live(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=SIZE, run_before=_before("y", select="aws_s3_bucket.assets"))


def test_audit_panel_all_events_with_diff(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await _before("a")(pilot)
        pilot.app.query_one("#audit-events").move_cursor(row=1)
        await settle(pilot.app, pilot)

    assert snap_compare(_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=SIZE, run_before=_before("question_mark"))


def test_stack_group_and_a_pending_code_edit(snap_compare: Any, tmp_path: Path) -> None:
    app = make_app(tmp_path, [mixed_sources_estate()], feed=_feed(), record_audit=False, clock=lambda: FIXED,
                   title="acme/infra")
    assert snap_compare(app, terminal_size=SIZE, run_before=_before(select="module.queues.aws_sqs_queue.orders"))


def _history_app(tmp_path: Path) -> Any:
    """The dashboard with a history of fixed entries (two flaps of the security group, a bucket fixed by
    a plan, three named actors) so the timeline and estate view render the same on every run."""
    from driftdeck.core.audit import AuditReader, VerificationState
    from driftdeck.core.audit.entry import Entry
    from driftdeck.core.audit.history import HistoryModel
    from driftdeck.tui.screens.history import HistorySource

    day = 86400.0
    start = FIXED.replace(tzinfo=UTC).timestamp() - 3 * day
    steps: list[tuple[float, str, dict[str, Any], dict[str, Any]]] = []
    for i in range(12):  # a scan every 6 hours
        drifted = 2 if 2 <= i < 5 else 1 if 5 <= i < 9 else 0
        steps.append((start + i * day / 4, "scan.completed", {},
                      {"summary": {"total": 12, "changed": drifted, "missing": 0, "pending": 0,
                                   "unmanaged": 1 if i >= 6 else 0, "unknown": 1 if i == 7 else 0}}))

    def drift(at: float, kind: str, key: str, before: str | None, to: str) -> None:
        steps.append((at, kind, {"address": key}, {"key": key, "from": before, "to": to}))

    def change(at: float, actor: str, key: str, event: str) -> None:
        steps.append((at, "cloud.change.attributed", {"address": key},
                      {"actor": actor, "event_name": event, "resource": {"address": key}}))

    drift(start + 0.5 * day, "drift.detected", SG, "in_sync", "changed")
    change(start + 0.5 * day - 60, "alice", SG, "AuthorizeSecurityGroupIngress")
    drift(start + 1.0 * day, "drift.resolved", SG, "changed", "in_sync")
    drift(start + 1.5 * day, "drift.detected", SG, "in_sync", "changed")
    change(start + 1.5 * day - 60, "alice", SG, "AuthorizeSecurityGroupIngress")
    drift(start + 2.25 * day, "drift.resolved", SG, "changed", "in_sync")
    drift(start + 2.5 * day, "drift.detected", SG, "in_sync", "changed")
    change(start + 2.5 * day - 60, "bob", SG, "ModifySecurityGroupRules")
    drift(start + 0.5 * day, "drift.detected", "aws_s3_bucket.assets", "in_sync", "changed")
    change(start + 0.5 * day - 30, "ci-deployer", "aws_s3_bucket.assets", "PutBucketTagging")
    steps.append((start + 1.2 * day, "remediation.planned", {"address": "aws_s3_bucket.assets"}, {"plan": "p"}))
    drift(start + 1.25 * day, "drift.resolved", "aws_s3_bucket.assets", "changed", "in_sync")
    steps.sort(key=lambda s: s[0])
    entries = [Entry(seq, datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"), kind, {"user": "ops"},
                     {"workspace": "/ws", **subject}, data, "0" * 64, f"{seq:064x}")
               for seq, (at, kind, subject, data) in enumerate(steps, start=1)]
    chain = VerificationState("verified", len(entries), len(entries))
    model = HistoryModel.from_entries(entries, chain, AuditReader(tmp_path))
    app = _app(tmp_path)
    app.history = HistorySource(None, model=model, clock=lambda: FIXED.replace(tzinfo=UTC).timestamp())
    return app


def test_resource_timeline_in_the_detail_pane(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(_history_app(tmp_path), terminal_size=(160, 60), run_before=_before())


def test_estate_history_view(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(_history_app(tmp_path), terminal_size=SIZE, run_before=_before("h"))
