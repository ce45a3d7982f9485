"""From a live event source to targeted re-checks: de-duplication, coalescing, back-pressure.

`EventFeed.run` (a thread) receives events, drops read-only and failed calls at once, maps the rest
to the resource keys they touched (`TouchIndex`) and collects them; a burst is coalesced per
resource until the source runs dry or `coalesce_seconds` pass, then `on_ready` wakes the loop.
`EventDrivenScan` is the loop's scan: a targeted re-check of the collected keys, or a full poll
when one is due (the safety net), the feed overflowed, or nothing was scanned yet. Deliveries are
acknowledged (SQS messages deleted) only after the report that covered them was recorded
(`AcknowledgingRecorder`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from driftdeck.core.attribution import StaticSource, attribute_report
from driftdeck.core.attribution.events import CloudTrailEvent
from driftdeck.core.model import ResourceResult, ScanReport, Status
from driftdeck.core.monitor.events.sources import LiveSource, Received
from driftdeck.core.monitor.events.touched import TouchIndex
from driftdeck.core.text import printable

DEFAULT_FULL_POLL_SECONDS = 900.0  # with events on, full polls are only the safety net
DEFAULT_MAX_RECEIVES = 5  # a message that cannot be read is deleted at its 5th delivery
DEFAULT_MAX_PENDING = 1000  # more resources waiting than this: one full poll instead
_REMEMBERED_EVENTS = 50_000
_DRAIN_PROBE_SECONDS = 1.0
_RESIGNAL_SECONDS = 2.0


@dataclass
class Batch:
    """What one scan covers: resources to re-read, types to re-list, the events behind them."""

    keys: set[str] = field(default_factory=set)
    rediscover: set[str] = field(default_factory=set)
    events: list[CloudTrailEvent] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    full: str | None = None  # why a full poll is needed instead (None: a targeted re-check)
    touched_by: dict[str, set[str]] = field(default_factory=dict)  # eventID -> the keys it touched
    unread: set[str] = field(default_factory=set)  # keys whose re-read came back unknown


@dataclass(frozen=True)
class FeedStatus:
    source: str
    newest_event: datetime | None
    last_full_poll: datetime | None
    error: str | None
    pending: int
    at: datetime

    @property
    def lag_seconds(self) -> float | None:
        return None if self.newest_event is None else max(0.0, (self.at - self.newest_event).total_seconds())

    def text(self) -> str:
        """One line for a status bar."""
        parts = [f"events {self.source}"]
        if self.error:
            parts.append(f"unreachable: {printable(self.error)[:120]} (polling continues)")
        elif self.lag_seconds is not None:
            parts.append(f"lag {self.lag_seconds:.0f}s")
        else:
            parts.append("no event yet")
        if self.pending:
            parts.append(f"{self.pending} pending")
        parts.append(f"full poll {self.last_full_poll:%H:%M:%S}" if self.last_full_poll else "full poll pending")
        return " · ".join(parts)


class EventFeed:
    """Collects touched resources from `source`; thread-safe between the receiver and the scanner."""

    def __init__(self, source: LiveSource, *, log: Callable[..., None], coalesce_seconds: float = 1.0,
                 wait_seconds: float = 20.0, max_pending: int = DEFAULT_MAX_PENDING,
                 max_receives: int = DEFAULT_MAX_RECEIVES, full_poll_seconds: float = DEFAULT_FULL_POLL_SECONDS,
                 on_ready: Callable[[], None] | None = None) -> None:
        self.source = source
        self.log = log
        self.coalesce_seconds = coalesce_seconds
        self.wait_seconds = wait_seconds
        self.max_pending = max_pending
        self.max_receives = max_receives
        self.full_poll_seconds = full_poll_seconds
        self.on_ready = on_ready or (lambda: None)
        self.ready = threading.Event()
        self.counts = {"received": 0, "ignored": 0, "untouched": 0, "duplicate": 0, "poisoned": 0}
        self._lock = threading.Lock()
        self._index: TouchIndex | None = None
        self._pending = Batch()
        self._pending_ids: set[str] = set()
        self._first_pending: float | None = None
        self._processed: OrderedDict[str, None] = OrderedDict()
        self._newest: datetime | None = None
        self._last_full_mono: float | None = None
        self._last_full: datetime | None = None
        self._error: str | None = None
        self._signalled = 0.0
        self._due_signalled: float | None = None  # the full poll whose safety-net successor was asked for

    # ------------------------------------------------------------ receiving
    def pump(self) -> int:
        """One receive: file every delivery; returns how many arrived. Source errors propagate."""
        with self._lock:
            first = self._first_pending
        # With events pending, only a short look for more: an empty answer ends the burst.
        wait = self.wait_seconds if first is None else \
            min(_DRAIN_PROBE_SECONDS, max(0.0, self.coalesce_seconds - (time.monotonic() - first)))
        received = self.source.receive(wait)
        self._error = None
        now_ack: list[Received] = []
        with self._lock:
            for item in received:
                self.counts["received"] += 1
                if self._file(item):
                    now_ack.append(item)
            signal = self._signal_locked(drained=not received)
        if now_ack:
            self.source.acknowledge(now_ack)
        if signal:
            self.on_ready()
        return len(received)

    def _signal_locked(self, drained: bool) -> bool:
        """Set `ready` when the batch is; True when the scanner is to be woken: once when it becomes
        ready, again only if nobody took it for a while (a wake-up the front end could not act on).
        Waking on every receive would wake the loop once more after it took the batch: a full poll."""
        if not self._ready_locked(drained):
            return False
        now = time.monotonic()
        if self.ready.is_set() and now - self._signalled < _RESIGNAL_SECONDS:
            return False
        self.ready.set()
        self._signalled = now
        return True

    def _file(self, item: Received) -> bool:
        """Add one delivery to the pending batch; True when it can be acknowledged right away."""
        event = item.event
        if event is None:
            final = item.receive_count >= self.max_receives
            self.counts["poisoned"] += 1
            self.log("events.poisoned", level="error" if final else "warning", message_id=printable(item.message_id),
                     problem=printable(item.problem or ""), receive_count=item.receive_count,
                     action="deleted" if final else "left for redelivery")
            return final
        if event.event_time is not None and (self._newest is None or event.event_time > self._newest):
            self._newest = event.event_time
        if event.event_id in self._processed:
            self.counts["duplicate"] += 1
            return True
        if event.event_id in self._pending_ids:
            self.counts["duplicate"] += 1
            self._pending.received.append(item)  # acknowledged with the batch it is already in
            return False
        if not event.mutating:
            self.counts["ignored"] += 1
            self._remember(event.event_id)
            return True
        touched = self._index.touched(event) if self._index is not None else None
        if touched is not None and not touched.keys and not touched.rediscover:
            self.counts["untouched"] += 1
            self._remember(event.event_id)
            return True
        batch = self._pending
        batch.events.append(event)
        batch.received.append(item)
        self._pending_ids.add(event.event_id)
        if self._first_pending is None:
            self._first_pending = time.monotonic()
        if touched is None:
            batch.full = batch.full or "events arrived before the first full poll"
        elif batch.full is None:
            batch.touched_by[event.event_id] = set(touched.keys)
            batch.keys |= touched.keys
            batch.rediscover |= touched.rediscover
            if len(batch.keys) > self.max_pending:
                batch.full = f"more than {self.max_pending} resources touched at once"
                self.log("events.overflow", level="warning", pending=len(batch.keys), limit=self.max_pending,
                         action="full poll scheduled")
                batch.keys.clear()
        return False

    def _remember(self, event_id: str) -> None:
        self._processed[event_id] = None
        while len(self._processed) > _REMEMBERED_EVENTS:
            self._processed.popitem(last=False)

    def full_poll_due(self) -> bool:
        return self._last_full_mono is None or time.monotonic() - self._last_full_mono >= self.full_poll_seconds

    def _ready_locked(self, drained: bool) -> bool:
        if self._first_pending is None:
            return False
        return (drained or self._pending.full is not None
                or time.monotonic() - self._first_pending >= self.coalesce_seconds)

    def run(self, stop: threading.Event, retry_seconds: float = 5.0) -> None:
        """Receive until `stop`; an unreachable source is reported (status, log) and retried."""
        while not stop.is_set():
            try:
                self.pump()
            except Exception as exc:  # noqa: BLE001 - the feed reports and retries; polls go on
                message = f"{type(exc).__name__}: {exc}"
                if message != self._error:
                    self.log("events.unreachable", level="error", source=self.source.name, error=printable(message),
                             action="full polls continue; retrying")
                self._error = message
                stop.wait(retry_seconds)
            last_full = self._last_full_mono
            if last_full is not None and self.full_poll_due() and self._due_signalled != last_full:
                self._due_signalled = last_full  # once: the loop may be busy, its wake stays set
                self.on_ready()

    # ------------------------------------------------------------ scanning side
    def take(self) -> Batch:
        """The pending batch (possibly empty), leaving a fresh one."""
        with self._lock:
            batch, self._pending = self._pending, Batch()
            self._pending_ids = set()
            self._first_pending = None
            self.ready.clear()
        return batch

    def requeue(self, batch: Batch) -> None:
        """A scan failed: its batch waits for the next one (nothing acknowledged)."""
        with self._lock:
            pending = self._pending
            pending.keys |= batch.keys
            pending.rediscover |= batch.rediscover
            pending.events[:0] = batch.events
            pending.received[:0] = batch.received
            pending.full = pending.full or batch.full
            pending.touched_by.update(batch.touched_by)
            self._pending_ids |= {e.event_id for e in batch.events}
            if self._first_pending is None and (batch.events or batch.received):
                self._first_pending = time.monotonic()

    def scanned(self, results: Sequence[ResourceResult], *, full: bool) -> None:
        with self._lock:
            self._index = TouchIndex(results)
            if full:
                self._last_full_mono = time.monotonic()
                self._last_full = datetime.now(UTC)

    def done(self, batch: Batch) -> None:
        """The scan covering `batch` was recorded: forget its events and acknowledge its deliveries,
        except those whose resources could not be read (`unread`): the queue delivers them again
        until their `max_receives`-th delivery, after which the safety-net poll is their retry."""
        retry: set[str] = set()
        for item in batch.received:
            if item.event is None or not batch.touched_by.get(item.event.event_id, set()) & batch.unread:
                continue
            if item.receipt and item.receive_count < self.max_receives:
                retry.add(item.event.event_id)
        if batch.unread:
            self.log("events.recheck_unknown", level="warning", resources=sorted(batch.unread)[:20],
                     action="redelivery" if retry else "left to the next full poll")
        with self._lock:
            for event in batch.events:
                if event.event_id not in retry:
                    self._remember(event.event_id)
        acknowledged = [r for r in batch.received if r.event is None or r.event.event_id not in retry]
        if acknowledged:
            self.source.acknowledge(acknowledged)

    def status(self) -> FeedStatus:
        with self._lock:
            pending = len(self._pending.keys)
        return FeedStatus(self.source.name, self._newest, self._last_full, self._error, pending, datetime.now(UTC))


Recheck = Callable[[ScanReport, frozenset[str], frozenset[str]], ScanReport]


def attach_events(report: ScanReport, batch: Batch) -> None:
    """Attribute the re-checked verdicts to the events that triggered them (the attribution engine,
    over just these events): the `drift.detected` entry then carries who and how."""
    fresh = [r for r in report.resources
             if r.key in batch.keys or (r.address is None and r.type in batch.rediscover)]
    times = [e.event_time for e in batch.events if e.event_time is not None]
    if not fresh or not times:
        return
    view = replace(report, resources=fresh, warnings=[])
    end = max([*times, datetime.now(UTC)])
    attribute_report(view, StaticSource(batch.events), window_start=min(times), window_end=end)


class EventDrivenScan:
    """The watch loop's `scan`: targeted re-checks from the feed, full polls as the safety net."""

    def __init__(self, feed: EventFeed, full_scan: Callable[[], ScanReport], recheck: Recheck) -> None:
        self.feed = feed
        self.full_scan = full_scan
        self.recheck = recheck
        self.previous: ScanReport | None = None
        self._unrecorded: list[Batch] = []
        self._lock = threading.Lock()
        self.rechecks = 0
        self.full_polls = 0

    def __call__(self) -> ScanReport:
        batch = self.feed.take()
        full = batch.full or ("first poll" if self.previous is None else None) \
            or ("safety-net interval elapsed" if self.feed.full_poll_due() else None) \
            or (None if batch.keys or batch.rediscover else "nothing pending")
        try:
            if full is not None:
                if batch.events:
                    self.feed.log("events.full_poll", reason=full, events=len(batch.events))
                report = self.full_scan()
                self.full_polls += 1
            else:
                assert self.previous is not None
                self.feed.log("events.recheck", resources=len(batch.keys), rediscover=sorted(batch.rediscover),
                              events=len(batch.events))
                report = self.recheck(self.previous, frozenset(batch.keys), frozenset(batch.rediscover))
                batch.unread = {r.key for r in report.resources if r.key in batch.keys and r.status is Status.UNKNOWN}
                attach_events(report, batch)
                self.rechecks += 1
        except BaseException:
            self.feed.requeue(batch)
            raise
        self.previous = report
        self.feed.scanned(report.resources, full=full is not None)
        with self._lock:
            self._unrecorded.append(batch)
        return report

    def recorded(self) -> None:
        """Everything scanned so far is recorded: acknowledge the deliveries behind it."""
        with self._lock:
            batches, self._unrecorded = self._unrecorded, []
        for batch in batches:
            try:
                self.feed.done(batch)
            except Exception as exc:  # noqa: BLE001 - redelivery is absorbed by the eventID memory
                self.feed.log("events.ack_failed", level="warning", error=printable(f"{type(exc).__name__}: {exc}"))


class AcknowledgingRecorder:
    """Wraps the loop's recorder (or none): after a scan is recorded, its events are acknowledged."""

    def __init__(self, inner: Any, scanner: EventDrivenScan) -> None:
        self.inner = inner
        self.scanner = scanner

    def scan(self, report: ScanReport) -> None:
        if self.inner is not None:
            self.inner.scan(report)  # raises: nothing acknowledged, SQS redelivers
        self.scanner.recorded()

    def event(self, kind: str, subject: dict[str, Any], data: dict[str, Any], before: Any = None,
              after: Any = None) -> None:
        if self.inner is not None:
            self.inner.event(kind, subject, data, before, after)

    def integrity(self) -> str | None:
        return self.inner.integrity() if self.inner is not None else None

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()

    def __getattr__(self, name: str) -> Any:  # known_drift() and the like stay reachable
        return getattr(self.inner, name)
