"""The audit panel reads as fields with indented diffs, hides routine entries until asked, and fits its
columns on wide screens; the raw view (`y`) aligns state and live key by key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_reports import drifted_estate, mixed_sources_estate
from textual.widgets import DataTable, Static
from tui_helpers import make_app, render_plain, run_async, settle, wait_for

from driftdeck.core.model import ChangeKind, Difference, ResourceResult, SourceRef, Status
from driftdeck.tui.audit_feed import AuditEvent, MemoryFeed, diff_lines
from driftdeck.tui.widgets.audit_panel import AuditPanel
from driftdeck.tui.widgets.detail import DetailPane
from driftdeck.tui.widgets.resource_tree import ResourceTree

SG = "module.network.aws_security_group.web"
BEFORE_TF = 'resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n  tags = {\n    Team = "core"\n  }\n}\n'
AFTER_TF = ('resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n  visibility_timeout_seconds = 120\n  tags = {\n'
            '    Team = "core"\n    CostCentre = "platform-engineering-shared-services-eu-west-1"\n  }\n}\n')


def _feed() -> MemoryFeed:
    return MemoryFeed([
        AuditEvent(1, "2026-01-01T11:00:00Z", "scan.completed", "ops@bastion", {"tool": "driftdeck", "workspace": "infra"},
                   {"summary": {"total": 12, "in_sync": 12}}),
        AuditEvent(2, "2026-01-01T11:00:01Z", "audit.checkpoint", "driftdeck", {"tool": "driftdeck"}, {"seq": 1}),
        AuditEvent(3, "2026-01-01T11:05:00Z", "drift.detected", "ops@bastion", {"address": SG, "type": "aws_security_group"},
                   {"from": "in_sync", "to": "changed"},
                   before={"ingress": ["tcp 443 0.0.0.0/0"]}, after={"ingress": ["tcp 443 0.0.0.0/0", "tcp 22 0.0.0.0/0"]}),
        AuditEvent(4, "2026-01-01T11:05:30Z", "audit.heartbeat", "driftdeck", {"tool": "driftdeck"}, {}),
        AuditEvent(5, "2026-01-01T11:06:00Z", "config.changed", "carol@laptop", {"tool": "driftdeck", "workspace": "infra"},
                   {"file": "modules/queues/main.tf", "added": 2, "removed": 0}, before=BEFORE_TF, after=AFTER_TF),
        AuditEvent(6, "2026-01-01T11:06:01Z", "audit.checkpoint", "driftdeck", {"tool": "driftdeck"}, {"seq": 5}),
    ])


def _event_text(app: object, selector: str) -> str:
    return str(app.query_one(selector, Static).content)  # type: ignore[attr-defined]


async def _show_all(app: object, pilot: object) -> AuditPanel:
    await pilot.press("a")  # type: ignore[attr-defined]
    await settle(app, pilot)  # type: ignore[arg-type]
    if not app.audit_panel_visible:  # type: ignore[attr-defined]
        await pilot.press("l")  # type: ignore[attr-defined]
        await settle(app, pilot)  # type: ignore[arg-type]
    return app.query_one(AuditPanel)  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("size", [(80, 24), (120, 35)])
def test_events_render_as_fields_and_diffs_keep_their_indentation(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        app = make_app(tmp_path, [drifted_estate()], feed=_feed(), record_audit=False)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            panel = await _show_all(app, pilot)
            table = panel.query_one("#audit-events", DataTable)
            assert [e.seq for e in panel.events] == [5, 3, 1]
            # config.changed (newest): fields, then the diff line by line with its indentation.
            fields = _event_text(app, "#audit-event")
            assert "actor carol@laptop" in " ".join(fields.split())
            assert "file modules/queues/main.tf" in " ".join(fields.split())
            assert "{" not in fields and "}" not in fields  # no raw JSON dicts
            diff = app.query_one("#audit-event-diff", Static)
            shown = str(diff.content).splitlines()
            assert shown == [line for _, line in diff_lines(BEFORE_TF, AFTER_TF)]
            assert '+    CostCentre = "platform-engineering-shared-services-eu-west-1"' in shown
            await pilot.pause()
            # Not wrapped: the widget is as wide as its longest line (the pane scrolls sideways).
            assert diff.size.width >= max(len(line) for line in shown)
            # drift.detected: resource and verdict as fields.
            table.move_cursor(row=1)
            await wait_for(pilot, lambda: "#3 drift.detected" in _event_text(app, "#audit-event"))
            fields = " ".join(_event_text(app, "#audit-event").split())
            assert f"resource {SG}" in fields and "verdict in_sync → changed" in fields
            assert "time 2026-01-01 11:05:00 UTC" in fields
            assert "{" not in fields
            # scan.completed: a summary as words, not a dict.
            table.move_cursor(row=2)
            await wait_for(pilot, lambda: "#1 scan.completed" in _event_text(app, "#audit-event"))
            fields = " ".join(_event_text(app, "#audit-event").split())
            assert "summary total 12 · in_sync 12" in fields and "workspace infra" in fields

    body()


@run_async
async def test_checkpoints_and_heartbeats_are_hidden_until_asked_for(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], feed=_feed(), record_audit=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        panel = await _show_all(app, pilot)
        kinds = [e.kind for e in panel.events]
        assert "audit.checkpoint" not in kinds and "audit.heartbeat" not in kinds
        assert "3 checkpoint/heartbeat hidden" in str(app.query_one("#audit-scope", Static).content)
        await pilot.press("c")
        await settle(app, pilot)
        assert [e.seq for e in panel.events] == [6, 5, 4, 3, 2, 1]
        assert "hidden" not in str(app.query_one("#audit-scope", Static).content)
        await pilot.press("c")
        await settle(app, pilot)
        assert [e.seq for e in panel.events] == [5, 3, 1]


@run_async
async def test_audit_columns_fit_their_content_on_a_wide_screen(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], feed=_feed(), record_audit=False)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        panel = await _show_all(app, pilot)
        table = panel.query_one("#audit-events", DataTable)
        await pilot.pause()
        assert table.virtual_size.width <= table.scrollable_content_region.width  # no column cut off
        region = table.region
        strips = app.screen._compositor.render_strips()
        rows = "\n".join(strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom))
        for text in ("drift.detected", "config.changed", "scan.completed", SG, "modules/queues/main.tf"):
            assert text in rows, text


def _raw_result() -> ResourceResult:
    return ResourceResult(
        address="aws_sqs_queue.jobs", type="aws_sqs_queue", id="https://sqs/jobs", status=Status.CHANGED,
        source=SourceRef(kind="terraform", state="terraform.tfstate"),
        differences=[Difference("delay_seconds", 0, 5, ChangeKind.UPDATED),
                     Difference("kms_data_key", "old-secret", "new-secret", ChangeKind.UPDATED, sensitive=True)],
        expected={"id": "https://sqs/jobs", "name": "jobs", "delay_seconds": 0, "tags_all": {"Env": "prod"},
                  "url": "https://sqs/jobs", "kms_data_key": "old-secret"},
        live={"name": "jobs", "delay_seconds": 5, "policy": {"Version": "2012-10-17"}, "kms_data_key": "new-secret"},
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 35)])
def test_raw_view_aligns_state_and_live_key_by_key(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        result = _raw_result()
        app = make_app(tmp_path, [drifted_estate()])
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            app.query_one(ResourceTree).focus()
            detail = app.query_one(DetailPane)
            detail.show(result)
            await pilot.press("y")
            await wait_for(pilot, lambda: app.query_one("#detail-raw").display)
            text = render_plain(app.query_one("#detail-raw", Static).content, width=100)
            lines = text.splitlines()

            def row(key: str) -> str:
                (found,) = [line for line in lines if line.split()[:2][-1:] == [key] or line.split()[:1] == [key]]
                return found

            # One row per key; both sides of a key on that same row.
            assert '"jobs"' in row("name") and row("name").count('"jobs"') == 2 and not row("name").startswith("≠")
            assert row("delay_seconds").startswith("≠") and "0" in row("delay_seconds") and "5" in row("delay_seconds")
            for only_state in ("id", "url", "tags_all"):
                assert row(only_state).startswith("−") and row(only_state).rstrip().endswith("(absent)")
            assert row("policy").startswith("+") and "(absent)" in row("policy")
            assert "old-secret" not in text and "new-secret" not in text and "(sensitive)" in row("kms_data_key")
            keys = [line.split()[1] if line[:1] in "≠−+" else line.split()[0] for line in lines
                    if line.strip() and line.split()[0] in ("≠", "−", "+", "name")]
            assert keys == sorted(keys)  # in key order, the same on both sides

    body()


@run_async
async def test_cloudformation_drift_names_the_template_side(tmp_path: Path) -> None:

    report = mixed_sources_estate()
    (stack,) = [r for r in report.resources if r.source and r.source.kind == "cloudformation" and r.differences]
    app = make_app(tmp_path, [report])
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(app, pilot)
        detail = app.query_one(DetailPane)
        detail.show(stack)
        await pilot.pause()
        text = render_plain(detail._differences(stack))
        assert "drift: template vs live" in text and "template (expected)" in text and "state (expected)" not in text
        raw = render_plain(detail._raw_table(stack))
        assert "raw: template vs live" in raw and "template (expected)" in raw
