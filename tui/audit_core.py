"""The audit panel's feed over the real hash-chained log (`driftdeck.core.audit`), and `open_feed`."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from driftdeck.core.audit import AuditLog, AuditReader, verify_workspace
from driftdeck.core.monitor.scan_evidence import record_scan_evidence
from driftdeck.tui.audit_feed import AuditEvent, AuditFeed, ChainState


def actor_text(actor: dict[str, Any] | str | None) -> str:
    if not actor:
        return "—"
    if isinstance(actor, str):
        return actor
    if actor.get("principal"):
        via = f" via {actor['via']}" if actor.get("via") else ""
        return f"{actor['principal']}{via}"
    who = actor.get("user") or actor.get("type") or "?"
    host = f"@{actor['host']}" if actor.get("host") else ""
    arn = f" ({actor['aws_arn']})" if actor.get("aws_arn") else ""
    return f"{who}{host}{arn}"


def to_event(entry: Any, *, with_payload: bool) -> AuditEvent:
    return AuditEvent(
        seq=int(entry.seq),
        ts=str(entry.ts),
        kind=str(entry.kind),
        actor=actor_text(entry.actor),
        subject=dict(entry.subject or {}),
        data=dict(entry.data or {}),
        before=entry.before if with_payload else None,
        after=entry.after if with_payload else None,
        hash=str(entry.hash or ""),
        prev=str(entry.prev or ""),
    )


def chain_state_of(state: Any) -> ChainState:
    """The reader's incremental VerificationState as the badge's ChainState."""
    if state.status == "tampered":
        code = state.findings[0].code if state.findings else ""
        return ChainState("tampered", state.tampered_at, code)
    if state.status == "verified":
        return ChainState("verified", state.verified_through)
    return ChainState("unverified", detail="empty log")


def chain_state_of_result(result: Any) -> ChainState:
    """A full VerifyResult (chain, checkpoints, anchor) as the badge's ChainState."""
    if result.tampered:
        first = next((f for f in result.findings if f.seq is not None), None)
        code = result.findings[0].code if result.findings else ""
        return ChainState("tampered", first.seq if first else None, code)
    if result.exit_code == 3:
        reason = (result.problems or [f.code for f in result.findings] or ["cannot verify"])[0]
        return ChainState("unverified", detail=str(reason)[:60])
    return ChainState("verified", result.entries - 1 if result.entries else 0)


class CoreFeed:
    """Reads through AuditReader, writes through one AuditLog held open for the session."""

    def __init__(self, workspace: Path, *, read_only: bool = False) -> None:
        self.workspace = workspace
        self.writable = not read_only
        self._lock = threading.Lock()
        self._log: Any = None
        self._reader: Any = None
        self._last_state = ChainState("unverified")

    # The log and reader are opened lazily, from worker threads, never on the UI thread.
    def _get_reader(self) -> Any:
        if self._reader is None:
            if self.writable:
                self._get_log()  # creates the log on first use so that there is something to read
            self._reader = AuditReader.for_workspace(self.workspace)
        return self._reader

    def _get_log(self) -> Any:
        if self._log is None:
            self._log = AuditLog.open(self.workspace)
        return self._log

    def events(self, *, resource: str | None = None, limit: int = 200) -> list[AuditEvent]:
        with self._lock:
            entries = list(self._get_reader().iter_entries(resource=resource, limit=limit))
        return [to_event(e, with_payload=False) for e in entries]

    def event(self, seq: int) -> AuditEvent | None:
        with self._lock:
            entry = self._get_reader().get(seq)
        return to_event(entry, with_payload=True) if entry is not None else None

    def head(self) -> int:
        with self._lock:
            return int(self._get_reader().last_seq())

    def chain_state(self) -> ChainState:
        """Incremental: only entries appended since the last call are checked."""
        with self._lock:
            self._last_state = chain_state_of(self._get_reader().state())
        return self._last_state

    def verify(self) -> ChainState:
        """The full verdict, as `driftdeck audit verify` gives it (checkpoints and anchor too)."""
        with self._lock:
            if self._log is not None:
                self._log.flush()
            self._last_state = chain_state_of_result(verify_workspace(self.workspace))
        return self._last_state

    def append(
        self, kind: str, *, subject: dict[str, Any], data: dict[str, Any], before: Any = None, after: Any = None,
        durable: bool = False,
    ) -> None:
        if not self.writable:
            return
        with self._lock:
            # The log decides durability by kind (config/remediation events are fsynced at once).
            self._get_log().append(kind, subject=subject, data=data, before=before, after=after)

    def record_scan(self, report: Any) -> None:
        if not self.writable:
            return
        # As `driftdeck scan` records it: transitions, then the attributed changes behind new drift.
        with self._lock:
            record_scan_evidence(self._get_log(), report, workspace=self.workspace)

    def close(self) -> None:
        with self._lock:
            if self._log is not None:
                self._log.close()
                self._log = None


def open_feed(workspace: Path, *, read_only: bool = False) -> AuditFeed:
    """The workspace's audit log as the panel reads it (opened lazily, from a worker)."""
    return CoreFeed(workspace, read_only=read_only)
