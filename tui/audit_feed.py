"""The audit side panel's view of the hash-chained log, behind one small interface.

`open_feed(workspace)` returns a feed over `driftdeck.core.audit` when that package is installed;
`MemoryFeed` holds events in memory (tests, snapshots, and workspaces opened with --no-audit).
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

from driftdeck.core.monitor.transitions import TransitionKind, carry_forward, change_kind


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


def _is_detection(kind: TransitionKind | None) -> bool:
    return kind in (TransitionKind.NEW_DRIFT, TransitionKind.NEW_UNMANAGED, TransitionKind.DRIFT_CHANGED)


class MemoryFeed:
    """An in-memory log with the same shape (no hashing): tests, snapshots, --no-audit."""

    writable = True

    def __init__(self, events: Iterable[AuditEvent] = (), *, state: ChainState | None = None) -> None:
        self._events: list[AuditEvent] = sorted(events, key=lambda e: e.seq)
        self._state = state or ChainState("unverified", detail="in-memory log")
        self._lock = threading.Lock()
        self.clock = lambda: "2026-01-01T00:00:00Z"
        self._recorded: dict[str, Any] = {}

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
            self._events.append(
                AuditEvent(seq, self.clock(), kind, "operator", dict(subject), dict(data), before, after)
            )

    def record_scan(self, report: Any) -> None:
        """Like the real log: the summary, then one event per status transition since the last scan
        (decided by core.monitor.transitions.change_kind, as the real recorder does)."""
        current = {r.key: r for r in report.resources}
        self.append("scan.completed", subject={"tool": "driftdeck"}, data={"summary": report.summary()})
        for key, r in current.items():
            prev = self._recorded.get(key)
            if _is_detection(change_kind(prev.status if prev else None, r.status)):
                self.append("drift.detected", subject=subject_for(key, r.type, r.id),
                            data={"to": r.status.value, "differences": len(r.differences)}, after=r.to_json())
        for key, prev in self._recorded.items():
            now = current.get(key)
            if change_kind(prev.status, now.status if now else None) is TransitionKind.RESOLVED:
                self.append("drift.resolved", subject=subject_for(key, prev.type, prev.id),
                            data={"status": now.status.value if now else "gone"})
        self._recorded = {r.key: r for r in carry_forward(self._recorded.values(), report.resources)}

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


def open_feed(workspace: Path, *, read_only: bool = False) -> AuditFeed:
    """The workspace's audit log through `driftdeck.core.audit`, or an in-memory stand-in when absent."""
    try:
        from driftdeck.tui.audit_core import CoreFeed
    except ImportError as exc:  # the audit package has not landed in this checkout
        feed = MemoryFeed(state=ChainState("unavailable", detail=f"{exc.name or 'driftdeck.core.audit'} missing"))
        feed.writable = not read_only
        return feed
    return CoreFeed(workspace, read_only=read_only)


def subject_for(key: str, rtype: str | None = None, rid: str | None = None) -> dict[str, Any]:
    """The log's subject for a resource (keys: tool, workspace, address, provider_id, resource_type)."""
    out: dict[str, Any] = {"tool": "driftdeck"}
    if ":" in key and rid is not None and key == f"{rtype}:{rid}":
        out["provider_id"] = rid  # unmanaged: no address
    else:
        out["address"] = key
        if rid:
            out["provider_id"] = rid
    if rtype:
        out["resource_type"] = rtype
    return out


def format_ts(ts: str) -> str:
    """`2026-01-01T12:34:56.123Z` -> `01-01 12:34:56` for the narrow panel."""
    if "T" not in ts:
        return ts
    date, _, time = ts.partition("T")
    return f"{date[5:]} {time[:8]}"


def filter_kinds(events: Sequence[AuditEvent], kinds: set[str]) -> list[AuditEvent]:
    return [e for e in events if e.kind in kinds]
