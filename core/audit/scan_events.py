"""Audit events for a completed scan: `scan.completed` plus one event per status transition.

Previous statuses come from the log itself (the replayed `drift.detected` / `drift.resolved`
events of the same workspace). A small derived index under `<log dir>/index/` saves the replay;
it records the seq and hash it was built up to and is rebuilt whenever they do not match the log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from driftdeck.core.audit import layout
from driftdeck.core.audit.entry import Entry
from driftdeck.core.audit.log import AuditLog
from driftdeck.core.audit.reader import AuditReader
from driftdeck.core.audit.subject import subject_of
from driftdeck.core.model import ScanReport, Status
from driftdeck.core.transitions import TransitionKind, change_kind

INDEX_NAME = "drift-status.json"
NOT_DRIFTING = "in_sync"


def _index_path(log: AuditLog) -> Path:
    return log.log_dir / layout.INDEX_DIR / INDEX_NAME


def _apply(statuses: dict[str, dict[str, str]], entry: Entry) -> None:
    if entry.kind == "scan.completed":
        # A workspace that has been scanned has an entry, even with no drift: its next
        # detections come from a known state, not from "never observed".
        statuses.setdefault(entry.subject.get("workspace") or "", {})
        return
    if entry.kind not in ("drift.detected", "drift.resolved"):
        return
    workspace = entry.subject.get("workspace") or ""
    key = entry.data.get("key")
    if not isinstance(key, str):
        return
    per = statuses.setdefault(workspace, {})
    to = entry.data.get("to")
    if entry.kind == "drift.resolved" or not isinstance(to, str):
        per.pop(key, None)
    else:
        per[key] = to


def _load_statuses(log: AuditLog) -> dict[str, dict[str, str]]:
    """Drift statuses per workspace as of the log's head; index when valid, else a replay."""
    reader = AuditReader(log.log_dir)
    path = _index_path(log)
    statuses: dict[str, dict[str, str]] = {}
    start = -1
    try:
        cached = json.loads(layout.read_regular(path, limit=64 << 20))
        head = reader.get(cached["seq"]) if cached.get("seq", -1) >= 0 else None
        if head is not None and head.hash == cached["hash"]:
            statuses, start = cached["statuses"], cached["seq"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for entry in reader.entries_since(start, kinds=("drift.detected", "drift.resolved", "scan.completed")):
        _apply(statuses, entry)
    return statuses


def known_drift(log: AuditLog, workspace: Path | str | None = None) -> dict[str, str]:
    """The last known drift of `workspace` (default: the log's) as the log recorded it ({key: status}):
    what `record_scan` compares the next scan against, and what a restarted watch starts from."""
    ws = str(Path(workspace).resolve()) if workspace is not None else str(log.workspace)
    log.flush()  # the replay reads the files: make this process's lines visible
    return dict(_load_statuses(log).get(ws, {}))


def _save_statuses(log: AuditLog, statuses: dict[str, dict[str, str]], last: Entry) -> None:
    path = _index_path(log)
    path.parent.mkdir(exist_ok=True)
    layout.replace_file(path, json.dumps({"seq": last.seq, "hash": last.hash, "statuses": statuses}).encode(),
                        durable=False)


def _status(recorded: str | None) -> Status | None:
    """A status as the index records it (NOT_DRIFTING for "was drifting, no more")."""
    try:
        return Status(recorded) if recorded is not None else None
    except ValueError:
        return Status.IN_SYNC  # a value this version does not know: not drift it can resolve


def record_scan(log: AuditLog, report: ScanReport, *, workspace: Path | str | None = None,
                actor: dict[str, Any] | None = None) -> list[Entry]:
    """Append one `drift.detected` / `drift.resolved` per status transition since the previous
    scan of `workspace` (default: the log's workspace), then `scan.completed`. Returns the entries.

    Unchanged drift adds nothing but the `scan.completed`; an UNKNOWN verdict keeps the previous
    status (it neither detects nor resolves).
    """
    ws = str(Path(workspace).resolve()) if workspace is not None else str(log.workspace)
    written: list[Entry] = []
    with log.batch():
        log._write_buffer()  # the replay below reads the files: make this process's lines visible
        statuses = _load_statuses(log)
        first_scan = ws not in statuses
        previous = dict(statuses.get(ws, {}))
        seen: set[str] = set()
        detected = resolved = 0
        for result in report.resources:
            key = result.key
            seen.add(key)
            # `None`: nothing was observed before this workspace's first scan.
            before = previous.get(key, None if first_scan else NOT_DRIFTING)
            now = result.status
            subject = subject_of(key, result, workspace=ws)
            kind = change_kind(_status(before), now)
            if kind in (TransitionKind.NEW_DRIFT, TransitionKind.NEW_UNMANAGED, TransitionKind.DRIFT_CHANGED):
                written.append(log.append("drift.detected", subject=subject, actor=actor,
                                          data={"key": key, "from": before, "to": now.value,
                                                "differences": len(result.differences)},
                                          after=result.to_json()))
                detected += 1
            elif kind is TransitionKind.RESOLVED:
                written.append(log.append("drift.resolved", subject=subject, actor=actor,
                                          data={"key": key, "from": before, "to": NOT_DRIFTING},
                                          after=result.to_json()))
                resolved += 1
        for key, before in sorted(previous.items()):
            if key not in seen and change_kind(_status(before), None) is TransitionKind.RESOLVED:
                written.append(log.append("drift.resolved", subject=subject_of(key, workspace=ws), actor=actor,
                                          data={"key": key, "from": before, "to": "absent"}))
                resolved += 1
        written.append(log.append(
            "scan.completed",
            subject={"workspace": ws},
            actor=actor,
            data={
                "generated_at": report.generated_at,
                "duration_ms": report.duration_ms,
                "summary": report.summary(),
                "sources": [s.to_json() for s in report.sources],
                "regions": list(report.regions),
                "warnings": len(report.warnings),
                "transitions": {"detected": detected, "resolved": resolved},
            },
        ))
        for entry in written:
            _apply(statuses, entry)
        _save_statuses(log, statuses, written[-1])
    return written
