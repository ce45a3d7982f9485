"""The estate history view without a log to draw from says so, and draws nothing."""

from __future__ import annotations

from pathlib import Path

from sample_reports import drifted_estate
from textual.widgets import Sparkline, Static
from tui_helpers import make_app, run_async, settle, wait_for

from driftdeck.tui.audit_feed import MemoryFeed
from driftdeck.tui.screens.history import HistoryScreen, TimelineSection
from driftdeck.tui.widgets.resource_tree import ResourceTree


@run_async
async def test_without_a_log_the_estate_view_names_the_problem_and_draws_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], feed=MemoryFeed(), record_audit=False)
    async with app.run_test(size=(160, 46)) as pilot:
        await settle(app, pilot)
        app.query_one(ResourceTree).select_key("aws_s3_bucket.assets")
        await settle(app, pilot)
        assert not app.query_one(TimelineSection).display  # an in-memory feed has no history to show
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        chain = str(app.screen.query_one("#history-chain", Static).render())
        assert "no audit log" in chain and "nothing drawn" in chain
        assert all(not app.screen.query_one(f"#spark-{n}", Sparkline).data for n in ("drifted", "unknown", "unmanaged"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HistoryScreen))
