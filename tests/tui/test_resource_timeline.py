"""The full-screen timeline of one resource (`t`): bands, its markers in a list (j/k), and the selected
marker's audit event with its before/after diff, read from a real log written by the audit package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sample_reports import drifted_estate, small_estate
from textual.widgets import DataTable, Static
from tui_helpers import make_app, run_async, settle, wait_for

from driftdeck.core.audit import AuditLog
from driftdeck.core.audit.subject import resource_subject
from driftdeck.core.monitor.scan_evidence import record_scan_evidence
from driftdeck.tui.audit_core import open_feed
from driftdeck.tui.screens.history import HistoryScreen, ResourceTimelineScreen
from driftdeck.tui.widgets.resource_tree import ResourceTree

SG = "module.network.aws_security_group.web"
# Untrusted text from CloudTrail: a control character and Rich markup must reach the screen inert.
ACTOR = "alice\x1b[2J[bold red]x[/]"
HOTFIX = {"ingress": ["tcp 443 0.0.0.0/0", "tcp 22 0.0.0.0/0"], "tags": {"Env": "hotfix"}}
REVERTED = {"ingress": ["tcp 443 0.0.0.0/0"], "tags": {"Env": "prod"}}


def _write_log(workspace: Path) -> dict[str, int]:
    """In sync, an attributed change, the drift it made, a remediation with before/after, in sync again."""
    subject = resource_subject(SG, resource_type="aws_security_group", provider_id="sg-0a1b", workspace=str(workspace))
    log = AuditLog.open(workspace)
    try:
        record_scan_evidence(log, small_estate(), workspace=workspace)
        attributed = log.append("cloud.change.attributed", subject=subject,
                                data={"actor": ACTOR, "event_name": "AuthorizeSecurityGroupIngress",
                                      "attribute": "ingress", "resource": {"address": SG}},
                                after={"eventName": "AuthorizeSecurityGroupIngress", "fromPort": 22,
                                       "cidrIp": "0.0.0.0/0"})
        record_scan_evidence(log, drifted_estate(), workspace=workspace)
        remediated = log.append("remediation.applied", subject=subject, data={"outcome": "applied"},
                                before=HOTFIX, after=REVERTED)
        record_scan_evidence(log, small_estate(), workspace=workspace)
    finally:
        log.close()
    return {"attributed": attributed.seq, "remediated": remediated.seq}


def _text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
@run_async
async def test_timeline_lists_the_markers_and_shows_the_selected_events_diff(tmp_path: Path, size: tuple[int, int]) -> None:
    seqs = _write_log(tmp_path)
    app = make_app(tmp_path, [drifted_estate()], feed=open_feed(tmp_path), record_audit=False)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        assert app.query_one(ResourceTree).select_key(SG)
        await settle(app, pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, ResourceTimelineScreen))
        screen = app.screen
        table = screen.query_one("#timeline-markers", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2, rounds=400)
        assert screen.markers == [seqs["attributed"], seqs["remediated"]]
        header = _text(screen, "#timeline-chain")
        assert "1 drift episode" in header and "chain verified" in header
        # The log was written within milliseconds, so the whole episode and both markers share the first
        # cells of the full-width band: drift wins its cell, the markers' line sits below it.
        band, marks, _axis = _text(screen, "#timeline-bands").splitlines()
        assert band.startswith("█") and len(band) == size[0] - 2 and set(marks.strip()) <= {"▲", "✔"}

        # The first marker (the attributed change) is selected: its actor as text, markup and escape inert.
        await wait_for(pilot, lambda: screen.shown_seq == seqs["attributed"], rounds=400)
        fields = _text(screen, "#timeline-event")
        assert f"#{seqs['attributed']} cloud.change.attributed" in fields
        assert "[bold red]x[/]" in fields and "\x1b" not in fields
        assert '+  "fromPort": 22' in _text(screen, "#timeline-event-diff")

        await pilot.press("j")
        await wait_for(pilot, lambda: screen.shown_seq == seqs["remediated"], rounds=400)
        assert f"#{seqs['remediated']} remediation.applied" in _text(screen, "#timeline-event")
        diff = _text(screen, "#timeline-event-diff").splitlines()
        assert any(line.startswith("-") and '"tcp 22 0.0.0.0/0"' in line for line in diff)
        assert any(line.startswith("-") and '"Env": "hotfix"' in line for line in diff)
        assert any(line.startswith("+") and '"Env": "prod"' in line for line in diff)
        assert not any(line.startswith("+") and "tcp 22" in line for line in diff)

        await pilot.press("k")
        await wait_for(pilot, lambda: screen.shown_seq == seqs["attributed"], rounds=400)
        assert "cloud.change.attributed" in _text(screen, "#timeline-event")

        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ResourceTimelineScreen))


@run_async
async def test_timeline_without_a_log_names_the_problem_and_lists_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], record_audit=False)  # an in-memory feed: no history
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.query_one(ResourceTree).select_key(SG)
        await settle(app, pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, ResourceTimelineScreen))
        await settle(app, pilot)
        screen = app.screen
        assert "no audit log" in _text(screen, "#timeline-chain")
        assert screen.query_one("#timeline-markers", DataTable).row_count == 0
        await pilot.press("t")  # the same key closes it
        await wait_for(pilot, lambda: not isinstance(app.screen, ResourceTimelineScreen))


@run_async
async def test_timeline_key_on_the_estate_view_does_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], record_audit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.query_one(ResourceTree).select_key(SG)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("t")  # the estate view has no resource selection to open
        await settle(app, pilot)
        assert isinstance(app.screen, HistoryScreen) and app.is_running
