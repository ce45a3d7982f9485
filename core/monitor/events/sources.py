"""Live CloudTrail feeds: an SQS queue fed by an EventBridge rule, or LookupEvents polling.

Both answer `receive(wait_seconds)` with what arrived and `acknowledge(received)` once the events
were processed and recorded (SQS deletes the messages then, never before: a crash in between means
redelivery, which the feed's eventID de-duplication absorbs).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from driftdeck.core.attribution.events import CloudTrailEvent, is_record, parse_record
from driftdeck.core.attribution.sources import LOOKUP_RATE_PER_REGION, LookupEventsSource
from driftdeck.core.errors import InputError
from driftdeck.core.text import printable

DETAIL_TYPE = "AWS API Call via CloudTrail"
SQS_MAX_BATCH = 10  # ReceiveMessage and DeleteMessageBatch take at most 10 messages
SQS_MAX_WAIT = 20  # the longest long poll SQS allows


@dataclass(frozen=True)
class Received:
    """One delivery: an event, or a message that could not be read (`problem`, `event` None)."""

    event: CloudTrailEvent | None
    receipt: str | None = None  # SQS receipt handle; None where nothing needs acknowledging
    problem: str | None = None
    receive_count: int = 1  # how often SQS has delivered this message (redrive counting)
    message_id: str = ""


class LiveSource(Protocol):
    """A feed of CloudTrail events as they happen."""

    name: str  # for the status bar and the log, e.g. "sqs:drift-events" or "lookup"

    def receive(self, wait_seconds: float) -> list[Received]: ...

    def acknowledge(self, received: Sequence[Received]) -> None: ...


def parse_message(body: str) -> CloudTrailEvent:
    """The CloudTrail record in an SQS message body: an EventBridge envelope (`detail` holds the
    record) or a bare record. ValueError says why a body is not one."""
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("detail"), dict):
        if doc.get("detail-type") not in (None, DETAIL_TYPE):
            raise ValueError(f"EventBridge detail-type {printable(str(doc.get('detail-type')))!r} is not {DETAIL_TYPE!r}")
        doc = doc["detail"]
    if not is_record(doc):
        raise ValueError("not a CloudTrail record (no eventName/eventSource)")
    return parse_record(doc, origin="sqs")


class SqsSource:
    """Long-polls an SQS queue (name or URL) that an EventBridge rule fills with CloudTrail API calls."""

    def __init__(self, queue: str, client: Any) -> None:
        self.queue = queue
        self.client = client
        self.name = f"sqs:{queue.rstrip('/').rsplit('/', 1)[-1]}"
        self._url: str | None = queue if queue.startswith(("https://", "http://")) else None

    def url(self) -> str:
        if self._url is None:
            self._url = str(self.client.get_queue_url(QueueName=self.queue)["QueueUrl"])
        return self._url

    def receive(self, wait_seconds: float) -> list[Received]:
        answer = self.client.receive_message(
            QueueUrl=self.url(), MaxNumberOfMessages=SQS_MAX_BATCH,
            WaitTimeSeconds=max(0, min(SQS_MAX_WAIT, int(wait_seconds))), AttributeNames=["All"],
        )
        out = []
        for message in answer.get("Messages", []):
            count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1") or 1)
            common = {"receipt": message.get("ReceiptHandle"), "receive_count": count,
                      "message_id": str(message.get("MessageId", ""))}
            try:
                out.append(Received(parse_message(message.get("Body", "")), **common))
            except ValueError as exc:
                out.append(Received(None, problem=str(exc), **common))
        return out

    def acknowledge(self, received: Sequence[Received]) -> None:
        handles = [r.receipt for r in received if r.receipt]
        for start in range(0, len(handles), SQS_MAX_BATCH):
            chunk = handles[start:start + SQS_MAX_BATCH]
            answer = self.client.delete_message_batch(
                QueueUrl=self.url(), Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)])
            failed = answer.get("Failed") or []
            if failed:
                # The messages come back after their visibility timeout; the eventID dedup absorbs them.
                raise RuntimeError(f"SQS kept {len(failed)} message(s): {printable(str(failed[0].get('Message', '')))}")


class LookupPollingSource:
    """Polls LookupEvents (mutating calls only) every `every_seconds`, each window reaching back
    `overlap` before the previous one ended: CloudTrail can list an event minutes after it
    happened, so windows overlap and the feed de-duplicates by eventID."""

    name = "lookup"

    def __init__(self, lookup: LookupEventsSource, *, every_seconds: float = 30.0,
                 overlap: timedelta = timedelta(minutes=15), now: Callable[[], datetime] | None = None,
                 stop: threading.Event | None = None) -> None:
        self.lookup = lookup
        self.every_seconds = every_seconds
        self.overlap = overlap
        self._now = now or (lambda: datetime.now(UTC))
        self._stop = stop or threading.Event()
        self._last_end: datetime | None = None
        self._next_sweep = 0.0  # monotonic time of the next sweep

    def receive(self, wait_seconds: float) -> list[Received]:
        """One sweep when it is due; before that, wait up to `wait_seconds` and answer nothing (each
        sweep re-reads the whole overlap, so a quick look for more events must not cost one)."""
        remaining = self._next_sweep - time.monotonic()
        if remaining > 0:
            self._stop.wait(min(wait_seconds, remaining))
            if time.monotonic() < self._next_sweep:
                return []
        self._next_sweep = time.monotonic() + self.every_seconds
        end = self._now()
        start = (self._last_end or end) - self.overlap
        events = self.lookup.sweep(start, end)
        errors, self.lookup.errors[:] = list(self.lookup.errors), []
        if errors:
            raise RuntimeError("; ".join(str(e) for e in errors))
        self._last_end = end
        return [Received(e) for e in sorted(events, key=lambda e: e.event_time or end)]

    def acknowledge(self, received: Sequence[Received]) -> None:
        return None  # nothing to delete: the eventID memory keeps overlapping windows from repeating


def live_source_from_spec(spec: str, *, session: Any, regions: Sequence[str] = (),
                          stop: threading.Event | None = None) -> LiveSource:
    """`sqs:QUEUE_NAME_OR_URL` or `lookup[:region,...]` (the `--events` flag, `[events] source`)."""
    kind, _, rest = spec.partition(":")
    if kind == "sqs":
        if not rest:
            raise InputError("--events sqs: needs a queue name or URL (sqs:QUEUE)", file=spec)
        return SqsSource(rest, session.client("sqs"))
    if kind == "lookup":
        chosen = [r for r in rest.split(",") if r] or list(regions) or [session.region_name or "us-east-1"]
        lookup = LookupEventsSource(chosen, client_factory=lambda region: session.client("cloudtrail", region_name=region),
                                    rate_per_region=LOOKUP_RATE_PER_REGION)
        return LookupPollingSource(lookup, stop=stop)
    raise InputError(f"unknown event source {printable(spec)!r}: use sqs:QUEUE or lookup[:regions]")
