"""`--events` for the dashboard: the engine's event feed under the app's monitor loop.

The app keeps its own poll (now the safety-net full poll); the feed thread asks it to scan when
re-checks are waiting (`DriftdeckApp.events_ready`), the scanner is the engine's `EventDrivenScan`,
and events are acknowledged once the loop recorded the scan that covered them: the loop's recorder
is wrapped in the engine's `AcknowledgingRecorder`, as `driftdeck watch --events` does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from driftdeck.core.aws import AwsContext
from driftdeck.core.model import ScanReport
from driftdeck.core.monitor.events import EventDrivenScan, EventFeed, live_source_from_spec, targeted_recheck
from driftdeck.core.monitor.events.feed import AcknowledgingRecorder
from driftdeck.core.scan.run import ScanOptions


class LiveEvents:
    def __init__(self, spec: str, options: ScanOptions, aws: AwsContext, full_scan: Callable[[], ScanReport],
                 *, log: Callable[..., None] | None = None) -> None:
        self.stop = threading.Event()
        self.messages: list[tuple[str, dict[str, Any]]] = []  # the feed's log lines (no stderr under a TUI)
        source = live_source_from_spec(spec, session=aws.session, regions=options.regions, stop=self.stop)
        self.feed = EventFeed(source, log=log or self._remember, full_poll_seconds=float("inf"))
        self.events = EventDrivenScan(self.feed, full_scan, targeted_recheck(options, aws))

    def _remember(self, event: str, level: str = "info", **fields: Any) -> None:
        self.messages = [*self.messages[-99:], (event, {"level": level, **fields})]

    def scanner(self) -> ScanReport:
        return self.events()

    def status_text(self) -> str:
        return self.feed.status().text()

    def start(self, app: Any) -> None:
        """Acknowledge events once `app`'s monitor loop recorded their scan (with no audit log: once
        it polled), and feed events until `stop`; each ready batch asks `app` for a scan."""
        app.monitor.recorder = AcknowledgingRecorder(app.monitor.recorder, self.events)

        def ready() -> None:
            try:
                app.call_from_thread(app.events_ready)
            except RuntimeError:
                pass  # the app is not running (yet, or any more): its next poll takes the batch

        self.feed.on_ready = ready
        threading.Thread(target=self.feed.run, args=(self.stop,), name="driftdeck-events", daemon=True).start()
