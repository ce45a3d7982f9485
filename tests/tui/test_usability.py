"""Pilot tests for the new-user review: layout at common sizes, labelled differences, help, focus,
the plan window's keys and outcome, a live audit panel, read-only without a log, toasts and esc."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sample_reports import drifted_estate
from textual.app import App
from textual.widgets import DataTable, Input, TabbedContent
from tui_helpers import make_app, render_plain, run_async, settle, wait_for

from driftdeck.core.model import ChangeKind, Difference, ResourceResult, ScanReport, SourceRef, Status
from driftdeck.core.remediation import ApplyOutcome, Direction, PlanOptions, ResourcePlan, build_plans
from driftdeck.tui.app import NARROW_BELOW, NO_LOG_YET
from driftdeck.tui.audit_core import CoreFeed
from driftdeck.tui.audit_feed import AuditEvent, MemoryFeed
from driftdeck.tui.screens.help import HelpScreen
from driftdeck.tui.screens.plan import ConfirmApplyScreen, PlanScreen
from driftdeck.tui.widgets.audit_panel import AuditPanel
from driftdeck.tui.widgets.detail import DetailPane
from driftdeck.tui.widgets.resource_tree import ResourceTree

SG = "module.network.aws_security_group.web"
URL = "http://127.0.0.1:1/123456789012/dd-jobs"


def _shown_bindings(app: App[Any]) -> dict[str, str]:
    """Binding id -> description of what the active screen's footer offers."""
    return {
        b.binding.id or b.binding.action: b.binding.description
        for b in app.screen.active_bindings.values()
        if b.binding.show and b.binding.description  # dimmed (disabled) ones are in the footer too
    }


# ----- 1. layout ------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_detail_pane_gets_the_most_room(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        app = make_app(tmp_path, [drifted_estate()])
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            detail, tree, audit = app.query_one(DetailPane), app.query_one(ResourceTree), app.query_one(AuditPanel)
            width = size[0]
            assert detail.outer_size.width >= 0.4 * width
            assert detail.outer_size.width > tree.outer_size.width
            if audit.display:
                assert detail.outer_size.width > audit.outer_size.width
            was_visible = app.audit_panel_visible
            assert was_visible == (width >= NARROW_BELOW)  # narrow terminals hide the audit panel by default
            assert ("l: audit log" in str(app.query_one("#pollbar").render())) is not was_visible
            await pilot.press("l")
            await pilot.pause()
            assert app.audit_panel_visible is not was_visible
            await wait_for(pilot, lambda: ("l: audit log" in str(app.query_one("#pollbar").render())) is was_visible)
            assert detail.outer_size.width >= 0.4 * width  # still the widest pane with all three shown
            assert app.query_one(AuditPanel).outer_size.width < detail.outer_size.width or not audit.display

    body()


# ----- 2. differences labelled by side ------------------------------------------------------------
def _mixed_result() -> ResourceResult:
    return ResourceResult(
        address="aws_db_instance.main", type="aws_db_instance", id="db-1", status=Status.CHANGED,
        source=SourceRef(kind="terraform", state="terraform.tfstate"),
        differences=[
            Difference("instance_class", "db.t3.micro", "db.t3.large", ChangeKind.UPDATED),
            Difference("password", "hunter2-old", "hunter2-new", ChangeKind.UPDATED, sensitive=True),
            Difference("instance_class", "db.t3.small", "db.t3.micro", side="code"),
            Difference("password", "code-secret", "hunter2-old", side="code", sensitive=True),
        ],
    )


def _report(*resources: ResourceResult) -> ScanReport:
    return ScanReport(generated_at="2026-01-01T12:00:00Z", duration_ms=0, sources=[], resources=list(resources))


@run_async
async def test_differences_are_labelled_by_side_and_sensitive_values_never_show(tmp_path: Path) -> None:
    result = _mixed_result()
    report = _report(result)
    app = make_app(tmp_path, [report])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        detail = app.query_one(DetailPane)
        text = render_plain(detail._differences(result))
    drift_at, code_at = text.index("drift: state vs live"), text.index("code edit (not applied): code vs state")
    assert drift_at < code_at
    drift, code = text[drift_at:code_at], text[code_at:]
    assert "state" in drift and "live" in drift and "db.t3.large" in drift and "db.t3.small" not in drift
    assert "code" in code and "db.t3.small" in code and "db.t3.large" not in code
    # each path once per section, each row says which comparison it is
    assert drift.count("instance_class") == 1 and code.count("instance_class") == 1
    assert drift.count("password") == 1 and code.count("password") == 1
    assert "expected (state)" not in code
    for secret in ("hunter2-old", "hunter2-new", "code-secret"):
        assert secret not in text
    assert text.count("(sensitive)") == 4


# ----- 3. help --------------------------------------------------------------------------------------
@run_async
async def test_help_scrolls_and_lists_each_app_key_once(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        box = app.screen.query_one("#help-box")
        assert app.focused is box
        assert box.max_scroll_y > 0
        await pilot.press("end")
        await wait_for(pilot, lambda: box.scroll_y == box.max_scroll_y)
        await pilot.press("home")
        await wait_for(pilot, lambda: box.scroll_y == 0)
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: box.scroll_y > 0)
        rows = app.screen.rows  # type: ignore[attr-defined]
        idents = [ident for _, ident, _, _ in rows]
        assert len(idents) == len(set(idents))
        keys = [k for _, _, k, _ in rows]
        assert keys.count("tab") == 1 and keys.count("ctrl+p") == 1
        assert not any("scroll" in ident or ident.startswith("cursor") for ident in idents)
        for ident in ("rescan", "audit_panel", "drill_in", "back", "quit"):
            assert ident in idents
        text = str(app.screen.query_one("#help-box Static").render())
        # three aligned columns: every id starts in the same column
        lines = [line for line in text.splitlines() if line.strip().endswith(("drill_in", "rescan", "quit"))]
        starts = {line.rindex(line.split()[-1]) for line in lines}
        assert len(lines) == 3 and len(starts) == 1
        assert "Close" in _shown_bindings(app).values()
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))


# ----- 4. focus is visible ----------------------------------------------------------------------------
@run_async
async def test_enter_shows_where_focus_went_and_how_to_go_back(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        tree, detail = app.query_one(ResourceTree), app.query_one(DetailPane)
        tree.select_key(SG)
        await pilot.pause()
        tree_border = tree.styles.border_top
        await pilot.press("enter")
        await wait_for(pilot, lambda: detail.has_focus)
        await pilot.pause()
        assert detail.styles.border_top[1] != tree.styles.border_top[1]  # the focused pane's border stands out
        assert tree.styles.border_top != tree_border
        assert "esc" in detail.border_subtitle
        assert _shown_bindings(app).get("back") == "Back to tree"
        await pilot.press("escape")
        await wait_for(pilot, lambda: tree.has_focus)
        assert detail.border_subtitle == "" and _shown_bindings(app).get("back") != "Back to tree"


# ----- 5. plan window -----------------------------------------------------------------------------------
def _drifted_queue(root: Path) -> ResourceResult:
    (root / "queues.tf").write_text('resource "aws_sqs_queue" "jobs" {\n  name = "dd-jobs"\n  visibility_timeout_seconds = 30\n}\n')
    (root / "terraform.tfstate").write_text("{}")
    return ResourceResult(
        address="aws_sqs_queue.jobs", type="aws_sqs_queue", id=URL, status=Status.CHANGED,
        source=SourceRef(kind="terraform", state=str(root / "terraform.tfstate")),
        differences=[Difference("visibility_timeout_seconds", 30, 90, ChangeKind.UPDATED)],
        expected={"id": URL, "url": URL, "name": "dd-jobs", "visibility_timeout_seconds": 30},
        live={"name": "dd-jobs", "visibility_timeout_seconds": 90}, region="us-east-1",
    )


@run_async
async def test_plan_window_shows_its_own_keys_switches_directions_and_the_outcome(tmp_path: Path) -> None:
    result = _drifted_queue(tmp_path)
    app = make_app(tmp_path, [_report(result)])
    applied: list[ResourcePlan] = []

    def fake_apply(plan: ResourcePlan) -> ApplyOutcome:
        applied.append(plan)
        after = ResourceResult(address=plan.key, type="aws_sqs_queue", id=URL, status=Status.IN_SYNC,
                               source=result.source)
        return ApplyOutcome(ok=True, key=plan.key, ran=list(plan.directions[0].aws_calls), after=after)

    async with app.run_test(size=(140, 44)) as pilot:
        await settle(app, pilot)
        app.query_one(ResourceTree).select_key("aws_sqs_queue.jobs")
        await pilot.pause()
        plans = build_plans([result], PlanOptions(workspace=tmp_path))
        screen = PlanScreen(plans, workspace=tmp_path, read_only=False, on_apply=fake_apply)
        app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause()
        shown = _shown_bindings(app)
        assert "plan_apply" in shown and "audit_scope" not in shown and "rescan" not in shown
        tabs = screen.query_one("#plan-tabs", TabbedContent)
        directions = [d.value for d in screen._directions()]
        assert len(directions) >= 2
        assert tabs.active == f"tab-{directions[0]}"
        await pilot.press("right")
        await wait_for(pilot, lambda: tabs.active == f"tab-{directions[1]}")
        await pilot.press("left")
        await wait_for(pilot, lambda: tabs.active == f"tab-{directions[0]}")

        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmApplyScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is screen and screen.outcome is not None)
        await app.workers.wait_for_complete()
        await pilot.pause()
        outcome = str(screen.query_one("#plan-outcome").render())
        n = len(applied[0].directions[0].aws_calls)
        assert f"applied: {n} call{'s' if n != 1 else ''} ran; re-scan: in_sync" in outcome
        body = render_plain(screen._direction_body(Direction.REVERT))
        assert "press a" not in body and "re-scan: in_sync" in body
        assert "plan_apply" not in _shown_bindings(app)
        await pilot.press("a")  # not offered again
        await pilot.pause()
        assert app.screen is screen and len(applied) == 1


# ----- 6. audit panel keeps the newest event in view ------------------------------------------------
def _events(first: int, last: int) -> list[AuditEvent]:
    return [AuditEvent(seq, "2026-01-01T11:00:00Z", "scan.completed", "ops", {"tool": "driftdeck"}, {})
            for seq in range(last, first - 1, -1)]


@run_async
async def test_audit_panel_follows_new_events_unless_the_operator_scrolled_away(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], record_audit=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        panel = app.query_one(AuditPanel)
        table = panel.query_one("#audit-events", DataTable)
        panel.set_events(_events(1, 25), None)
        await pilot.pause()
        assert table.cursor_row == 0 and panel.selected is not None and panel.selected.seq == 25
        panel.set_events(_events(1, 38), None)
        await pilot.pause()
        assert panel.selected is not None and panel.selected.seq == 38
        assert table.cursor_row == 0 and table.scroll_y == 0
        # the operator moves down to read #30: new events do not drag the cursor away
        table.move_cursor(row=8)
        await pilot.pause()
        panel.set_events(_events(1, 45), None)
        await pilot.pause()
        assert panel.selected is not None and panel.selected.seq == 30


# ----- 7. read-only without a log --------------------------------------------------------------------
@run_async
async def test_read_only_without_a_log_says_so_calmly(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], read_only=True, feed=CoreFeed(tmp_path, read_only=True))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        badge = str(app.query_one("#chain-badge").render())
        assert badge == NO_LOG_YET
        assert "InputError" not in badge
        await pilot.press("v")
        await settle(app, pilot)
        assert str(app.query_one("#chain-badge").render()) == NO_LOG_YET
    assert not (tmp_path / ".driftdeck").exists() or not any((tmp_path / ".driftdeck").rglob("*.jsonl"))


# ----- 8. toasts and esc -------------------------------------------------------------------------------
@run_async
async def test_background_toasts_wait_until_a_modal_closes(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], feed=MemoryFeed())
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert not app._notifications  # opening help cleared what was showing
        app._toast("scan failed: boom", title="scan failed", severity="error")
        await pilot.pause()
        assert not app._notifications
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        app._flush_toasts()  # what the 1 s tick does
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["scan failed: boom"]


@run_async
async def test_escape_on_the_tree_clears_an_active_filter(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)
        everything = len(tree.results)
        await pilot.press("slash", *"queue", "enter")
        await wait_for(pilot, lambda: tree.has_focus and tree.filter.active)
        assert "esc clears" in str(app.query_one("#pollbar").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not tree.filter.active)
        assert app.query_one("#filter", Input).value == "" and not app.query_one("#filter", Input).display
        assert tree.has_focus and app.poll.filter_text == "" and len(tree.results) == everything


@run_async
async def test_p_opens_a_plan_whose_footer_does_not_offer_a_revert_it_cannot_run(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        app.query_one(ResourceTree).select_key("module.queues.aws_sqs_queue.orders_dlq")  # missing: no revert
        await settle(app, pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plans_shown)
        await pilot.pause()
        shown = _shown_bindings(app)
        assert {"plan_close", "plan_copy", "plan_save", "plan_next_direction"} <= set(shown)
        assert "plan_apply" not in shown and "audit_scope" not in shown and "quit" not in shown
        assert "no revert to apply" in str(app.screen.query_one("#plan-status").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, PlanScreen))
        assert "audit_scope" in _shown_bindings(app)  # the dashboard's keys are back
