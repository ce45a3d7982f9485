"""Real-time drift from CloudTrail events: re-read only what an event touched, as it happens.

- `sources.py`: `SqsSource` (EventBridge rule → SQS, long polling, delete after recording),
  `LookupPollingSource` (LookupEvents every N seconds, overlapping windows), `live_source_from_spec`.
- `touched.py`: `TouchIndex` — event → the report's resource keys it touched (attribution tables,
  then ARN/id matching), and the types whose unmanaged objects to list again.
- `feed.py`: `EventFeed` (dedup by eventID, read-only calls dropped, per-resource coalescing,
  bounded queue → full poll, poisoned messages), `EventDrivenScan` (targeted re-check through
  `run_scan(ScanOptions(recheck=...))`, full polls as the safety net), `AcknowledgingRecorder`.
- `start_events`: the few lines that put all of it under a `MonitorLoop`.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from driftdeck.core.monitor.events.feed import (
    DEFAULT_FULL_POLL_SECONDS,
    AcknowledgingRecorder,
    Batch,
    EventDrivenScan,
    EventFeed,
    FeedStatus,
    Recheck,
)
from driftdeck.core.monitor.events.sources import (
    LiveSource,
    LookupPollingSource,
    Received,
    SqsSource,
    live_source_from_spec,
)
from driftdeck.core.monitor.events.touched import Touched, TouchIndex
from driftdeck.core.scan.run import run_scan

if TYPE_CHECKING:
    from driftdeck.core.aws import AwsContext
    from driftdeck.core.model import ScanReport
    from driftdeck.core.monitor.loop import MonitorLoop
    from driftdeck.core.scan.run import ScanOptions

__all__ = [
    "DEFAULT_FULL_POLL_SECONDS",
    "AcknowledgingRecorder",
    "Batch",
    "EventDrivenScan",
    "EventFeed",
    "FeedStatus",
    "LiveSource",
    "LookupPollingSource",
    "Received",
    "Recheck",
    "SqsSource",
    "TouchIndex",
    "Touched",
    "live_source_from_spec",
    "start_events",
    "targeted_recheck",
]


def targeted_recheck(options: ScanOptions, ctx: AwsContext) -> Recheck:
    """Re-read just some keys through the normal reader path (`run_scan`), the rest from `previous`."""
    def recheck(previous: ScanReport, keys: frozenset[str], rediscover: frozenset[str]) -> ScanReport:
        types = tuple(sorted(t for t in rediscover if not options.unmanaged_types or t in options.unmanaged_types))
        targeted = replace(options, recheck=keys, previous=previous, cloudtrail=None,
                           detect_unmanaged=options.detect_unmanaged and bool(types), unmanaged_types=types,
                           child_checks=options.detect_unmanaged)
        return run_scan(targeted, ctx=ctx)

    return recheck


def start_events(loop: MonitorLoop, source: LiveSource, options: ScanOptions, ctx: AwsContext, *,
                 coalesce_seconds: float = 1.0, wait_seconds: float = 20.0) -> EventFeed:
    """Drive `loop` from `source`: its scan becomes an `EventDrivenScan` over its current scan (the
    full poll, every `loop.config.interval_seconds`), its recorder acknowledges after recording,
    and a daemon thread feeds events until `loop.stop`."""
    feed = EventFeed(source, log=loop.log, coalesce_seconds=coalesce_seconds, wait_seconds=wait_seconds,
                     full_poll_seconds=loop.config.interval_seconds, on_ready=loop.wake.set)
    scanner = EventDrivenScan(feed, loop.scan, targeted_recheck(options, ctx))
    loop.scan = scanner
    loop.recorder = AcknowledgingRecorder(loop.recorder, scanner)
    loop.log("events.started", source=source.name, full_poll_seconds=loop.config.interval_seconds)
    threading.Thread(target=feed.run, args=(loop.stop,), name="driftdeck-events", daemon=True).start()
    return feed
