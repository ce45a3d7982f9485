"""The audit side panel's view of the hash-chained log, behind one small interface.

`driftdeck.tui.audit_core.open_feed(workspace)` returns the feed over the real log (`driftdeck.core.audit`);
`MemoryFeed` holds events in memory (tests, snapshots, and workspaces opened with --no-audit).
`FeedRecorder` lets the monitor loop (`core.monitor.loop`) record into either.
Every method may block on disk: the app calls them from thread workers only.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from driftdeck.core.audit.subject import subject_of
from driftdeck.core.model import ScanReport
from driftdeck.core.monitor.recorder import DURABLE_KINDS
from driftdeck.core.transitions import TransitionKind, carry_forward, transitions


@dataclass(frozen=True)
class AuditEvent:
    """One log entry as the panel shows it."""

    seq: int
    ts: str
    kind: str
    actor: str
    subject: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    before: Any = None
    after: Any = None
    hash: str = ""
    prev: str = ""

    @property
    def resource(self) -> str | None:
        value = self.subject.get("address") or self.subject.get("provider_id")
        return str(value) if value else None

    @property
    def summary(self) -> str:
        res = self.resource or self.data.get("file") or self.subject.get("workspace") or ""
        return f"{res}" if res else ""


@dataclass(frozen=True)
class ChainState:
    """The badge: `verified` up to `seq`, `tampered` at `seq`, or `unverified` (with a reason)."""

    state: str  # "verified" | "tampered" | "unverified" | "unavailable"
    seq: int | None = None
    detail: str = ""

    @property
    def badge(self) -> str:
        if self.state == "verified":
            return f"chain verified to #{self.seq}"
        if self.state == "tampered":
            return f"TAMPERED at #{self.seq}" + (f" ({self.detail})" if self.detail else "")
        if self.state == "unavailable":
            return f"audit log unavailable{': ' + self.detail if self.detail else ''}"
        return "chain not verified" + (f" ({self.detail})" if self.detail else "")


class AuditFeed(Protocol):
    writable: bool

    def events(self, *, resource: str | None = None, limit: int = 200) -> list[AuditEvent]:
        """Newest first, optionally only those about `resource`."""

    def event(self, seq: int) -> AuditEvent | None:
        """One event with its before/after loaded."""

    def head(self) -> int:
        """The newest seq (0 when empty): cheap, used to notice appends by other processes."""

    def chain_state(self) -> ChainState:
        """Cheap: the last known verification state."""

    def verify(self) -> ChainState:
        """Verify (incrementally where the log supports it) and return the new state."""

    def append(
        self, kind: str, *, subject: dict[str, Any], data: dict[str, Any], before: Any = None, after: Any = None,
        durable: bool = False,
    ) -> None:
        """Append one event."""

    def record_scan(self, report: Any) -> None:
        """Append the scan summary and the drift transitions since the previous recorded scan."""

    def close(self) -> None:
        """Flush and release the log (end of the session)."""


class MemoryFeed:
    """An in-memory log with the same shape (no hashing): tests, snapshots, --no-audit."""

    writable = True

    def __init__(self, events: Iterable[AuditEvent] = (), *, state: ChainState | None = None) -> None:
        self._events: list[AuditEvent] = sorted(events, key=lambda e: e.seq)
        self._state = state or ChainState("unverified", detail="in-memory log")
        self._lock = threading.Lock()
        self.clock = lambda: "2026-01-01T00:00:00Z"
        self._recorded: list[Any] = []  # the last known verdicts (core.monitor.transitions.carry_forward)

    def events(self, *, resource: str | None = None, limit: int = 200) -> list[AuditEvent]:
        with self._lock:
            out = [
                e for e in reversed(self._events)
                if resource is None or resource in (e.subject.get("address"), e.subject.get("provider_id"))
            ]
        return out[:limit]

    def event(self, seq: int) -> AuditEvent | None:
        with self._lock:
            return next((e for e in self._events if e.seq == seq), None)

    def head(self) -> int:
        with self._lock:
            return self._events[-1].seq if self._events else 0

    def chain_state(self) -> ChainState:
        return self._state

    def verify(self) -> ChainState:
        return self._state

    def append(
        self, kind: str, *, subject: dict[str, Any], data: dict[str, Any], before: Any = None, after: Any = None,
        durable: bool = False,
    ) -> None:
        with self._lock:
            seq = (self._events[-1].seq if self._events else 0) + 1
            self._events.append(  # the tool is named as the real log names it
                AuditEvent(seq, self.clock(), kind, "operator", {"tool": "driftdeck", **subject}, dict(data), before,
                           after)
            )

    def record_scan(self, report: Any) -> None:
        """Like the real log: the summary, then one event per status transition since the last scan
        (the monitor's `transitions`, as the real recorder decides them): detections, then resolutions."""
        # Status changes only, as `core.audit.scan_events` records them (new differences under the
        # same status are news for an alert, not a new detection in the log).
        found = [t for t in transitions(self._recorded, report.resources)
                 if not (t.kind is TransitionKind.DRIFT_CHANGED and t.before is t.after)]
        previous = {r.key: r for r in self._recorded}
        self.append("scan.completed", subject={}, data={"summary": report.summary()})
        for change in found:
            if change.result is not None and not change.is_resolved:
                self.append("drift.detected", subject=subject_of(change.key, change.result),
                            data={"to": change.result.status.value, "differences": len(change.result.differences)},
                            after=change.result.to_json())
        for change in found:
            if change.is_resolved:
                self.append("drift.resolved", subject=subject_of(change.key, previous[change.key]),
                            data={"status": change.after.value if change.after else "gone"})
        self._recorded = carry_forward(self._recorded, report.resources)

    def close(self) -> None:
        pass


def diff_lines(before: Any, after: Any) -> list[tuple[str, str]]:
    """A unified diff of two values as (kind, line) pairs; kind is ' ', '+', '-' or '@'."""
    if isinstance(before, str) and isinstance(after, str):
        a, b = before.splitlines(), after.splitlines()
    else:
        a = _pretty(before).splitlines()
        b = _pretty(after).splitlines()
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(a, b, "before", "after", lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        out.append((line[:1] if line[:1] in "+-@" else " ", line))
    return out


def changed_keys(before: Any, after: Any) -> list[str]:
    """Top-level keys whose values differ (for highlighting)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _pretty(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def format_ts(ts: str) -> str:
    """`2026-01-01T12:34:56.123Z` -> `01-01 12:34:56` for the narrow panel."""
    if "T" not in ts:
        return ts
    date, _, time = ts.partition("T")
    return f"{date[5:]} {time[:8]}"


def filter_kinds(events: Sequence[AuditEvent], kinds: set[str]) -> list[AuditEvent]:
    return [e for e in events if e.kind in kinds]


class FeedRecorder:
    """The monitor loop's `Recorder` over an audit feed: what the loop records in the TUI (scans with
    their attribution evidence, IaC changes, alert deliveries) goes where the panel reads it."""

    def __init__(self, feed: AuditFeed, workspace: Path) -> None:
        self.feed = feed
        self.workspace = str(workspace)

    def scan(self, report: ScanReport) -> None:
        self.feed.record_scan(report)  # looked up per call: `--events` wraps it to acknowledge events

    def event(self, kind: str, subject: dict[str, Any], data: dict[str, Any], before: Any = None,
              after: Any = None) -> None:
        self.feed.append(kind, subject={"tool": "driftdeck", "workspace": self.workspace, **subject}, data=data,
                         before=before, after=after, durable=kind in DURABLE_KINDS)

    def integrity(self) -> str | None:
        return None  # the dashboard verifies the chain itself and shows it in the panel's badge

    def close(self) -> None:
        pass  # the app closes the feed when it quits
