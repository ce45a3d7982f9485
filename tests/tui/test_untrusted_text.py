"""Untrusted text (AWS, state, code, CloudTrail, the audit log) never reaches the terminal raw:
an OSC title change or SGR colours in a tag value are shown as visible escapes in the tree, the
detail pane, the audit panel and toasts, and Rich markup in them stays literal text."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from sample_reports import small_estate
from tui_helpers import make_app, run_async, settle, wait_for

from driftdeck.core.model import Attribution, ChangeKind, Difference, ScanReport, Status
from driftdeck.tui.audit_feed import MemoryFeed
from driftdeck.tui.widgets.resource_tree import ResourceTree

OSC_TITLE = "\x1b]0;PWNED\x07"
SGR = "\x1b[31;5m"
MARKUP = "[bold red]not markup[/bold red]"
EVIL = f"{OSC_TITLE}{SGR}{MARKUP}"
SIZE = (160, 50)


def _hostile_estate() -> ScanReport:
    report = small_estate()
    bucket = next(r for r in report.resources if r.key == "aws_s3_bucket.assets")
    bucket.status = Status.CHANGED
    bucket.address = f"aws_s3_bucket.assets{SGR}"
    bucket.reason = f"reason {EVIL}"
    bucket.region = f"us-east-1{OSC_TITLE}"
    bucket.differences = [Difference(f"tags.{EVIL}", f"old {EVIL}", f"new {EVIL}", ChangeKind.UPDATED,
                                     note=f"note {EVIL}")]
    bucket.attribution = [Attribution(actor=f"mallory{EVIL}", actor_type="IAMUser", via=f"console{SGR}",
                                      event_name=f"PutBucketTagging{OSC_TITLE}", event_time="2026-01-01T00:00:00Z",
                                      source_ip=f"10.0.0.1{OSC_TITLE}", user_agent=None, confidence="exact",
                                      event_id="e1", attribute=f"tags.{EVIL}")]
    return report


def _terminal_output(app) -> str:  # type: ignore[no-untyped-def]
    """Exactly what the app would write to the terminal for a full repaint."""
    console = Console(width=SIZE[0], height=SIZE[1], color_system="truecolor", force_terminal=True, legacy_windows=False)
    return app.screen._compositor.render_full_update().render_segments(console)


def _assert_clean(output: str) -> None:
    assert "\x1b]0;" not in output and "\x07" not in output  # no title change, no bell
    assert "\x1b[31;5m" not in output  # the data's own SGR never reaches the terminal


@run_async
async def test_hostile_text_is_shown_escaped_everywhere(tmp_path: Path) -> None:
    feed = MemoryFeed()
    feed.append("drift.detected", subject={"address": f"aws_s3_bucket.assets{SGR}"},
                data={"to": "changed", "note": EVIL})
    app = make_app(tmp_path, [_hostile_estate()], feed=feed)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        toasts = [n.message for n in app._notifications]
        assert all(OSC_TITLE not in m and SGR not in m for m in toasts)
        tree = app.query_one(ResourceTree)
        assert tree.select_key(f"aws_s3_bucket.assets{SGR}")
        await settle(app, pilot)
        output = _terminal_output(app)
        _assert_clean(output)
        assert "\\x1b]0;PWNED\\x07" in output  # shown, as visible escapes
        assert MARKUP in output  # markup stays literal text, never styles
        await pilot.press("y")  # the raw view too
        await settle(app, pilot)
        _assert_clean(_terminal_output(app))


@run_async
async def test_the_plan_screen_shows_hostile_text_escaped(tmp_path: Path) -> None:
    from driftdeck.tui.screens.plan import PlanScreen

    app = make_app(tmp_path, [_hostile_estate()], read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.query_one(ResourceTree).select_key(f"aws_s3_bucket.assets{SGR}")
        await pilot.pause()
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plans_shown)  # built in a worker
        await settle(app, pilot)
        output = _terminal_output(app)
        _assert_clean(output)
        assert "PWNED" in output  # the tag value is there, escaped
