"""`--events` for the dashboard: the engine's event feed under the app's scan worker.

The app keeps its own poll (now the safety-net full poll); the feed thread asks it to scan when
re-checks are waiting (`DriftdeckApp.events_ready`), the scanner is the engine's
`EventDrivenScan`, and events are acknowledged once the app recorded the scan that covered them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from driftdeck.core.aws import AwsContext
from driftdeck.core.events import EventDrivenScan, EventFeed, live_source_from_spec, targeted_recheck
from driftdeck.core.model import ScanReport
from driftdeck.core.scan import ScanOptions


class LiveEvents:
    def __init__(self, spec: str, options: ScanOptions, aws: AwsContext, full_scan: Callable[[], ScanReport],
                 audit_feed: Any, *, recording: bool, log: Callable[..., None] | None = None) -> None:
        self.stop = threading.Event()
        self.messages: list[tuple[str, dict[str, Any]]] = []  # the feed's log lines (no stderr under a TUI)
        source = live_source_from_spec(spec, session=aws.session, regions=options.regions, stop=self.stop)
        self.feed = EventFeed(source, log=log or self._remember, full_poll_seconds=float("inf"))
        self.events = EventDrivenScan(self.feed, full_scan, targeted_recheck(options, aws))
        self.recording = recording
        if recording:
            record = audit_feed.record_scan

            def record_then_acknowledge(report: Any) -> None:
                record(report)  # raises: nothing acknowledged, the queue redelivers
                self.events.recorded()

            audit_feed.record_scan = record_then_acknowledge

    def _remember(self, event: str, level: str = "info", **fields: Any) -> None:
        self.messages = [*self.messages[-99:], (event, {"level": level, **fields})]

    def scanner(self) -> ScanReport:
        report = self.events()
        if not self.recording:
            self.events.recorded()  # nothing is recorded without an audit log: processed is enough
        return report

    def status_text(self) -> str:
        return self.feed.status().text()

    def start(self, app: Any) -> None:
        """Feed events until `stop`; each ready batch asks `app` for a scan."""
        def ready() -> None:
            try:
                app.call_from_thread(app.events_ready)
            except RuntimeError:
                pass  # the app is not running (yet, or any more): its next poll takes the batch

        self.feed.on_ready = ready
        threading.Thread(target=self.feed.run, args=(self.stop,), name="driftdeck-events", daemon=True).start()
