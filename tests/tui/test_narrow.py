"""Narrow terminals (counts and tree readable first, toasts never over the detail pane), start-up
preparation shown step by step (the demo), and a first scan that fails (the error in full where the
tree would be, retried on the poll interval)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sample_reports import drifted_estate
from textual.widgets import Static
from textual.widgets._toast import Toast
from tui_helpers import make_app, run_async, settle, wait_for

from driftdeck.core.errors import InputError
from driftdeck.core.model import ScanReport, Status
from driftdeck.tui.app import DriftdeckApp
from driftdeck.tui.widgets.fit import elide_middle
from driftdeck.tui.widgets.resource_tree import GLYPHS, ResourceTree

SIZES = [(80, 24), (120, 35)]
LONG_NAME = "acme-platform-infrastructure-production-eu-west-1"
REGION_ERROR = (
    "no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION), a profile region, or pass --region; "
    "the scan reads every resource in that region and the state's provider blocks did not name one"
)


def _line(app: DriftdeckApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def _tree_text(tree: ResourceTree) -> list[str]:
    """The tree's lines exactly as on screen (from the compositor, cropped to the tree's region)."""
    region = tree.region
    strips = tree.app.screen._compositor.render_strips()
    return [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]


def test_elide_middle_keeps_both_ends() -> None:
    assert elide_middle("aws_s3_bucket.backups", 30) == "aws_s3_bucket.backups"
    short = elide_middle("aws_s3_bucket.backups", 12)
    assert len(short) == 12 and short.startswith("aws_") and short.endswith("backups") and "…" in short
    assert elide_middle("abc", 1) == "…" and elide_middle("abc", 0) == ""


@pytest.mark.parametrize("size", SIZES)
def test_counts_and_tree_names_are_readable_on_narrow_screens(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        workspace = tmp_path / LONG_NAME
        workspace.mkdir()
        app = make_app(workspace, [drifted_estate()])
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            header = _line(app, "#summary")
            report = drifted_estate()
            for status, n in report.counts().items():
                if n:
                    assert f"{GLYPHS[Status(status)]} {n}" in header  # every count, whole
            assert len(header.rstrip()) <= size[0]
            assert "acme" in header and "eu-west-1" in header  # the name, shortened in the middle if need be
            assert not app.audit_panel_visible  # below NARROW_BELOW the audit panel starts hidden
            tree = app.query_one(ResourceTree)
            assert tree.max_scroll_x == 0  # names fit the pane: no sideways scrolling
            lines = "\n".join(_tree_text(tree))
            # Each leaf on screen shows its distinguishing end (the part after its type), never cut off.
            shown = 0
            for key, node in tree._leaf_nodes.items():
                if tree.scroll_offset.y <= node.line < tree.scroll_offset.y + tree.scrollable_content_region.height:
                    result = tree.results[key]
                    tail = tree._labels[key].split(f"{result.type}.", 1)[-1]
                    assert tail in lines, tail
                    shown += 1
            assert shown >= 8
            assert "drifted" in lines or "~" in lines  # group drift counts are not cut off either
            for line in lines.splitlines():
                assert not line.rstrip(" │╮╯").endswith(("drifte", "drift", "drif"))

    body()


@pytest.mark.parametrize("size", SIZES)
def test_toasts_never_cover_the_detail_pane_on_narrow_screens(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        app = make_app(tmp_path, [drifted_estate()])
        async with app.run_test(size=size, notifications=True) as pilot:
            await settle(app, pilot)
            app.notify("aws_s3_bucket.assets: changed", title="new drift", severity="warning")
            app.notify("back in sync: aws_vpc.main", title="drift resolved")
            await wait_for(pilot, lambda: len(app.screen.query(Toast)) >= 2)
            detail = app.query_one("#detail").region
            assert all(not toast.display or not toast.region.overlaps(detail) for toast in app.screen.query(Toast))
            status = _line(app, "#pollbar")
            assert "drift resolved: back in sync: aws_vpc.main (+" in status  # the newest, and how many more
            app.clear_notifications()
            await pilot.pause()
            assert "drift resolved" not in _line(app, "#pollbar")

    body()


@run_async
async def test_toasts_float_on_wide_screens(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(app, pilot)
        assert app.audit_panel_visible
        app.notify("hello", title="note")
        await wait_for(pilot, lambda: any(t.display and t.region.width for t in app.screen.query(Toast)))
        assert "hello" not in _line(app, "#pollbar")


class FailingThenWorking:
    """Fails the first `failures` scans with an engine error, then returns the estate."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> ScanReport:
        self.calls += 1
        if self.calls <= self.failures:
            raise InputError(REGION_ERROR)
        return drifted_estate()


@pytest.mark.parametrize("size", SIZES)
def test_first_scan_failure_is_shown_in_full_and_retried_on_the_interval(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        now = [datetime(2026, 1, 1, 12, 0, 0)]
        scanner = FailingThenWorking(2)
        app = DriftdeckApp(tmp_path, scanner=scanner, poll_interval=30, watch=False, clock=lambda: now[0])
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            box = app.query_one("#scan-error")
            assert box.display and box.border_title == "scan failed"
            shown = " ".join(_line(app, "#scan-error-text").split())
            assert REGION_ERROR in shown  # in full, not cut at the pane's edge
            assert "Retrying every 30s (next at 12:00:30)" in shown and "press r to retry now" in shown
            assert "scan failed" in _line(app, "#summary") and "scanning…" not in _line(app, "#summary")
            tree = app.query_one(ResourceTree)
            assert any("the scan failed" in line for line in _tree_text(tree))
            assert box.region.bottom <= tree.region.y  # above the tree, inside the tree's column
            assert app.query_one("#tree-area").region.contains_region(box.region)
            # The poll interval retries: still failing, then working.
            now[0] += timedelta(seconds=31)
            app._tick()
            await settle(app, pilot)
            assert scanner.calls == 2 and box.display
            now[0] += timedelta(seconds=31)
            app._tick()
            await settle(app, pilot)
            assert scanner.calls == 3
            assert not box.display and app.scans_applied == 1
            assert "13 " in _line(app, "#summary") and tree.selected_key is not None

    body()


@run_async
async def test_manual_polling_says_how_to_retry_and_a_later_failure_keeps_the_results(tmp_path: Path) -> None:
    scanner = FailingThenWorking(1)
    app = DriftdeckApp(tmp_path, scanner=scanner, poll_interval=0, watch=False, keymap={"rescan": "ctrl+r"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        shown = " ".join(_line(app, "#scan-error-text").split())
        assert "Polling is off" in shown and "press ctrl+r to retry now" in shown  # the remapped key
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert not app.query_one("#scan-error").display and app.scans_applied == 1
        scanner.failures = 99
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        box = app.query_one("#scan-error")
        assert box.display and "previous results" in str(box.border_title)
        assert app.query_one(ResourceTree).selected_key is not None  # the last good results stay


@pytest.mark.parametrize("size", SIZES)
def test_start_up_preparation_shows_each_step_then_scans(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        import threading

        gate = threading.Event()
        started: list[int] = []

        def prepare(progress: Callable[[str], None]) -> None:
            progress("starting the local AWS emulator (moto) on 127.0.0.1…")
            gate.wait(timeout=30)
            progress("first scan: reading the 18 resources back from the emulator…")

        now = [datetime(2026, 1, 1, 12, 0, 0)]
        scanner = FailingThenWorking(0)
        app = DriftdeckApp(tmp_path, scanner=scanner, poll_interval=5, watch=False, clock=lambda: now[0],
                           prepare=prepare, on_first_scan=lambda: started.append(app.scans_applied))
        async with app.run_test(size=size) as pilot:
            tree = app.query_one(ResourceTree)
            await wait_for(pilot, lambda: any("starting the local AWS emulator" in line for line in _tree_text(tree)))
            now[0] += timedelta(seconds=60)
            app._tick()  # the poll interval does not scan while the estate is being prepared
            await pilot.press("r")  # nor does a rescan
            await pilot.pause()
            assert scanner.calls == 0
            gate.set()
            await wait_for(pilot, lambda: app.scans_applied == 1)
            await settle(app, pilot)
            assert scanner.calls == 1 and started == [1]  # the demo's actors start after the first scan
            assert tree.selected_key is not None

    body()


@run_async
async def test_a_failed_preparation_is_shown_and_nothing_polls(tmp_path: Path) -> None:
    def prepare(progress: Callable[[str], None]) -> None:
        progress("starting the local AWS emulator (moto) on 127.0.0.1…")
        raise OSError("address already in use")

    now = [datetime(2026, 1, 1, 12, 0, 0)]
    scanner = FailingThenWorking(0)
    app = DriftdeckApp(tmp_path, scanner=scanner, poll_interval=5, watch=False, clock=lambda: now[0], prepare=prepare)
    async with app.run_test(size=(80, 24)) as pilot:
        box = app.query_one("#scan-error")
        await wait_for(pilot, lambda: bool(box.display))
        assert box.border_title == "could not start"
        assert "OSError: address already in use" in " ".join(_line(app, "#scan-error-text").split())
        now[0] += timedelta(seconds=60)
        app._tick()
        await settle(app, pilot)
        assert scanner.calls == 0


@pytest.mark.parametrize("size", SIZES)
def test_z_zooms_the_detail_pane_and_the_status_line_names_the_remapped_keys(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        app = make_app(tmp_path, [drifted_estate()], keymap={"audit_panel": "ctrl+l"})
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            assert "ctrl+l: audit log" in _line(app, "#pollbar")  # the hint follows the keymap
            detail = app.query_one("#detail")
            narrow_width = detail.outer_size.width
            await pilot.press("z")
            await wait_for(pilot, lambda: detail.outer_size.width == size[0])
            assert not app.query_one("#tree-area").display or app.query_one("#tree-area").outer_size.width == 0
            assert app.focused is detail and detail.outer_size.width > narrow_width
            await wait_for(pilot, lambda: "zoomed: z shows the tree" in _line(app, "#pollbar"))
            await pilot.press("escape")  # back to the tree: unzooms
            await wait_for(pilot, lambda: detail.outer_size.width == narrow_width)
            await pilot.press("z")
            await wait_for(pilot, lambda: detail.outer_size.width == size[0])
            await pilot.press("z")
            await wait_for(pilot, lambda: detail.outer_size.width == narrow_width)
            assert app.focused is app.query_one(ResourceTree)

    body()
