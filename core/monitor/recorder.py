"""The watch loop's recorder backed by the workspace's audit log.

Scans go through `record_scan_evidence`, as `driftdeck scan` records them (`scan.completed`, one
`drift.detected` / `drift.resolved` per transition, the attributed cloud changes behind new drift);
alert deliveries, configuration changes (with the file's text before and after) and auto-remediation
outcomes are appended as events. `close()` writes the session-end checkpoint;
anything arriving after it (a scan abandoned at shutdown) is dropped, never written past the seal.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from driftdeck.core.audit import AuditLog, AuditReader
from driftdeck.core.audit.entry import SUBJECT_KEYS
from driftdeck.core.audit.scan_events import known_drift
from driftdeck.core.model import ScanReport
from driftdeck.core.monitor.scan_evidence import record_scan_evidence
from driftdeck.core.remediation.audit_events import canonical_safe

# Fsync'd and checkpointed at once: evidence of what changed and what driftdeck did about it.
DURABLE_KINDS = frozenset({"config.changed", "remediation.applied", "remediation.failed"})


class AuditRecorder:
    """Adapts `AuditLog` to `driftdeck.core.monitor.loop.Recorder`; safe to call from several threads."""

    def __init__(self, workspace: Path, *, log: AuditLog | None = None, heartbeat: bool = True) -> None:
        self.workspace = workspace.resolve()
        self.log = log or AuditLog.open(self.workspace)
        self._lock = threading.Lock()
        self._closed = False
        self._reader: AuditReader | None = None
        if heartbeat:
            self.log.start_heartbeat()

    def scan(self, report: ScanReport) -> None:
        with self._lock:
            if not self._closed:
                record_scan_evidence(self.log, report, workspace=self.workspace)

    def event(self, kind: str, subject: dict[str, Any], data: dict[str, Any], before: Any = None,
              after: Any = None) -> None:
        clean = {k: v for k, v in subject.items() if k in SUBJECT_KEYS and k not in ("tool", "workspace")
                 and isinstance(v, str)}
        payload = canonical_safe(data)
        old, new = canonical_safe(before), canonical_safe(after)
        with self._lock:
            if self._closed:
                return
            try:
                self.log.append(kind, subject=clean, data=payload, before=old, after=new, durable=kind in DURABLE_KINDS)
            except ValueError:
                if kind != "remediation.failed":
                    raise
                # Logs that do not know `remediation.failed` get the applied kind with the outcome in data.
                self.log.append("remediation.applied", subject=clean, data={**payload, "outcome": "failed"},
                                before=old, after=new, durable=True)

    def known_drift(self) -> dict[str, str]:
        """Drift statuses of this workspace as the log last recorded them ({key: status}), so a
        restarted watch (or the next `--once` run) alerts on transitions only, not on old drift."""
        with self._lock:
            return known_drift(self.log, self.workspace)

    def integrity(self) -> str | None:
        """None while the chain verifies (local evidence, checked incrementally); else what broke."""
        with self._lock:
            if self._closed:
                return None
            self.log.flush()
        if self._reader is None:
            self._reader = AuditReader(self.log.log_dir, self.log.config.pinned_keys())
        state = self._reader.state()
        return state.summary() if state.status == "tampered" else None

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.log.close()
