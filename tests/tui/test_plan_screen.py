"""PlanScreen in a minimal App, driven by Pilot: apply needs a confirming key different from the
key that opened the confirmation, and is refused in read-only mode."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import blake3
import boto3
import pytest
from pilot_wait import wait_for
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static, TabbedContent

from driftdeck.core.model import ChangeKind, Difference, ResourceResult, SourceRef, Status
from driftdeck.core.remediation import ApplyOutcome, Direction, PlanOptions, ResourcePlan, build_plans
from driftdeck.tui.screens import plan as plan_screen
from driftdeck.tui.screens.plan import PLANNING, ConfirmApplyScreen, PlanScreen, open_plan_screen

URL = "http://127.0.0.1:1/123456789012/dd-jobs"


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


class Feed:
    writable = True

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def append(self, kind: str, *, subject: dict[str, Any], data: dict[str, Any], before: Any = None,
               after: Any = None, durable: bool = False) -> None:
        self.events.append((kind, data))


class Host(App[None]):
    def __init__(self, screen: PlanScreen) -> None:
        super().__init__()
        self.plan_screen = screen

    def on_mount(self) -> None:
        self.push_screen(self.plan_screen)


def _screen(tmp_path: Path, *, read_only: bool, applied: list[ResourcePlan], feed: Feed | None = None) -> PlanScreen:
    plans = build_plans([_drifted_queue(tmp_path)], PlanOptions(workspace=tmp_path))

    def fake_apply(plan: ResourcePlan) -> ApplyOutcome:
        applied.append(plan)
        return ApplyOutcome(ok=True, key=plan.key, ran=list(plan.directions[0].aws_calls))

    return PlanScreen(plans, workspace=tmp_path, read_only=read_only, on_apply=fake_apply, feed=feed)


def test_read_only_refuses_apply(tmp_path: Path) -> None:
    asyncio.run(_test_read_only_refuses_apply(tmp_path))


async def _test_read_only_refuses_apply(tmp_path: Path) -> None:
    applied: list[ResourcePlan] = []
    app = Host(_screen(tmp_path, read_only=True, applied=applied))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmApplyScreen)
        await pilot.press("y")
        await pilot.pause()
    assert applied == []


def test_apply_needs_the_confirming_key(tmp_path: Path) -> None:
    asyncio.run(_test_apply_needs_the_confirming_key(tmp_path))


async def _test_apply_needs_the_confirming_key(tmp_path: Path) -> None:
    applied: list[ResourcePlan] = []
    screen = _screen(tmp_path, read_only=False, applied=applied)
    app = Host(screen)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmApplyScreen)
        # the confirmation lists exactly the call that would run
        assert "aws sqs set-queue-attributes" in "\n".join(c for c in __import__(
            "driftdeck.core.remediation", fromlist=["preview"]).preview(app.screen.plan))
        await pilot.press("a")  # the opening key again: not a confirmation
        await pilot.press("p")
        await pilot.press("enter")
        await pilot.pause()
        assert applied == []
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and applied == []

        await pilot.press("a")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [p.key for p in applied] == ["aws_sqs_queue.jobs"]
        assert screen.outcome is not None and screen.outcome.ok


def test_copy_and_save_record_the_plan(tmp_path: Path) -> None:
    asyncio.run(_test_copy_and_save_record_the_plan(tmp_path))


async def _test_copy_and_save_record_the_plan(tmp_path: Path) -> None:
    feed = Feed()
    screen = _screen(tmp_path, read_only=False, applied=[], feed=feed)
    app = Host(screen)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert "terraform apply -target=aws_sqs_queue.jobs" in app.clipboard
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.saved_path is not None)  # saved in a worker
    assert screen.saved_path is not None and screen.saved_path.exists()
    assert screen.saved_path.parent == tmp_path / ".driftdeck" / "plans"
    assert [k for k, _ in feed.events] == ["remediation.planned"]
    assert feed.events[0][1]["blake3"] == blake3.blake3(screen.saved_path.read_bytes()).hexdigest()


def test_unmanaged_resource_is_read_fully_in_the_background(tmp_path: Path, aws_env: Any) -> None:
    asyncio.run(_test_unmanaged_resource_is_read_fully_in_the_background(tmp_path))


async def _test_unmanaged_resource_is_read_fully_in_the_background(tmp_path: Path) -> None:
    url = boto3.client("sqs").create_queue(QueueName="stray", Attributes={"DelaySeconds": "7"})["QueueUrl"]
    # what discovery reports: just the name and URL
    stray = ResourceResult(address=None, type="aws_sqs_queue", id=url, status=Status.UNMANAGED, source=None,
                           live={"url": url, "name": "stray"}, region="us-east-1")
    assert "delay_seconds" not in build_plans([stray], PlanOptions(workspace=tmp_path))[0].directions[0].patch_text
    screen = open_plan_screen(stray, workspace=tmp_path, read_only=True)
    app = Host(screen)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: bool(screen.plans) and "delay_seconds" in screen.plans[0].directions[0].patch_text,
                       rounds=600)
        await pilot.press("c")
        await pilot.pause()
        assert re.search(r"delay_seconds +=  ?7", app.clipboard)
        assert "git apply .driftdeck/plans/plan-aws_sqs_queue_" in app.clipboard


def test_a_marked_set_gets_one_screen_and_one_document(tmp_path: Path) -> None:
    asyncio.run(_test_a_marked_set_gets_one_screen_and_one_document(tmp_path))


async def _test_a_marked_set_gets_one_screen_and_one_document(tmp_path: Path) -> None:
    queue = _drifted_queue(tmp_path)
    gone = ResourceResult(address="aws_sqs_queue.old", type="aws_sqs_queue", id="u2", status=Status.MISSING,
                          source=queue.source)
    screen = open_plan_screen([queue, gone], workspace=tmp_path, read_only=False)
    app = Host(screen)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: screen.plans_shown)
        assert screen._directions() == [Direction.REVERT, Direction.ADOPT, Direction.FORGET, Direction.RECREATE]
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.saved_path is not None)
    assert screen.saved_path is not None and screen.saved_path.name.startswith("plan-2-resources-")
    text = screen.saved_path.read_text()
    assert "## `aws_sqs_queue.jobs`" in text and "## `aws_sqs_queue.old`" in text


@contextlib.asynccontextmanager
async def _while_planning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[
        tuple[PlanScreen, Host, Pilot[None], threading.Event]]:
    """The plan screen up, its build blocked (off the UI thread) until the yielded event is set."""
    release = threading.Event()
    real = plan_screen.build_plans

    def build(results: Any, options: PlanOptions, **kwargs: Any) -> list[ResourcePlan]:
        assert threading.current_thread() is not threading.main_thread()
        release.wait(timeout=60)
        return real(results, options, **kwargs)

    monkeypatch.setattr(plan_screen, "build_plans", build)
    screen = open_plan_screen(_drifted_queue(tmp_path), workspace=tmp_path, read_only=False)
    app = Host(screen)
    try:
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: app.screen is screen)
            yield screen, app, pilot, release
    finally:
        release.set()


def test_the_plan_is_built_in_a_worker_while_the_screen_answers_keys(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_test_the_plan_is_built_in_a_worker_while_the_screen_answers_keys(tmp_path, monkeypatch))


async def _test_the_plan_is_built_in_a_worker_while_the_screen_answers_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _while_planning(tmp_path, monkeypatch) as (screen, app, pilot, release):
        assert PLANNING in str(screen.query_one("#plan-planning", Static).render())
        assert PLANNING in str(screen.query_one("#plan-status", Static).render())
        await pilot.press("s")  # nothing to save yet: the key is handled and does nothing
        await pilot.pause()
        assert screen.planning and screen.saved_path is None and not list(tmp_path.glob(".driftdeck/plans/*"))
        release.set()
        await wait_for(pilot, lambda: any(t.active == "tab-revert" for t in screen.query("#plan-tabs").results(TabbedContent)))
        assert not screen.query("#plan-planning")
        await wait_for(pilot, lambda: app.focused is screen.query_one("#tab-revert VerticalScroll"))
        assert screen.apply_target() is not None and "plan_apply" in {b.binding.id for b in screen.active_bindings.values()}


def test_the_plan_screen_closes_while_the_build_is_still_running(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_test_the_plan_screen_closes_while_the_build_is_still_running(tmp_path, monkeypatch))


async def _test_the_plan_screen_closes_while_the_build_is_still_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _while_planning(tmp_path, monkeypatch) as (screen, app, pilot, _release):
        await pilot.press("escape")  # the UI thread is free: the key closes the screen at once
        await wait_for(pilot, lambda: app.screen is not screen)
        assert screen.planning


def test_a_failing_plan_build_is_shown_in_the_outcome_box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_test_a_failing_plan_build_is_shown_in_the_outcome_box(tmp_path, monkeypatch))


async def _test_a_failing_plan_build_is_shown_in_the_outcome_box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(results: Any, options: PlanOptions, **kwargs: Any) -> list[ResourcePlan]:
        raise OSError("main.tf: permission denied")

    monkeypatch.setattr(plan_screen, "build_plans", broken)
    screen = open_plan_screen(_drifted_queue(tmp_path), workspace=tmp_path, read_only=False)
    app = Host(screen)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: not screen.planning)
        outcome = screen.query_one("#plan-outcome", Static)
        assert outcome.display and "planning failed: main.tf: permission denied" in str(outcome.render())
        assert app.screen is screen  # the app goes on; esc closes the screen as usual
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not screen)


def test_a_failing_save_is_a_toast_and_the_app_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_test_a_failing_save_is_a_toast_and_the_app_goes_on(tmp_path, monkeypatch))


async def _test_a_failing_save_is_a_toast_and_the_app_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*_args: Any) -> Any:
        raise OSError("No space left on device")

    monkeypatch.setattr(plan_screen, "save_document", full_disk)
    feed = Feed()
    screen = _screen(tmp_path, read_only=False, applied=[], feed=feed)
    app = Host(screen)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_for(pilot, lambda: any("plan NOT saved: No space left on device" in n.message
                                          for n in app._notifications))
        assert app.screen is screen and screen.saved_path is None and not screen.saving
    assert feed.events == []
