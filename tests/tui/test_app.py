"""Pilot tests: the app's behaviour with scripted scans and a hand-driven file watcher."""

from __future__ import annotations

from pathlib import Path

from sample_reports import drifted_estate, scale_estate, small_estate
from textual.widgets import DataTable, Input, Static
from tui_helpers import make_app, render_plain, run_async, settle, wait_for

from driftdeck.core.model import Status
from driftdeck.tui.audit_feed import AuditEvent, MemoryFeed
from driftdeck.tui.file_watch import QueueSource
from driftdeck.tui.widgets.audit_panel import AuditPanel
from driftdeck.tui.widgets.detail import DetailPane
from driftdeck.tui.widgets.resource_tree import LeafData, ResourceTree

SIZE = (160, 50)
SG = "module.network.aws_security_group.web"


@run_async
async def test_selection_and_expansion_survive_a_live_update(tmp_path: Path) -> None:
    app = make_app(tmp_path, [small_estate(), drifted_estate()])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)
        assert tree.select_key(SG)
        await pilot.pause()
        assert tree.selected_key == SG
        node_before = tree.cursor_node
        s3_group = tree.group_node(("terraform.tfstate", "(root module)", "aws_s3_bucket"))
        assert s3_group is not None
        s3_group.collapse()  # the operator folded this group; a poll must not reopen or rebuild it
        structure = tree.structure_updates

        await pilot.press("r")
        await settle(app, pilot)

        assert app.scans_applied == 2
        assert tree.selected_key == SG
        assert tree.cursor_node is node_before
        assert not s3_group.is_expanded
        assert tree.group_node(("terraform.tfstate", "(root module)", "aws_s3_bucket")) is s3_group
        # Only the new unmanaged bucket changed the structure; re-colouring did not.
        assert tree.structure_updates == structure + 1
        assert tree.results[SG].status is Status.CHANGED
        assert app.query_one(DetailPane).result is tree.results[SG]
        assert {t.key for t in app.last_transitions if t.is_new_drift} == {
            "aws_s3_bucket.assets", SG, "module.queues.aws_sqs_queue.orders_dlq", "aws_s3_bucket:acme-shadow-exports",
        }


@run_async
async def test_recolour_only_poll_keeps_structure(tmp_path: Path) -> None:
    app = make_app(tmp_path, [scale_estate(400, 8), scale_estate(400, 8, drift_every=3)])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)
        structure = tree.structure_updates
        await pilot.press("r")
        await settle(app, pilot)
        assert tree.structure_updates == structure
        assert sum(r.status is Status.CHANGED for r in tree.results.values()) == 134


@run_async
async def test_big_estate_loads_leaves_lazily(tmp_path: Path) -> None:
    app = make_app(tmp_path, [scale_estate(2000, 10)])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)
        assert tree.leaf_node("aws_type_01.r00001") is None  # not created before its group opens
        group = tree.group_node(("terraform.tfstate", "(root module)", "aws_type_00"))
        assert group is not None and not group.is_expanded
        group.expand()
        await wait_for(pilot, lambda: tree.leaf_node("aws_type_00.r00000") is not None)
        assert len(group.children) == 200


@run_async
async def test_filter_box_and_drifted_only_toggle(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)

        def shown() -> set[str]:
            return {n.data.key for n in tree._leaf_nodes.values() if isinstance(n.data, LeafData)}

        assert len(shown()) == 13
        await pilot.press("slash")
        assert app.query_one("#filter", Input).has_focus
        await pilot.press(*"type:sqs")
        await wait_for(pilot, lambda: len(shown()) == 2)
        assert shown() == {"module.queues.aws_sqs_queue.orders", "module.queues.aws_sqs_queue.orders_dlq"}
        await pilot.press("enter")
        assert tree.has_focus
        # `!` inverts a term.
        app.query_one("#filter", Input).value = "!type:sqs"
        await wait_for(pilot, lambda: len(shown()) == 11)
        assert "module.queues.aws_sqs_queue.orders" not in shown() and len(shown()) == 11
        app.query_one("#filter", Input).value = ""
        await wait_for(pilot, lambda: len(shown()) == 13)
        await pilot.press("d")
        await wait_for(pilot, lambda: len(shown()) == 4)
        assert shown() == {
            "aws_s3_bucket.assets", SG, "module.queues.aws_sqs_queue.orders_dlq", "aws_s3_bucket:acme-shadow-exports",
        }
        assert "drifted only" in str(app.query_one("#pollbar").render())
        await pilot.press("d")
        await wait_for(pilot, lambda: len(shown()) == 13)


def _seeded_feed() -> MemoryFeed:
    events = [
        AuditEvent(1, "2026-01-01T10:00:00Z", "scan.completed", "ops@host", {"tool": "driftdeck"}),
        AuditEvent(2, "2026-01-01T10:05:00Z", "drift.detected", "ops@host", {"address": SG},
                   {"to": "changed"}, before={"ingress": [443]}, after={"ingress": [443, 22]}),
        AuditEvent(3, "2026-01-01T10:06:00Z", "drift.detected", "ops@host", {"address": "aws_s3_bucket.assets"},
                   {"to": "changed"}, before={"tags": {"Env": "prod"}}, after={"tags": {"Env": "staging"}}),
    ]
    return MemoryFeed(events)


@run_async
async def test_audit_panel_follows_the_selection_and_shows_the_diff(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], feed=_seeded_feed(), record_audit=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree, panel = app.query_one(ResourceTree), app.query_one(AuditPanel)
        tree.select_key(SG)
        await settle(app, pilot)
        assert panel.scope == SG
        assert [e.seq for e in panel.events] == [2]
        assert "+    22" in str(app.query_one("#audit-event-diff").render())
        tree.select_key("aws_s3_bucket.assets")
        await settle(app, pilot)
        assert [e.seq for e in panel.events] == [3]
        await pilot.press("a")  # all events, newest first
        await settle(app, pilot)
        assert panel.scope is None
        assert [e.seq for e in panel.events] == [3, 2, 1]
        table = app.query_one("#audit-events", DataTable)
        table.move_cursor(row=1)
        await settle(app, pilot)
        assert panel.selected is not None and panel.selected.seq == 2


@run_async
async def test_transitions_are_recorded_once(tmp_path: Path) -> None:
    feed = MemoryFeed()
    app = make_app(tmp_path, [small_estate(), drifted_estate(), drifted_estate(), small_estate()], feed=feed)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for _ in range(3):
            await pilot.press("r")
            await settle(app, pilot)
        kinds = [e.kind for e in reversed(feed.events())]
        assert kinds.count("scan.completed") == 4
        assert kinds.count("drift.detected") == 4  # unchanged drift on the third scan adds nothing
        assert kinds.count("drift.resolved") == 4


@run_async
async def test_watched_tf_edit_records_config_changed_and_rescans(tmp_path: Path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text('resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    source = QueueSource()
    feed = MemoryFeed()
    app = make_app(tmp_path, [small_estate()], feed=feed, watch=True, watch_source=source)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        scans = app.scans_applied
        tf.write_text('resource "aws_sqs_queue" "q" {\n  name = "q"\n  delay_seconds = 5\n}\n')
        source.put({tf, tmp_path / ".driftdeck" / "audit" / "x.tf"})  # the second is ignored
        await pilot.pause()
        await settle(app, pilot)
        changed = [e for e in feed.events() if e.kind == "config.changed"]
        assert len(changed) == 1
        event = changed[0]
        assert event.data["file"] == "main.tf"
        assert "+  delay_seconds = 5" in event.data["diff"]
        assert event.before is not None and "delay_seconds" not in event.before
        assert event.after is not None and "delay_seconds = 5" in event.after
        assert app.scans_applied == scans + 1
        # The same content again is not a change.
        source.put({tf})
        await pilot.pause()
        await settle(app, pilot)
        assert len([e for e in feed.events() if e.kind == "config.changed"]) == 1


@run_async
async def test_read_only_hides_changing_actions_and_keys_are_remappable(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], read_only=True, keymap={"rescan": "ctrl+r"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        shown = {b.binding.id for b in app.screen.active_bindings.values() if b.enabled}
        assert "note" not in shown
        assert "rescan" in shown
        calls = app.scanner.calls  # type: ignore[attr-defined]
        await pilot.press("n")
        await pilot.pause()
        assert len(app.screen_stack) == 1  # no note dialog in read-only mode
        await pilot.press("r")  # remapped away
        await settle(app, pilot)
        assert app.scanner.calls == calls  # type: ignore[attr-defined]
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.scanner.calls == calls + 1  # type: ignore[attr-defined]


@run_async
async def test_note_is_appended_for_the_selected_resource(tmp_path: Path) -> None:
    feed = MemoryFeed()
    app = make_app(tmp_path, [drifted_estate()], feed=feed, record_audit=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.query_one(ResourceTree).select_key(SG)
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"emergency", "space", *"fix", "enter")
        await settle(app, pilot)
        notes = [e for e in feed.events() if e.kind == "operator.note"]
        assert len(notes) == 1 and notes[0].data == {"note": "emergency fix"} and notes[0].subject["address"] == SG


@run_async
async def test_help_lists_binding_ids_and_raw_view_toggles(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.query_one(ResourceTree).select_key(SG)
        await pilot.pause()
        await pilot.press("y")
        detail = app.query_one(DetailPane)
        await wait_for(pilot, lambda: detail.show_raw)
        await pilot.pause()
        assert detail.show_raw and app.query_one("#detail-raw").display
        assert '"to_port": 22' in render_plain(app.query_one("#detail-raw", Static).content)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not detail.show_raw)
        await pilot.press("question_mark")
        from driftdeck.tui.screens.help import HelpScreen

        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        for ident in ("rescan", "pause", "verify", "drifted_only", "filter", "quit"):
            assert ident in text


@run_async
async def test_scan_failure_is_shown_and_polling_continues(tmp_path: Path) -> None:
    calls = {"n": 0}

    def flaky() -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("endpoint down")
        return drifted_estate()

    from driftdeck.tui.app import DriftdeckApp

    app = DriftdeckApp(tmp_path, scanner=flaky, poll_interval=0, watch=False, feed=MemoryFeed())  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.poll.error is not None and "endpoint down" in app.poll.error
        await pilot.press("r")
        await settle(app, pilot)
        assert app.poll.error is None and app.scans_applied == 1


@run_async
async def test_plan_key_opens_the_plan_screen_for_the_selection(tmp_path: Path) -> None:
    from driftdeck.tui.screens.plan import PlanScreen

    app = make_app(tmp_path, [drifted_estate()], read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.query_one(ResourceTree).select_key("aws_s3_bucket.assets")
        await pilot.pause()
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)


@run_async
async def test_the_plan_screen_gets_the_sessions_provider(tmp_path: Path) -> None:
    """The app hands its ProviderSession to the plan screen, which writes import blocks with it."""
    from driftdeck.tui.screens.plan import PlanScreen

    session = object()  # stands for the ProviderSession the `driftdeck` command opens
    app = make_app(tmp_path, [drifted_estate()], read_only=True, providers=session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.query_one(ResourceTree).select_key("aws_s3_bucket.assets")
        await pilot.pause()
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen) and app.screen.providers is session


@run_async
async def test_real_watchfiles_watcher_sees_a_tf_edit(tmp_path: Path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text('resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    feed = MemoryFeed()
    app = make_app(tmp_path, [small_estate()], feed=feed, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await wait_for(pilot, lambda: app.iac_watching, rounds=1200)  # the watcher runs: the edit is seen
        tf.write_text('resource "aws_sqs_queue" "q" {\n  name = "renamed"\n}\n')
        await wait_for(pilot, lambda: any(e.kind == "config.changed" for e in feed.events()), rounds=1200)
        changed = [e for e in feed.events() if e.kind == "config.changed"]
        assert len(changed) == 1 and '+  name = "renamed"' in changed[0].data["diff"]


@run_async
async def test_command_palette_offers_the_app_actions(tmp_path: Path) -> None:
    from textual.command import CommandPalette

    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Rescan now", "Pause / resume polling", "Verify audit chain", "Show only drifted resources"} <= titles
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))
        rescan = next(c for c in app.get_system_commands(app.screen) if c.title == "Rescan now")
        calls = app.scanner.calls  # type: ignore[attr-defined]
        rescan.callback()
        await settle(app, pilot)
        assert app.scanner.calls == calls + 1  # type: ignore[attr-defined]


@run_async
async def test_pause_stops_interval_polling(tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    now = {"t": datetime(2026, 1, 1, 12, 0, 0)}
    app = make_app(tmp_path, [drifted_estate()], poll_interval=30, clock=lambda: now["t"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        calls = app.scanner.calls  # type: ignore[attr-defined]
        assert "next 12:00:30" in str(app.query_one("#pollbar").render())
        now["t"] += timedelta(seconds=31)
        app._tick()
        await settle(app, pilot)
        assert app.scanner.calls == calls + 1  # type: ignore[attr-defined]
        await pilot.press("s")
        now["t"] += timedelta(seconds=120)
        app._tick()
        await settle(app, pilot)
        assert app.scanner.calls == calls + 1  # type: ignore[attr-defined]
        assert "PAUSED" in str(app.query_one("#pollbar").render())
        await pilot.press("s")
        now["t"] += timedelta(seconds=31)
        app._tick()
        await settle(app, pilot)
        assert app.scanner.calls == calls + 2  # type: ignore[attr-defined]


@run_async
async def test_enter_drills_into_the_detail_and_escape_comes_back(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)
        tree.select_key(SG)
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.query_one(DetailPane).has_focus)
        await pilot.press("escape")
        await wait_for(pilot, lambda: tree.has_focus)
        assert tree.selected_key == SG
