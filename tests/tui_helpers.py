"""Shared helpers for the TUI tests: a scripted scanner and deterministic worker settling."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from pilot_wait import wait_for  # noqa: F401 - the tui tests import it from here
from rich.console import Console
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

from driftdeck.core.model import ScanReport
from driftdeck.tui.app import DriftdeckApp
from driftdeck.tui.audit_feed import MemoryFeed


class ScriptedScanner:
    """Returns the given reports in order (the last one repeats); counts calls."""

    def __init__(self, reports: Sequence[ScanReport]) -> None:
        self.reports = list(reports)
        self.calls = 0

    def __call__(self) -> ScanReport:
        report = self.reports[min(self.calls, len(self.reports) - 1)]
        self.calls += 1
        return report


async def settle(app: DriftdeckApp, pilot: Pilot[Any], rounds: int = 20) -> None:
    """Wait until every worker except the endless IaC watcher is done and its messages handled."""
    for _ in range(rounds):
        pending = [w for w in app.workers if w.group != "watch" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
        if not pending:
            await pilot.pause()
            pending = [w for w in app.workers if w.group != "watch" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
            if not pending:
                return
        for worker in pending:
            if worker.state is WorkerState.RUNNING:
                try:
                    await worker.wait()
                except (WorkerCancelled, WorkerFailed):
                    pass  # an exclusive worker replaced by a newer one
        await pilot.pause()
    raise AssertionError("workers did not settle")


def make_app(tmp_path: Path, reports: Sequence[ScanReport], **kwargs: Any) -> DriftdeckApp:
    kwargs.setdefault("poll_interval", 0)
    kwargs.setdefault("watch", False)
    kwargs.setdefault("feed", MemoryFeed())
    app = DriftdeckApp(tmp_path, scanner=ScriptedScanner(reports), **kwargs)
    app.audit_debounce = 0  # deterministic: the panel reloads as soon as the selection moves
    return app


def run_async(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test body with asyncio.run (no async pytest plugin needed)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


def render_plain(renderable: Any, width: int = 110) -> str:
    """A Rich renderable (a widget's content) as plain text at `width` columns."""
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()
